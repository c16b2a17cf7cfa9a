"""The ``tests`` gate: run the tests a change touches, and compare with the base.

Selection follows the import graph and naming conventions: a changed test file
runs itself; a changed module runs the test files that import it or are named
after it (``test_<mod>.py``, ``<mod>_test.py``). pytest runs in the worktree
under a timeout with a scrubbed environment; when something fails, the same
selection runs on the base commit, so a failure that was already there is a
warning and only a new failure fails the gate.
"""

from __future__ import annotations

import ast
import os
import posixpath
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import git
from patchgate.git import run_git, worktree
from patchgate.junit import read_junit
from patchgate.pymodules import module_names as graph_module_names
from patchgate.secrets import redact, scrubbed_env
from patchgate.tools.candidate import Candidate
from patchgate.tools.findings import Finding, GateReport
from patchgate.tools.gate import GateContext
from patchgate.tools.options import ReviewOptions
from patchgate.tools.policy import matches


@dataclass
class TestRun:
    """The outcome of one pytest run: failing test ids with their messages, or why it did not run."""

    failures: dict[str, tuple[str | None, int | None, str]]
    passed: int
    problem: str | None = None  # timeout or pytest unusable
    output: str = ""


def module_names(path: str) -> set[str]:
    """Dotted names a Python file can be imported as (the index's rule, with and without a source root)."""
    return set(graph_module_names(path)) if path.endswith(".py") else set()


def _imports(source: str) -> set[str]:
    """Every module a test file imports, with ``from a import b`` also giving ``a.b``."""
    try:
        module = ast.parse(source)
    except (SyntaxError, ValueError):
        return set()
    found: set[str] = set()
    for node in ast.walk(module):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def select_tests(tree: Path, candidate: Candidate, options: ReviewOptions, test_globs: list[str]) -> list[str]:
    """Test files (repository-relative) related to the candidate's changes, or all of them."""
    listed = run_git(tree, "ls-files", "-z", "--", "*.py", check=False).stdout.decode(errors="replace").split("\0")
    tests = [p for p in listed if p and matches(p, test_globs)
             and (PurePosixPath(p).name.startswith("test_") or p.endswith("_test.py"))]
    if options.tests == "all":
        return sorted(tests)
    changed = [f for f in candidate.files if not f.deleted and f.path.endswith(".py")]
    selected = {f.path for f in changed if f.path in tests}
    wanted = {n for f in changed for n in module_names(f.path)}
    stems = {PurePosixPath(f.path).stem for f in changed if PurePosixPath(f.path).stem != "__init__"}
    for test in tests:
        stem = PurePosixPath(test).stem
        if stem.removeprefix("test_") in stems or stem.removesuffix("_test") in stems \
                or _imports_of(tree / test) & wanted:
            selected.add(test)
    return sorted(selected)


def _imports_of(path: Path) -> set[str]:
    try:
        return _imports(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return set()


def run_pytest(tree: Path, tests: list[str], timeout: float) -> TestRun:
    """pytest on ``tests`` in ``tree`` with a scrubbed environment, under ``timeout`` seconds."""
    with tempfile.TemporaryDirectory(prefix="patchgate-tests-") as scratch:
        report = Path(scratch) / "junit.xml"
        env = {**scrubbed_env(dict(os.environ)), "PYTHONDONTWRITEBYTECODE": "1", "TMPDIR": scratch,
               "PYTHONPATH": str(tree)}
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "junit_family=xunit1",
               f"--junitxml={report}", "--rootdir", str(tree), *tests]
        try:
            proc = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else exc.stdout or ""
            return TestRun({}, 0, problem=f"tests did not finish within {timeout:g} s", output=redact(out[-2000:]))
        output = redact((proc.stdout + proc.stderr)[-4000:])
        if proc.returncode == 5:  # nothing collected
            return TestRun({}, 0, output=output)
        run = _read_junit(report, output) if report.is_file() else TestRun({}, 0, output=output)
        if proc.returncode not in (0, 1) and not run.failures:  # interrupted, internal or usage error
            last = (output.strip().splitlines() or [""])[-1]
            run.problem = f"pytest could not run (exit {proc.returncode}): {last[:200]}"
        return run


def _read_junit(report: Path, output: str) -> TestRun:
    cases = read_junit(report)
    failures = {c.test_id: (c.file, c.line, redact(c.message[:300])) for c in cases if c.failed}
    return TestRun(failures, sum(c.outcome == "passed" for c in cases), output=output)


class TestsGate:
    """``tests``: the tests related to the change pass on the candidate, or failed on the base already."""

    name = "tests"
    needs = "applied"

    def run(self, ctx: GateContext) -> GateReport:
        return tests_gate(ctx.repo, ctx.base, ctx.candidate, ctx.tree, ctx.options,
                          ctx.policies.default.scope.tests.paths)


class IssueTestsGate:
    """``issue-tests``: the tests that prove the fix (the plan's, or CI's failing ones) pass on the candidate.

    The tests gate only forbids *new* failures; an agent's patch must also turn the issue's own tests green,
    so they run last, in the same worktree, once every other gate passed.
    """

    name = "issue-tests"
    needs = "green"

    def run(self, ctx: GateContext) -> GateReport:
        present = [t for t in dict.fromkeys(ctx.options.issue_tests) if _test_file(ctx.tree, t)]
        if not present:
            return GateReport(name=self.name, passed=True, skipped=True, detail="none of the named tests exist")
        run = run_pytest(ctx.tree, present, ctx.options.timeout)
        if run.problem:
            return GateReport(name=self.name, passed=False, detail=run.output[-1500:],
                              findings=[Finding(rule="issue-tests.not-run", message=run.problem)])
        findings = [Finding(rule="issue-tests.failing", path=path, line=line,
                            message=f"{test_id} still fails: {message}")
                    for test_id, (path, line, message) in run.failures.items()]
        return GateReport(name=self.name, passed=not findings, findings=findings,
                          detail=run.output[-1500:] if findings else f"{run.passed} passed: {', '.join(present)}")


def _test_file(tree: Path, test_id: str) -> bool:
    """Whether ``test_id`` names a test file inside ``tree`` (never an option or a path outside it)."""
    path = test_id.split("::")[0]
    if test_id.startswith("-") or not path or posixpath.normpath(path) != path or path.startswith(("/", "../", ".git/")):
        return False
    return (tree / path).is_file() and (tree / path).resolve().is_relative_to(tree.resolve())


def tests_gate(repo: git.Repo, base: str, candidate: Candidate, tree: Path, options: ReviewOptions,
               test_globs: list[str]) -> GateReport:
    """Run the selected tests on the candidate; on failure, tell new failures from ones the base had."""
    tests = select_tests(tree, candidate, options, test_globs)
    if not tests:
        return GateReport(name="tests", passed=True, detail="no related tests")
    run = run_pytest(tree, tests, options.timeout)
    if run.problem:
        return GateReport(name="tests", passed=False, detail=run.output[-1500:],
                          findings=[Finding(rule="tests.not-run", message=run.problem)])
    if not run.failures:
        return GateReport(name="tests", passed=True, detail=f"{run.passed} passed in {len(tests)} file(s)")
    with worktree(repo, base) as base_tree:
        before = run_pytest(base_tree, [t for t in tests if (base_tree / t).is_file()], options.timeout)
    findings = []
    for test_id, (path, line, message) in run.failures.items():
        old = test_id in before.failures
        findings.append(Finding(rule="tests.pre-existing-failure" if old else "tests.new-failure", path=path,
                                line=line, severity="warning" if old else "error",
                                message=f"{test_id} {'already failed on the base' if old else 'fails'}: {message}"))
    return GateReport(name="tests", passed=not any(f.severity == "error" for f in findings), findings=findings,
                      detail=run.output[-1500:])
