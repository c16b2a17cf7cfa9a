"""Ways to make a failing test stop failing without fixing anything, read from syntax trees and pytest settings.

The scope gate's line rules see a deleted ``assert`` or an added ``@pytest.mark.skip``
line. A model (or a hurried person) has quieter ways to get green, and each
is invisible line by line:

- ``pytestmark = pytest.mark.skip`` at the top of a test module;
- an early ``return`` (or ``pytest.skip()``) at the top of a test, leaving its assertions unreachable;
- ``collect_ignore`` / ``collect_ignore_glob`` or a collection hook added to a ``conftest.py``;
- ``-k``, ``-m``, ``--deselect``, ``--ignore`` in ``addopts``, or changed ``testpaths`` / ``python_files``,
  in the settings pytest reads (``tools.pytestconfig``: settings moved from one file to another are not a change);
- renaming ``test_x.py`` so pytest no longer collects it.

Each is found by comparing the file before (the base commit) and after (the
patched tree). The tests gate adds the runtime check: a test the base collects
that the candidate does not (see ``tools.testing``).
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import PurePosixPath

from core.pymodules import syntax_tree
from tools.candidate import Candidate
from tools.commandfiles import is_command_file
from tools.findings import Finding
from tools.pytestconfig import PytestConfig, Reader, config_folders, pytest_config
from tools.security import dotted
from tools.unittestdiscovery import stated

SKIP_MARKS = {"skip", "skipif", "xfail"}
SKIP_CALLS = {"pytest.skip", "pytest.xfail", "self.skipTest", "unittest.skip"}
COLLECTION_HOOKS = (
    "pytest_collection_modifyitems",
    "pytest_ignore_collect",
    "pytest_pycollect_makeitem",
    "pytest_collect_file",
    "pytest_deselected",
)
# Options that, added to addopts, run fewer tests or keep failures from counting.
NARROWING_OPTIONS = (
    "-k",
    "-m",
    "--deselect",
    "--ignore",
    "--ignore-glob",
    "-p",
    "--co",
    "--collect-only",
    "--lf",
    "--last-failed",
    "--sw",
    "--stepwise",
    "--continue-on-collection-errors",
    "--maxfail",
    "-x",
    "--exitfirst",
    "--noconftest",
    "--confcutdir",
    "-c",
    "--rootdir",
    "--pyargs",
    "--runxfail",
)
STRICT_XFAIL = ("strict_xfail", "xfail_strict", "strict")  # pytest 9: the option, its old name, then `strict`
COLLECTION_KEYS = ("testpaths", "python_files", "python_classes", "python_functions", "norecursedirs")


def weakening_findings(candidate: Candidate, before: Reader, after: Reader, test_globs: list[str]) -> list[Finding]:
    """Every quiet weakening in ``candidate``; ``before``/``after`` read a file at the base and in the patched tree."""
    from tools.policy import matches

    findings: list[Finding] = []
    for folder in config_folders(candidate.touched):
        findings.extend(_config_findings(pytest_config(before, folder), pytest_config(after, folder)))
    config = pytest_config(before)
    if config.source is None:  # no pytest settings: the unittest discovery the project runs names its tests
        findings.extend(_discovery_findings(candidate, before, after))
    for changed in candidate.files:
        name = PurePosixPath(changed.path).name
        if not changed.path.endswith(".py") and not (changed.old_path or "").endswith(".py"):
            continue
        old_text = before(changed.old_path) if changed.old_path else None
        new_text = None if changed.deleted else after(changed.path)
        if name == "conftest.py":
            findings.extend(_conftest_findings(changed.path, syntax_tree(old_text), syntax_tree(new_text)))
        old_is_test = changed.old_path is not None and matches(changed.old_path, test_globs)
        if (
            changed.status == "renamed"
            and changed.old_path is not None
            and old_is_test
            and config.names_a_test(changed.old_path)
            and not config.names_a_test(changed.path)
        ):
            findings.append(
                Finding(
                    rule="scope.uncollected-test-file",
                    path=changed.path,
                    message=f"{changed.old_path} is renamed to {changed.path}, which pytest does not "
                    f"collect ({' or '.join(config.python_files)}): its tests no longer run",
                )
            )
        if matches(changed.path, test_globs) or old_is_test:
            findings.extend(_test_module_findings(changed.path, syntax_tree(old_text), syntax_tree(new_text)))
    return findings


def _called(node: ast.AST) -> str:
    """The dotted name ``node`` calls (or names, when it is not a call), '' when it is neither."""
    target = node.func if isinstance(node, ast.Call) else node
    return dotted(target) if isinstance(target, ast.expr) else ""


def _skip_marks(node: ast.AST | None) -> set[str]:
    """Skip/xfail marks named anywhere in ``node`` (a decorator, a pytestmark value, a list of marks)."""
    found = set()
    for sub in ast.walk(node) if node is not None else ():
        name = _called(sub) if isinstance(sub, ast.Attribute | ast.Call) else ""
        last = name.rsplit(".", 1)[-1]
        if (".mark." in name and last in SKIP_MARKS) or name in {
            "unittest.skip",
            "unittest.skipIf",
            "unittest.skipUnless",
            "unittest.expectedFailure",
        }:
            found.add(name)
    return found


def _module_marks(module: ast.Module | None) -> set[str]:
    marks: set[str] = set()
    for node in module.body if module is not None else ():
        if not isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            continue
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in targets):
            marks |= _skip_marks(node.value)
    return marks


def _tests(module: ast.Module | None) -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef, set[str]]]:
    """(qualified name, function, skip marks of its class) for every test function and Test* method."""
    for node in module.body if module is not None else ():
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test"):
            yield node.name, node, set()
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            class_marks = set().union(*(_skip_marks(d) for d in node.decorator_list)) | _module_marks(
                ast.Module(body=node.body, type_ignores=[])
            )
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and item.name.startswith("test"):
                    yield f"{node.name}.{item.name}", item, class_marks


def _unreachable(function: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[int, int | None]:
    """How many assertions follow the first statement that always leaves the test, and that statement's line."""
    for index, statement in enumerate(function.body):
        if _leaves(statement):
            rest = function.body[index + 1 :]
            return sum(_assertions(s) for s in rest), statement.lineno
    return 0, None


def _leaves(statement: ast.stmt) -> bool:
    if isinstance(statement, ast.Return | ast.Raise):
        return True
    if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
        return _called(statement.value) in SKIP_CALLS
    if isinstance(statement, ast.If) and isinstance(statement.test, ast.Constant) and statement.test.value:
        return any(_leaves(s) for s in statement.body)
    return False


def _assertions(node: ast.AST) -> int:
    count = 0
    for sub in ast.walk(node):
        if isinstance(sub, ast.Assert):
            count += 1
        elif isinstance(sub, ast.Call):
            name = _called(sub)
            count += name.startswith("self.assert") or name in {"pytest.raises", "pytest.warns"}
    return count


def _test_module_findings(path: str, old: ast.Module | None, new: ast.Module | None) -> list[Finding]:
    if new is None or old is None:
        return []
    findings = []
    added_marks = _module_marks(new) - _module_marks(old)
    if added_marks:
        findings.append(
            Finding(
                rule="scope.skipped-test-module",
                path=path,
                message=f"pytestmark = {', '.join(sorted(added_marks))} skips every test in {path}",
            )
        )
    old_tests = {name: (fn, marks) for name, fn, marks in _tests(old)}
    for name, function, class_marks in _tests(new):
        if name not in old_tests:
            continue
        old_function, old_class_marks = old_tests[name]
        new_class_marks = class_marks - old_class_marks
        if new_class_marks:
            findings.append(
                Finding(
                    rule="scope.added-skip",
                    path=path,
                    line=function.lineno,
                    message=f"{name} is skipped by its class: {', '.join(sorted(new_class_marks))}",
                )
            )
        hidden, at = _unreachable(function)
        if hidden > _unreachable(old_function)[0]:
            findings.append(
                Finding(
                    rule="scope.unreachable-assertions",
                    path=path,
                    line=at,
                    message=f"{name} now leaves at line {at}: {hidden} assertion(s) after it never run",
                )
            )
    return findings


def _conftest_findings(path: str, old: ast.Module | None, new: ast.Module | None) -> list[Finding]:
    if new is None:
        return []
    findings = []
    old_ignores, new_ignores = _ignores(old), _ignores(new)
    for name, statements in new_ignores.items():
        added = [s for s in statements if s not in old_ignores.get(name, [])]
        if added:  # one taken away only widens what pytest collects
            findings.append(
                Finding(
                    rule="scope.collect-ignore",
                    path=path,
                    message=f"{name} in {path} is changed: pytest stops collecting {'; '.join(added)[:120]}",
                )
            )
    old_hooks = _functions(old)
    for hook in COLLECTION_HOOKS:
        if hook in _functions(new) and _functions(new)[hook] != old_hooks.get(hook):
            findings.append(
                Finding(
                    rule="scope.collection-hook",
                    path=path,
                    message=f"{hook} in {path} is added or changed: it can drop tests from the run",
                )
            )
    return findings


def _ignores(module: ast.Module | None) -> dict[str, list[str]]:
    """``collect_ignore``/``collect_ignore_glob`` assignments and appends, as source text, per name."""
    found: dict[str, list[str]] = {}
    for node in ast.walk(module) if module is not None else ():
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and target.id.startswith("collect_ignore") and node.value is not None:
                    found.setdefault(target.id, []).append(ast.unparse(node.value))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and dotted(node.func.value).startswith("collect_ignore")
        ):
            found.setdefault(dotted(node.func.value), []).append(ast.unparse(node))
    return found


def _functions(module: ast.Module | None) -> dict[str, str]:
    return {
        node.name: ast.dump(node)
        for node in (module.body if module is not None else ())
        if isinstance(node, ast.FunctionDef)
    }


def _config_findings(old: PytestConfig, new: PytestConfig) -> list[Finding]:
    """What the settings pytest reads gain or lose, whichever files they live in before and after."""
    where = new.source or old.source or "the pytest settings"
    moved = f" (moved from {old.source})" if old.source and new.source and old.source != new.source else ""
    findings = []
    narrowing = _options(new.words("addopts")) - _options(old.words("addopts"))
    if narrowing:
        findings.append(
            Finding(
                rule="scope.pytest-config",
                path=where,
                message=f"addopts in {where}{moved} gains {', '.join(sorted(narrowing))}: "
                "fewer tests run or failures stop counting",
            )
        )
    for key in COLLECTION_KEYS:
        if old.words(key) != new.words(key):
            findings.append(
                Finding(
                    rule="scope.pytest-config",
                    path=where,
                    message=f"{key} in {where}{moved} changes from {_shown(old, key)} to {_shown(new, key)}: "
                    "which tests pytest collects changes",
                )
            )
    if old.flag(*STRICT_XFAIL) and not new.flag(*STRICT_XFAIL):
        findings.append(
            Finding(
                rule="scope.pytest-config",
                path=where,
                message=f"strict xfail is turned off in {where}{moved}: passing xfails stop failing",
            )
        )
    return findings


def _discovery_findings(candidate: Candidate, before: Reader, after: Reader) -> list[Finding]:
    """A ``unittest discover`` command that loses or changes its folder or pattern (mkdocs' ``-p "*tests.py"``)
    changes which files are tests, as ``python_files`` does for pytest."""
    findings = []
    for changed in candidate.files:
        if not is_command_file(changed.path):
            continue
        old = stated(before(changed.old_path or changed.path))
        new = stated(None if changed.deleted else after(changed.path))
        if old and set(old) - set(new):
            findings.append(
                Finding(
                    rule="scope.pytest-config",
                    path=changed.path,
                    message=f"unittest discovery in {changed.path} changes from {_discovered(old)} to "
                    f"{_discovered(new)}: which tests run changes",
                )
            )
    return findings


def _discovered(found: list[tuple[str, str]]) -> str:
    return ", ".join(f"-s {start or '.'} -p {pattern}" for start, pattern in found) or "(none)"


def _shown(config: PytestConfig, key: str) -> str:
    return repr(" ".join(config.words(key))) if key in config.values else "(unset)"


def _options(words: tuple[str, ...]) -> set[str]:
    found = set()
    for word in words:
        option = word.split("=", 1)[0]
        if option in NARROWING_OPTIONS or (option[:2] in {"-k", "-m", "-p", "-c"} and not option.startswith("--")):
            found.add(option[:2] if not option.startswith("--") else option)
    return found


def disappeared_tests(
    before: set[str], after: set[str], renames: dict[str, str], deleted: set[tuple[str, str]]
) -> list[Finding]:
    """Tests the base collects from the reviewed files that the candidate's run no longer has, but for the
    ``deleted`` ones ((path, function) the diff removes, which the scope gate names: installer's commit that
    deleted three parametrized tests read as 31 "no longer collected" beside them).

    ``before`` are the base's node ids, ``after`` the ids that ran (or were
    skipped) on the candidate; a renamed file's tests are looked for under the new name.
    A parametrized test whose ids changed but whose number of cases did not is not missing:
    parameters built from the clock or from object ids differ between any two runs; nor is a test that became
    parametrized (alembic's ``test_x`` became ``test_x[sqlite]``...).
    """
    moved = {
        node: f"{renames.get(node.partition('::')[0], node.partition('::')[0])}::{node.partition('::')[2]}"
        for node in before
    }
    cases_after = Counter(_without_params(node) for node in after)
    cases_before = Counter(_without_params(node) for node in moved.values())
    findings = []
    for node in sorted(before):
        new = moved[node]
        stem = _without_params(new)
        function = stem.rpartition("::")[2]
        if (
            new not in after
            and cases_after[stem] < cases_before[stem]
            and (new.partition("::")[0], function) not in deleted
        ):
            findings.append(
                Finding(
                    rule="tests.uncollected",
                    path=new.partition("::")[0],
                    message=f"{node} ran on the base but is no longer collected",
                )
            )
    return findings


# A generated case's index, and what follows it: `test_x_034_pt`, `test_x_7` (`parameterized`, nose-style loops)
_NUMBERED_CASE = re.compile(r"_\d+(?:_\w*)?$")


def _without_params(node: str) -> str:
    """``tests/t.py::test_x`` of ``tests/t.py::test_x[12:00:01]``, and of ``tests/t.py::T::test_x_034_pt``: the
    ``parameterized`` package names each case by its index (and its first value), so a case inserted in the middle
    renumbers those after it, and dateparser's commit that added Italian phrases read as 540 tests "no longer
    collected"."""
    head, sep, function = node.split("[", 1)[0].rpartition("::")
    return head + sep + _NUMBERED_CASE.sub("", function)
