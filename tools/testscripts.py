"""Test scripts: tests that are a program the project's commands run (``python run_tests.py``), not a module of tests.

pep8-naming's tox and CI run ``python run_tests.py``, which checks the plugin against its ``testsuite/`` cases and
exits 1 on a failure. pytest collects no test from it, so every review of the plugin said "no related tests" and
ran nothing. Such a script is a test with one outcome, its exit status, in the project's environment and sandbox:
pytest runs it as one item through a small plugin (``PLUGIN``, written into the run's scratch folder and loaded
with ``-p``), so the base's run, the reruns of a failure and the report treat it as any other test. A script counts
when the project's command files run it by path, its name says test (``run_tests.py``, ``runtests.py``,
``tests.py``), and it defines no test pytest would collect itself (``_is_test``) or calls ``unittest.main()`` as it
is imported, which stops pytest's collection of it (ply's ``tests/testlex.py``, which its Makefile runs).
python-slugify's ``test.py``, run as ``coverage run test.py``, holds unittest classes, and pytest runs those one by
one. A script is a whole program, not one of the project's tests, so pytest-timeout's per-test limit from the
project's settings does not apply to it: smart_open's CI script runs its integration tests, longer than the 60 s
its addopts give each test, and pytest-timeout's thread method then ended the whole run, every test unjudged.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path, PurePosixPath

from tools.unittestdiscovery import scripts_run

PLUGIN_NAME = "patchgate_scripts"
SCRIPTS_VARIABLE = "PATCHGATE_TEST_SCRIPTS"  # JSON: the scripts among pytest's arguments -> the folder each runs in
# What a test module's ``__main__`` block calls to run the tests pytest collects too
_TEST_MAINS = frozenset({"unittest.main", "pytest.main", "sys.exit", "exit", "SystemExit"})

# Runs under the project's own Python and pytest (tried: pytest 6.1-9.2, Python 3.6-3.11): no annotations, both
# hook spellings.
PLUGIN = '''"""patchgate: a test script given to pytest runs as one test, its exit status its outcome."""
import json
import os
import subprocess
import sys

import pytest

SCRIPTS = json.loads(os.environ.get("PATCHGATE_TEST_SCRIPTS") or "{}")  # script -> the folder it runs in
NEW = int(pytest.__version__.split(".")[0]) >= 7


class ScriptFailed(Exception):
    pass


def _root(config):
    return str(getattr(config, "rootpath", None) or config.rootdir)


class Script(pytest.Item):
    def runtest(self):
        where = str(self.path if NEW else self.fspath)
        script = os.path.relpath(where, _root(self.config)).replace(os.sep, "/")
        folder = os.path.join(_root(self.config), SCRIPTS.get(script, ""))
        done = subprocess.run(
            [sys.executable, os.path.relpath(where, folder)], cwd=folder, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, universal_newlines=True,
        )
        if done.returncode:
            lines = [line for line in done.stdout.splitlines() if line.strip()]
            last = lines[-1].strip() if lines else "no output"
            raise ScriptFailed("%s exits %d: %s\\n%s" % (script, done.returncode, last, "\\n".join(lines[-30:])))

    def repr_failure(self, excinfo, style=None):
        return str(excinfo.value)

    def reportinfo(self):
        return (self.path if NEW else self.fspath), 0, "script"


class ScriptFile(pytest.File):
    def collect(self):
        item = Script.from_parent(self, name="script")
        if self.config.pluginmanager.hasplugin("timeout"):  # the project's per-test limit is for its tests
            item.add_marker(pytest.mark.timeout(0))
        yield item


def _script(path, parent):
    relative = os.path.relpath(str(path), _root(parent.config)).replace(os.sep, "/")
    if relative not in SCRIPTS:
        return None
    return ScriptFile.from_parent(parent, path=path) if NEW else ScriptFile.from_parent(parent, fspath=path)


if NEW:
    @pytest.hookimpl(tryfirst=True)
    def pytest_pycollect_makemodule(module_path, parent):
        return _script(module_path, parent)
else:
    @pytest.hookimpl(tryfirst=True)
    def pytest_pycollect_makemodule(path, parent):
        return _script(path, parent)
'''


def test_scripts(tree: Path) -> dict[str, str]:
    """The test scripts of ``tree`` (repository-relative), as the module docstring defines them, each with the
    folder its command runs it in ("" for the root)."""
    return {
        script: folder
        for script, folder in scripts_run(tree).items()
        if "test" in PurePosixPath(script).name and not _holds_tests(tree / script)
    }


def _holds_tests(path: Path) -> bool:
    """Whether pytest, rather than running it, is what tells the module's outcome: it defines tests pytest collects
    (``_is_test``) and runs none of its own way. A module that calls ``unittest.main()`` as it is imported, or whose
    ``__main__`` block runs a runner of its own (feedparser's ``runtests()``, which builds a test per feed file and
    serves them over HTTP), is run as the command runs it. An unreadable one is left to pytest, to say why."""
    try:
        module = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return True
    if any(_runs_unittest(node) for node in module.body) or any(_own_runner(node) for node in module.body):
        return False
    return any(_is_test(node) for node in module.body)


def _runs_unittest(node: ast.stmt) -> bool:
    """A module-level ``unittest.main()``, outside any ``if __name__ == "__main__":`` (ply's test modules)."""
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and _called(node.value) == "unittest.main"


def _own_runner(node: ast.stmt) -> bool:
    """An ``if __name__ == "__main__":`` block that calls more than ``unittest.main()`` or ``pytest.main()``."""
    if not (isinstance(node, ast.If) and {"__name__", "__main__"} <= set(re.findall(r"\w+", ast.unparse(node.test)))):
        return False
    calls = {_called(call) for stmt in node.body for call in ast.walk(stmt) if isinstance(call, ast.Call)}
    return bool(calls - _TEST_MAINS)


def _called(call: ast.Call) -> str:
    return ast.unparse(call.func)


def _is_test(node: ast.stmt) -> bool:
    """A ``Test*`` class, a ``TestCase``, or a ``test*`` function without parameters: one with parameters is the
    script's own helper (pep8-naming's ``test_file(filename, ...)``), which pytest would take for a test that asks
    for fixtures no one defines."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return node.name.startswith("test") and not (node.args.args or node.args.posonlyargs or node.args.kwonlyargs)
    if isinstance(node, ast.ClassDef):
        return node.name.startswith("Test") or any("TestCase" in ast.unparse(base) for base in node.bases)
    return False
