"""Running pytest in a tree and reading what it reported: the test cases that passed, failed or could not be
collected, and why pytest could not run at all.

The tests gates (``tools.testing``) and the benchmarks run pytest the same way: in the project's
environment, sandboxed, with a junit report read back (``core.junit``), and collection errors kept as failures of
their file instead of stopping the run.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from core.junit import read_junit
from core.secrets import redact
from tools import collectonce, djangotests, hanglimit, testscripts
from tools.djangotests import SETTINGS_VARIABLE, settings_module
from tools.environments import Completed, TestEnvironment, execute
from tools.generated import has_module
from tools.pytestconfig import read_pytest_config
from tools.sandbox import not_started
from tools.testscripts import SCRIPTS_VARIABLE, test_scripts
from tools.unittestdiscovery import pytest_options, unittest_only

_ERROR_LINE = re.compile(r"^E\s+(\w*(?:Error|Exception)\b.*)$", re.M)
_USAGE_ERROR = re.compile(r"^[^:\n]+: (error: .*)$", re.M)  # argparse's: "python -m pytest: error: unrecognized ..."


@dataclass
class TestRun:
    """The outcome of one pytest run: failing test ids (and uncollectable files) with messages, or why it did not run."""

    __test__ = False

    failures: dict[str, tuple[str | None, int | None, str]]
    passed: int
    problem: str | None = None  # timeout or pytest unusable
    output: str = ""
    skipped: list[str] = field(default_factory=list)  # skip reasons
    uncollected: int = 0  # test files that could not be collected (they are in failures, by path)
    blocked: tuple[str, ...] = ()  # what the sandbox kept the run from doing
    dialled: frozenset[str] = frozenset()  # the tests (node ids) whose network connections the sandbox stopped
    node_ids: set[str] = field(default_factory=set)  # every test case the run reported (passed, failed, skipped)
    timed_out: bool = False
    harness: bool = False  # the sandbox could not start pytest: the problem is the harness's, never the tree's
    outcomes: dict[str, bool] = field(default_factory=dict)  # test id -> passed, for the tests that ran
    files: dict[str, str] = field(default_factory=dict)  # test id -> the test file pytest collected it from
    seconds: dict[str, float] = field(default_factory=dict)  # test id -> how long it took, for the tests that ran

    @property
    def ran(self) -> int:
        """Tests that actually executed (passed or failed), not counting files that failed to collect."""
        return self.passed + len(self.failures) - self.uncollected


def run_pytest(
    tree: Path,
    tests: list[str],
    timeout: float,
    environment: TestEnvironment,
    pass_env: list[str] | tuple[str, ...] = (),
) -> TestRun:
    """pytest on ``tests`` in ``tree``, in the project's ``environment``, under ``timeout`` seconds.

    Collection errors do not stop the other files (``--continue-on-collection-errors``); each becomes a
    failure named by its file, so a test file broken by the change is a new failure like any other.
    """
    with tempfile.TemporaryDirectory(prefix="patchgate-tests-") as scratch:
        report = Path(scratch) / "junit.xml"
        junit = ["-q", "-o", "junit_family=xunit1", f"--junitxml={report}", "--continue-on-collection-errors"]
        done = _pytest(tree, [*junit, *tests], Path(scratch), timeout, environment, pass_env)
        output = redact(done.output[-4000:])
        if done.timed_out:
            return TestRun(
                {},
                0,
                problem=(
                    f"tests did not finish within {timeout:g} s (more time: review --timeout or "
                    "[tool.patchgate.tests] timeout)"
                ),
                output=output[-2000:],
                blocked=done.blocked,
                timed_out=True,
            )
        if (why := not_started(done.returncode, done.output)) is not None:  # an environment removed under a review
            return TestRun({}, 0, problem=f"the sandbox could not start pytest: {why}", output=output, harness=True)
        run = _read_junit(report, output, tree) if report.is_file() else TestRun({}, 0, output=output)
        run.blocked, run.dialled = done.blocked, frozenset(done.dialled)
        # interrupted, internal or usage error; or pytest died before its session began (no report, any exit:
        # an old pytest pinned by the project raises at import on a newer Python, exit 1)
        if (done.returncode not in (0, 1, 5) and not run.failures) or (done.returncode and not report.is_file()):
            why = _cause(output) or _usage_error(output) or _last_line(output)
            run.problem = f"pytest could not run (exit {done.returncode}): {why}"
            if "No module named pytest" in output:
                run.problem = f"pytest is not installed in {environment.python or environment.argv_prefix[0]}"
        return run


def collect_ids(
    tree: Path,
    tests: list[str],
    timeout: float,
    environment: TestEnvironment,
    pass_env: list[str] | tuple[str, ...] = (),
) -> set[str] | None:
    """The node ids pytest collects from ``tests`` in ``tree`` (sandboxed), or None if collection failed.

    ``--verbosity=-1`` comes last so a ``-q`` in the project's addopts cannot turn the listing into counts.
    """
    if not tests:
        return set()
    with tempfile.TemporaryDirectory(prefix="patchgate-collect-") as scratch:
        done = _pytest(
            tree, ["--collect-only", "--verbosity=-1", *tests], Path(scratch), timeout, environment, pass_env
        )
    if done.returncode not in (0, 5):
        return None
    return {line.strip() for line in done.output.splitlines() if "::" in line and not line.startswith(" ")}


def _pytest(
    tree: Path,
    args: list[str],
    scratch: Path,
    timeout: float,
    environment: TestEnvironment,
    pass_env: list[str] | tuple[str, ...],
) -> Completed:
    """pytest with ``args`` in ``tree`` as its rootdir, in the project's environment and sandbox, its cache in the
    run's own scratch folder: a kept worktree is reused by the next review, and no run may read what an earlier
    one left (``--lf`` style). The cache plugin stays loaded: pydocstyle's addopts hold ``--cache-clear``, an
    option only it knows, and every review of it said pytest could not run."""
    seed = ["--hypothesis-seed=0"] if _has_hypothesis(environment.python) else []
    env = environment.prepare(tree, scratch, pass_env)
    plugins = {collectonce.PLUGIN_NAME: collectonce.PLUGIN, hanglimit.PLUGIN_NAME: hanglimit.PLUGIN}
    env[hanglimit.LIMIT_VARIABLE] = f"{hanglimit.per_test_limit(timeout):g}"
    if environment.python and (settings := settings_module(tree)) and has_module(environment.python, "pytest_django"):
        if settings.module:  # the module the project's Django runner would use (tools.djangotests)
            env[SETTINGS_VARIABLE] = settings.module
        else:  # or its script, which makes the settings in code
            env[djangotests.SCRIPT_VARIABLE] = settings.script
            plugins[djangotests.PLUGIN_NAME] = djangotests.PLUGIN
    scripts = {script: folder for script, folder in test_scripts(tree).items() if script in args}
    if scripts:  # each runs as one test, through the plugin
        env[SCRIPTS_VARIABLE] = json.dumps(scripts)
        plugins[testscripts.PLUGIN_NAME] = testscripts.PLUGIN
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_plugin_folder(scratch, plugins)), env.get("PYTHONPATH")]))
    for name in plugins:
        seed += ["-p", name]
    seed += _as_the_project_runs(tree)
    argv = [*environment.argv_prefix, "-o", f"cache_dir={scratch / 'cache'}", "--rootdir", str(tree), *seed]
    paths = {arg: PurePosixPath(arg.partition("::")[0]) for arg in args if (tree / arg.partition("::")[0]).exists()}
    project = environment.project
    if not project or not all(path.is_relative_to(project) for path in paths.values()):
        # a test elsewhere (a CI script under .github/) runs from the root, where the project's CI runs it
        return execute([*argv, *args], cwd=tree, env=env, timeout=timeout, confine=environment.confine)
    located = [arg[len(project) + 1 :] if arg in paths else arg for arg in args]  # a node id's brackets kept as given
    return execute([*argv, *located], cwd=tree / project, env=env, timeout=timeout, confine=environment.confine)


def _plugin_folder(scratch: Path, plugins: dict[str, str]) -> Path:
    """Write ``plugins`` (module name -> source) into ``scratch`` and return the folder to put on ``PYTHONPATH``
    for ``-p``: the run's own folder, which the sandbox lets the project's pytest read."""
    folder = scratch / "plugins"
    folder.mkdir(exist_ok=True)
    for name, source in plugins.items():
        (folder / f"{name}.py").write_text(source, encoding="utf-8")
    return folder


def _as_the_project_runs(tree: Path) -> list[str]:
    """pytest's options as the project's own commands run its tests: the options those give pytest on its command
    line that count as its settings (``PytestConfig.given``, which the selection reads too: ``--doctest-modules``,
    for the modules selected for their examples), and unittest's collection, TestCase classes only, where unittest
    alone runs them (not a mixin or a function named test*)."""
    config = read_pytest_config(tree)
    added = [w for w in config.given(pytest_options(tree)).words("addopts") if w not in config.words("addopts")]
    return [*added, "-o", "python_classes=", "-o", "python_functions="] if unittest_only(tree) else added


def _has_hypothesis(python: Path | None) -> bool:
    """Whether Hypothesis (and so its pytest plugin, with ``--hypothesis-seed``) is installed beside ``python``.

    Property-based tests draw their examples at random, so the base's run and the candidate's met other inputs:
    python-fire's fuzz test happened to draw ``'...'`` on a 2025 commit's run and not on its base's, and a
    change to type comments was blocked for a parser bug older than it. One seed for every run draws the same
    examples on both sides, as Hypothesis' own CI profile derandomizes."""
    return python is not None and has_module(python, "hypothesis")


def _last_line(output: str) -> str:
    return (output.strip().splitlines() or [""])[-1][:200]


def _usage_error(text: str) -> str | None:
    """pytest's own complaint about its command line or settings (exit 4), which its last lines (``rootdir: ...``)
    do not say: ``error: unrecognized arguments: --cov=semver``, when addopts needs a plugin that is not there."""
    found = _USAGE_ERROR.findall(text)
    return found[-1][:200] if found else None


def _cause(text: str) -> str | None:
    """The exception line pytest prints for an import or collection failure (``E   ModuleNotFoundError: ...``)."""
    lines = [m[1] for m in _ERROR_LINE.finditer(text)]
    return lines[-1][:200] if lines else None


def _read_junit(report: Path, output: str, tree: Path) -> TestRun:
    run = TestRun({}, 0, output=output)
    for case in read_junit(report):
        node = _node_id(tree, case.file, case.classname, case.name)
        run.node_ids.add(node)
        run.files[case.test_id] = node.partition("::")[0]
        if case.outcome != "skipped":
            run.outcomes[case.test_id] = not case.failed
            run.seconds[case.test_id] = case.seconds
        if case.outcome == "skipped":
            run.skipped.append(case.message[:120] or "skipped")
        elif not case.failed:
            run.passed += 1
        elif not case.classname and case.message.startswith("collection failure"):
            path = case.file or case.name
            said = f"cannot be collected: {_cause(case.detail) or case.message}"
            run.failures[path] = (path, None, placeless(redact(said), tree))
            run.uncollected += 1
        else:
            run.failures[case.test_id] = (case.file, case.line, placeless(redact(case.message[:300]), tree))
    return run


def _node_id(tree: Path, file: str | None, classname: str, name: str) -> str:
    """pytest's node id (``tests/test_a.py::TestX::test_b``) from a junit test case, as --collect-only prints it.

    Read from the class name (``tests.test_a.TestX``: the longest prefix that is a file in ``tree`` is the
    module), not from the case's ``file``, which is where the test function is written: mistune's tests are
    methods of a base class in ``tests/__init__.py``, so every one of its thousand tests looked uncollected.
    """
    parts = classname.split(".") if classname else []
    for end in range(len(parts), 0, -1):
        module = "/".join(parts[:end]) + ".py"
        if (tree / module).is_file():
            return "::".join([module, *parts[end:], name])
    if not file:
        return f"{classname}::{name}"
    module = file.removesuffix(".py").replace("/", ".")
    classes = classname.removeprefix(module).strip(".")
    return "::".join([file, *(classes.split(".") if classes else []), name])


def placeless(node_id: str, tree: Path) -> str:
    """``node_id`` (or a failure's message) with the worktree's path (and its resolved form) replaced: base and
    candidate run in differently named temporary worktrees, a test parametrized by a path carries it in its id, and
    an error names the file it was raised in (LibCST's ``cannot import name 'native' from 'libcst'
    (<worktree>/libcst/__init__.py)``, the very error on both sides)."""
    for where in dict.fromkeys([str(tree.resolve()), str(tree)]):
        node_id = node_id.replace(where, "<worktree>")
    return node_id
