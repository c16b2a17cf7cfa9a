"""The ``tests`` gate: run the tests a change touches, and compare with the base.

Selection follows the import graph and naming conventions: a changed test file
runs itself; a changed module runs the test files that import it or are named
after it (``test_<mod>.py``, ``<mod>_test.py``); new test files and tests of
renamed or deleted modules are selected too. pytest runs in the worktree, in
the project's own environment (``tools.environments``), under a timeout; when
something fails, the files of the failing tests run on the base commit, in the
base's environment, so a failure that was already there is a one-line warning
and only a new failure fails the gate. A change to what a built environment installs
selects every test (``tools.envchange``). Zero tests that ran is never a pass
(``tests.not-run`` names the cause), and when no test runs (tests off, none
related, none runnable) the changed modules are at least imported
(``tools.importcheck``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import posixpath
import re
from collections.abc import Callable, Collection, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import git

from core.console import err, first_few
from core.git import file_at
from core.projects import project_folder
from core.settings import ReviewOptions, TestSettings
from core.worktrees import kept_worktree, worktree
from tools import envchange, sandbox
from tools.baseline import Baseline, Outcomes
from tools.candidate import Candidate
from tools.envbuild import Progress
from tools.environments import (
    HOW_TO_POINT,
    EnvironmentBuildError,
    TestEnvironment,
    own_environment,
    resolve_environment,
    shapes_environment,
)
from tools.findings import Finding, GateReport, on_own_commit
from tools.gate import GateContext
from tools.importcheck import import_check, importable_modules
from tools.policy import TestRules, matches
from tools.pytestrun import TestRun, collect_ids, placeless, run_pytest
from tools.scope import deleted_tests, weakened_tests
from tools.selection import is_test_file, select_tests, within
from tools.testcompare import as_renamed, common_error, compare_to_base, flaky_failures, uncollected_on_base
from tools.unbuilt import UNBUILT, built_by_the_change, left_out, native_not_rebuilt, native_sources, not_installed
from tools.weakening import disappeared_tests

# What the tests gate says when it runs no test; the import check's summary follows it.
TESTS_OFF, NO_RELATED = "tests off", "no related tests"


_IN_TEST = re.compile(r", in ([^,]+\.py)$")  # the probe's note of the test file that tried it
_DIALLED_PORT = re.compile(r":\d+ (?=\(no network)")  # "network connection to 10.1.2.3:41787 (no network ..."


def confined(environment: TestEnvironment, repo: git.Repo, settings: TestSettings) -> TestEnvironment:
    """``environment`` whose commands run in the sandbox ``settings`` ask for, able to read the repository."""
    readable = (
        Path(repo.working_tree_dir or repo.git_dir),
        Path(repo.common_dir),
        *(sandbox.environment_paths(str(environment.python)) if environment.python else ()),
    )
    return dataclasses.replace(environment, confine=sandbox.Confinement(settings, readable))


def _progress(line: str) -> None:
    err.print(line, style="dim")  # the console never reads markup: the line prints as written


class TestsGate:
    """``tests``: the related tests pass on the candidate (or failed on the base already); none run is no pass."""

    __test__ = False
    name = "tests"
    needs = "applied"

    def run(self, ctx: GateContext) -> GateReport:
        try:
            return tests_gate(
                ctx.repo,
                ctx.base,
                ctx.candidate,
                ctx.tree,
                ctx.options,
                ctx.tests,
                ctx.policies.default.scope.tests,
                ctx.baseline,
                ctx.progress,
            )
        except sandbox.SandboxUnavailable as exc:
            return _no_sandbox(self.name, exc)


class IssueTestsGate:
    """``issue-tests``: the tests that prove the fix (the plan's, or CI's failing ones) pass on the candidate.

    The tests gate only forbids *new* failures; an agent's patch must also turn the issue's own tests green,
    so they run last, in the same worktree and the same project environment, once every other gate passed.
    """

    name = "issue-tests"
    needs = "green"

    def run(self, ctx: GateContext) -> GateReport:
        present = [t for t in dict.fromkeys(ctx.options.issue_tests) if _test_file(ctx.tree, t)]
        if not present:
            return GateReport(name=self.name, passed=True, skipped=True, detail="none of the named tests exist")
        root = Path(ctx.repo.working_tree_dir or ctx.tree)
        settings = ctx.tests
        try:
            environment = confined(
                resolve_environment(root, settings, tree=ctx.tree, progress=_progress, changed=ctx.candidate.touched),
                ctx.repo,
                settings,
            )
            run = run_pytest(ctx.tree, present, settings.timeout, environment, settings.pass_env)
        except EnvironmentBuildError as exc:
            return GateReport(
                name=self.name, passed=False, findings=[Finding(rule="issue-tests.not-run", message=str(exc))]
            )
        except sandbox.SandboxUnavailable as exc:
            return _no_sandbox(self.name, exc)
        blocked = blocked_findings(run)
        if run.harness:
            return _not_started(run, self.name)
        if run.problem or not run.ran:
            return GateReport(
                name=self.name,
                passed=False,
                detail=run.output[-1500:],
                findings=[
                    Finding(
                        rule="issue-tests.not-run", message=run.problem or _not_run(run, present, environment).message
                    ),
                    *blocked,
                ],
            )
        findings = [
            Finding(rule="issue-tests.failing", path=path, line=line, message=f"{test_id} still fails: {message}")
            for test_id, (path, line, message) in run.failures.items()
        ]
        findings += blocked
        return GateReport(
            name=self.name,
            passed=not _errors(findings),
            findings=findings,
            detail=run.output[-1500:] if findings else f"{run.passed} passed: {', '.join(present)}",
        )


def _test_file(tree: Path, test_id: str) -> bool:
    """Whether ``test_id`` names a test file inside ``tree`` (never an option or a path outside it)."""
    path = test_id.split("::")[0]
    if (
        test_id.startswith("-")
        or not path
        or posixpath.normpath(path) != path
        or path.startswith(("/", "../", ".git/"))
    ):
        return False
    return (tree / path).is_file() and (tree / path).resolve().is_relative_to(tree.resolve())


def tests_gate(
    repo: git.Repo,
    base: str,
    candidate: Candidate,
    tree: Path,
    options: ReviewOptions,
    settings: TestSettings,
    rules: TestRules,
    baseline: Baseline | None = None,
    progress: Progress = lambda _line: None,
) -> GateReport:
    """Run the selected tests on the candidate; on failure, tell new failures from ones the base had.

    Zero tests that ran is never a pass. With tests off, none related, or none runnable, every changed
    library module is still imported in the project's environment. A ``baseline`` shared by the reviews of
    several candidates answers each base question (collect, rerun) once and keeps this candidate's outcomes.
    """
    root = Path(repo.working_tree_dir or tree)
    timeout, test_globs = settings.timeout, rules.paths
    if options.tests == "none":  # a fast hook: no tests, and no environment built for them
        found = resolve_environment(root, settings, tree=tree, build=False, changed=candidate.touched)
        if found.kind == "built" and not (found.python and found.python.is_file()):
            found = own_environment()  # not built yet, and tests off build nothing: failing imports compare to the base
        environment = confined(found, repo, settings)
        return _imports_only(repo, base, candidate, tree, test_globs, environment, settings, timeout, TESTS_OFF)
    folder = project_folder(tree, candidate.touched)  # a monorepo's project: its own tests
    selection = within(select_tests(tree, candidate, options, test_globs, base=partial(file_at, repo, base)), folder)
    tests = selection.files
    reshapes = any(shapes_environment(p) for p in candidate.touched)  # what the environment is made of
    is_test = partial(matches, patterns=test_globs)
    if not (tests or reshapes or importable_modules(tree, candidate, is_test) or native_sources(candidate)):
        # a README, a docs page: nothing to run, import or install, so no environment is built for it (minutes)
        return GateReport(name="tests", passed=True, detail=NO_RELATED, checked=NO_RELATED)
    try:
        found = resolve_environment(root, settings, tree=tree, progress=_progress, changed=candidate.touched)
        environment = confined(found, repo, settings)
    except EnvironmentBuildError as exc:
        return _no_environment(exc)
    base_environment = environment  # the base's tests run in the base's environment: its packages, not the change's
    if environment.kind == "built" and reshapes:
        with _base_answers(repo, base, baseline, options.reuse_worktrees) as ask:
            made = partial(_base_environment, root, settings, repo, environment.packages_as_of, candidate.touched)
            base_environment = ask(("environment",), made) or environment
        if (changed := envchange.changes(base_environment, environment)) and options.tests != "all":
            # every test judges a change to what the code runs on (attrs>=22 pinned to 20.3.0: no module changed)
            everything = within(
                select_tests(tree, candidate, options.model_copy(update={"tests": "all"}), test_globs), folder
            )
            because = f"the change's packages: {first_few(changed)}"
            selection = dataclasses.replace(everything, reasons=dict.fromkeys(everything.files, because))
            tests = selection.files
    imports_only = partial(_imports_only, repo, base, candidate, tree, test_globs, environment, settings, timeout)
    if not tests:
        if native := native_not_rebuilt(candidate, tree, environment):  # nothing ran what the change compiles into
            return imports_only(NO_RELATED, *native).model_copy(update={"skipped": True})
        return imports_only(NO_RELATED, *left_out(tree, environment, base_environment))

    renames = {f.old_path: f.path for f in candidate.files if f.status == "renamed" and f.old_path}
    was = {new: old for old, new in renames.items()}

    def rerun(files: list[str], base_tree: Path) -> TestRun:  # these tests on the base (a renamed one at its old path)
        present = [t for t in dict.fromkeys(was.get(t, t) for t in files) if (base_tree / t).is_file()]
        if not present:
            return TestRun({}, 0)
        progress(f"tests: {_files(present)} on the base, to compare")
        return as_renamed(run_pytest(base_tree, present, timeout, base_environment, settings.pass_env), renames)

    progress(f"tests: {_files(tests)} on the change")
    run = run_pytest(tree, tests, timeout, environment, settings.pass_env)
    blocked = blocked_findings(run)
    note = "" if settings.sandbox == "on" else 'ran WITHOUT a sandbox (sandbox = "off"); '
    if run.harness:
        return _not_started(run)
    if run.problem:  # pytest cannot run here at all, or did not finish: can it on the base?
        with _base_answers(repo, base, baseline, options.reuse_worktrees) as ask:  # once for all of select's
            base_run = ask(("run", *tests), partial(rerun, tests))
        if base_run.harness:
            return _not_started(base_run)
        # what the sandbox stopped is the suite's own where the base's run tried it too (pip-tools' tests write into
        # the environment's venv/src on every commit, and ran past the timeout on both sides: it was blocked)
        blocked = blocked_findings(run, base_run)
        # a run past its time is the change's when the base finishes the same files (a loop it added); cachelib's
        # version bump selected all its tests, which wait on servers absent here on every commit, and was blocked
        if base_run.problem or (not base_run.ran and not run.timed_out):
            return _base_cannot_run(f"{run.problem}; on the base too" if run.timed_out else run.problem, *blocked)
        if run.timed_out:
            run = dataclasses.replace(run, problem=f"{run.problem}; on the base they finished ({base_run.ran} ran)")
        return imports_only(note + run.output[-1500:], Finding(rule="tests.not-run", message=run.problem), *blocked)
    if baseline is not None:
        baseline.record(candidate.diff, Outcomes(dict(run.outcomes), tuple(tests)))
    # The base's tests of the same files (and of test files renamed away) must all still be collected.
    was_test = tuple(old for old in renames if is_test_file(old, test_globs))
    on_base = list(dict.fromkeys([*was_test, *tests]))

    def collect(base_tree: Path) -> set[str] | None:
        progress(f"tests: collecting {_files(on_base)} on the base")
        ids = collect_ids(
            base_tree, [t for t in on_base if (base_tree / t).is_file()], timeout, base_environment, settings.pass_env
        )  # ids that name the worktree (a parametrized path) compare without it
        return None if ids is None else {placeless(node, base_tree) for node in ids}

    with _base_answers(repo, base, baseline, options.reuse_worktrees) as ask:
        collected = ask(("collect", *on_base), collect)
        again = _asked_of_base(run, tests, blocked)
        before = ask(("run", *again), partial(rerun, again)) if again else TestRun({}, 0)
        unjudged = uncollected_on_base(run, before, candidate)

        def here(files: list[str]) -> TestRun:
            progress(f"tests: {_files(files)} again on the change")
            return run_pytest(tree, files, timeout, environment, settings.pass_env)

        def there(files: list[str]) -> TestRun:  # not ("run", ...): that answer is the first run's
            return ask(("again", *files), partial(rerun, files))

        flaky = {} if before.problem else flaky_failures(run, before, unjudged, here, there)
    if before.problem and run.failures:  # unknown on the base: not known to be the change's (pipx's, at 600 s)
        unanswered = f"the base's run of the failing tests did not answer: {before.problem}"
        return _base_cannot_run(unanswered, *blocked_findings(run, before))

    def explained(found: list[Finding]) -> list[Finding]:  # the failures no build here could let pass
        return not_installed(built_by_the_change(found, candidate, tree), tree, environment)

    findings = [
        *left_out(tree, environment, base_environment),
        *explained(compare_to_base(run, before, flaky, unjudged)),
    ]
    added = [f.path for f in candidate.files if f.status == "added"] if not options.model_patch_rules else []
    findings.extend(blocked_findings(run, before, added))
    gone: list[Finding] = []
    if collected is not None:
        missing = partial(disappeared_tests, collected, {placeless(n, tree) for n in run.node_ids}, renames)
        gone = missing(set())
        deleted = {(f.path, name) for f in candidate.files for _, name in deleted_tests(f)}
        findings.extend(on_own_commit(missing(deleted), own=not options.model_patch_rules))  # the rest: scope's
    if not run.ran and not any(f.rule == "tests.new-failure" for f in findings):
        # none ran on the base either (skipped there too: factory_boy's SQLAlchemy tests, whose dependency only a
        # tox factor installs, skip themselves on every commit here): they judge nothing
        if not before.ran:
            return _base_cannot_run(_not_run(run, tests, environment).message, *blocked_findings(run, before))
        if unbuilt := {f.path for f in findings if f.rule in UNBUILT}:  # they need what no build here made
            kept = [f for f in findings if not (f.rule == "tests.uncollected" and f.path in unbuilt)]
            imported = imports_only(note + run.output[-1500:], *kept)
            said = explained(imported.findings)
            return imported.model_copy(update={"findings": said, "passed": not _errors(said), "skipped": True})
        why = _not_run(run, tests, environment)
        own = not run.failures and not options.model_patch_rules
        if own and gone:  # a person deleted what would have run
            removed = f"no test ran: your commit removes the {len(gone)} test(s) of the selected files"
            why = why.model_copy(update={"severity": "warning", "message": f"{removed} (the import check still ran)"})
        elif own and run.skipped and _skips_added(candidate, tests, rules):  # terminaltables': "Fails on windows"
            why = why.model_copy(update={"severity": "warning", "message": f"{why.message}, by your commit"})
            return imports_only(note + why.message, why, *findings).model_copy(update={"skipped": True})
        return imports_only(note + run.output[-1500:], why, *findings)
    findings.extend(native_not_rebuilt(candidate, tree, environment))
    detail = (
        run.output[-1500:]
        if run.failures
        else (f"{run.passed} passed in {len(tests)} file(s) ({environment.kind} environment)")
    )
    checked = (
        f"{run.ran} test(s) ran from {len(tests)} file(s) in the {environment.kind} environment: {selection.summary()}"
    )
    # no test that ran passed, and no failure is the change's: each failed on the base too, or for what no build here
    # made (pipdeptree's docs tests, on a Rust build; feedparser's test script, which this Python cannot import)
    unchecked = not run.passed and not _errors(findings)
    if unchecked:
        detail = f"none of the {run.ran} test(s) that ran passed, here or on the base, so none judged the change"
        detail += f" ({common})" if (common := common_error(run, list(run.failures))) else ""
    return GateReport(
        name="tests",
        passed=not _errors(findings),
        skipped=unchecked,
        findings=findings,
        detail=note + detail,
        checked=checked,
    )


def _base_environment(
    root: Path,
    settings: TestSettings,
    repo: git.Repo,
    as_of: str | None,
    changed: list[str],
    base_tree: Path,
) -> TestEnvironment | None:
    """The environment built from the base's own dependency files (the one the change's was, where they hold the
    same), or None where it cannot be built (a change that mends the dependencies: the base then runs in the
    change's, as before). Its packages are of the date the change's were (``as_of``): Box's release commit asked
    for a coverage newer than its era had, so its environment took today's packages, ruamel.yaml 0.19 among them,
    whose line breaks one of its tests did not expect; the base's, of the era, held 0.18, and the difference
    read as the change's break. Of one date, the two differ by what the change asks for."""
    _progress("the change edits what the environment is made of: the base's environment, to compare with")
    try:
        found = resolve_environment(root, settings, tree=base_tree, progress=_progress, as_of=as_of, changed=changed)
    except EnvironmentBuildError:
        return None
    return confined(found, repo, settings) if found.kind == "built" else None


def _no_environment(exc: EnvironmentBuildError) -> GateReport:
    """The project's environment cannot be built: said once, with the fix, and not held against the change
    (a docstring fix must not be refused because a dependency does not install); the verdict says so."""
    fix = (
        ""
        if "[tool.patchgate.tests]" in str(exc)
        else (
            "; to run them, set [tool.patchgate.tests] python = "
            '".venv/bin/python" to an environment with its dependencies'
        )
    )
    return _unchecked("tests.no-environment", " ".join(f"tests not run: {exc}{fix}".split()))


def _base_cannot_run(why: str, *sandboxed: Finding) -> GateReport:
    """The selected tests cannot run on the base commit either (an old project that does not import on this
    Python): they can judge no candidate, so that is said, as a warning, instead of rejecting every one. What the
    sandbox kept the change's code from doing (``sandboxed``) is still said, and an error there still fails."""
    said = _unchecked(
        "tests.base-broken", f"the tests cannot run on the base commit either, so they judge nothing here: {why}"
    )
    found = [*sandboxed, *said.findings]
    return said.model_copy(update={"findings": found, "passed": not _errors(found), "skipped": not _errors(found)})


def _not_started(run: TestRun, gate: str = "tests") -> GateReport:
    """The sandbox could not start pytest (its environment removed under the review): the harness failed, so the
    tests judge nothing, and the change is not blamed; run again, it is built again."""
    return _unchecked(f"{gate}.not-started", f"{run.problem}; the tests judge nothing here (run it again)", gate)


def _unchecked(rule: str, message: str, gate: str = "tests") -> GateReport:
    """A tests gate that could not check the change, for a reason that is not the change's."""
    return GateReport(
        name=gate,
        passed=True,
        skipped=True,
        detail=message[:300],
        findings=[Finding(rule=rule, severity="warning", message=message)],
    )


@contextlib.contextmanager
def _base_answers(repo: git.Repo, base: str, baseline: Baseline | None, reuse: bool) -> Iterator[Callable[..., Any]]:
    """``ask(key, compute)``: from the shared ``baseline`` when there is one, else from a worktree of its own."""
    if baseline is not None:
        yield baseline.answer
        return
    with (kept_worktree if reuse else worktree)(repo, base) as base_tree:
        yield lambda _key, compute: compute(base_tree)


def _skips_added(candidate: Candidate, tests: list[str], rules: TestRules) -> bool:
    """Whether the change itself marks a test of the selected files skipped (``tools.scope``'s added skip)."""
    weakened = (f for c in candidate.files if c.path in tests for f in weakened_tests(c, rules))
    return any(f.rule == "scope.added-skip" for f in weakened)


def _not_run(run: TestRun, tests: list[str], environment: TestEnvironment) -> Finding:
    """Why zero tests ran, and what to do about it."""
    causes = [message for _, _, message in run.failures.values()]
    if causes:
        cause = causes[0].removeprefix("cannot be collected: ")
        message = f"no test ran: {len(causes)} of {len(tests)} test file(s) cannot be collected ({cause})"
        if "No module named" in cause or "ImportError" in cause:
            message += (
                f"; the tests ran with {environment.how}" if environment.kind != "patchgate" else f"; {HOW_TO_POINT}"
            )
    elif run.skipped:
        message = f"no test ran: all {len(run.skipped)} selected test(s) were skipped ({run.skipped[0]})"
    else:
        message = f"no test ran: pytest collected nothing from {len(tests)} file(s)"
    return Finding(rule="tests.not-run", message=message)


def _imports_only(
    repo: git.Repo,
    base: str,
    candidate: Candidate,
    tree: Path,
    test_globs: list[str],
    environment: TestEnvironment,
    settings: TestSettings,
    timeout: float,
    detail: str,
    *findings: Finding,
) -> GateReport:
    """The import check in place of tests that are off, absent or could not run, with what the tests said; where
    no changed module imported, nothing executed the change, and the gate passes as not checked."""
    check = import_check(
        repo, base, candidate, tree, lambda p: matches(p, test_globs), environment, timeout, settings.pass_env
    )
    found = [*findings, *check.findings]
    said = detail if detail in (TESTS_OFF, NO_RELATED) else "no test ran"  # else detail is pytest's output
    passed = not any(f.severity == "error" for f in found)
    return GateReport(
        name="tests",
        passed=passed,
        skipped=passed and not check.imported,
        findings=found,
        detail="; ".join(x for x in (detail, check.summary) if x),
        checked="; ".join(x for x in (said, check.summary) if x),
    )


def _no_sandbox(gate: str, exc: sandbox.SandboxUnavailable) -> GateReport:
    return GateReport(
        name=gate, passed=False, detail=str(exc), findings=[Finding(rule=f"{gate}.no-sandbox", message=str(exc))]
    )


def blocked_findings(run: TestRun, before: TestRun | None = None, added: Collection[str] = ()) -> list[Finding]:
    """What the sandbox kept the change's code from doing: writes outside the worktree and the network are errors.

    A write to $HOME went to a private, discarded HOME and is only noted: tools
    legitimately keep caches there. What the same tests already tried on the base commit (``before``) is the
    suite's own habit, judged under the base's rules: a warning, not the change's error. So is a connection that a
    test file a person's commit adds (``added``) tries, where the base's tests dial the same address from their own
    files: zeroconf's new interface tests send to the mDNS group 224.0.0.251:5353 as thirteen of its files do on
    every commit, and the feature was blocked for it.
    """
    on_base = {_portless(what) for what in before.blocked} if before is not None else set()
    dialled = {_destination(what): _tested_in(what) for what in before.blocked} if before is not None else {}
    found = []
    for what in run.blocked:
        if (
            (file := _tested_in(what)) in added
            and what.startswith(sandbox.NETWORK)
            and (other := dialled.get(_destination(what)))
        ):
            said = f"sandbox: a test your commit adds tried a {what}, as the base's tests do ({other}): not judged here"
            found.append(Finding(rule="tests.sandbox-blocked", severity="warning", path=file, message=said))
        else:
            found.append(_blocked(what, on_base))
    return found


def _tested_in(what: str) -> str:
    """The test file a sandbox note names (``..., in tests/test_x.py``), or ``""``."""
    return found[1] if (found := _IN_TEST.search(what)) else ""


def _destination(what: str) -> str:
    """The address a network note names, without the test file that dialled it."""
    return _portless(_IN_TEST.sub("", what))


def _portless(what: str) -> str:
    """A sandbox note without the port a connection dialled: a test's server takes a new ephemeral port each run."""
    return _DIALLED_PORT.sub(" ", what)


def _asked_of_base(run: TestRun, tests: list[str], blocked: list[Finding]) -> list[str]:
    """The test files the base runs to judge ``run``: those of its failures, and those where the sandbox stopped
    something (httpx's timeout tests dial 10.255.255.1 on every commit: the suite's own doing, not the change's);
    every one of ``tests`` when none ran (did any on the base?) or a note names no file (an import at collection).

    Not the whole selection for a failure: python-statemachine's Django example fails to configure on every
    commit here, and each review of it ran its 1,755 tests twice (350 s, the suite alone 150 s). A failure that
    only the tests before it cause passes when its file runs again on the change (``flaky_failures``). An error the
    environment raises on the base (babel's missing locale data) fails the same tests on the change, so their files
    are among these, and the change's failure with that error is still told from a break (``compare_to_base``)."""
    if not run.ran:
        return tests
    files = {run.files.get(t, t) for t in run.failures}
    if _errors(blocked):
        if (tried := _tried_in(run)) is None:
            return tests
        files.update(tried)
    return [t for t in tests if t in files] + sorted(files.difference(tests))


def _files(files: list[str]) -> str:
    return f"{len(files):,} test file" + ("" if len(files) == 1 else "s")


def _tried_in(run: TestRun) -> list[str] | None:
    """The test files the sandbox's harmful notes name (``..., in tests/test_x.py``, written while pytest ran a
    test there); None when one names none (an import at collection), so the whole selection must run again."""
    files = []
    for what in run.blocked:
        if not what.startswith(sandbox.HARMLESS):
            if not (file := _tested_in(what)):
                return None
            files.append(file)
    return sorted(set(files))


def _blocked(what: str, on_base: set[str]) -> Finding:
    # harmless: a write that went to the private HOME, and a UDP connect (dask's get_ip points a UDP socket at
    # 8.8.8.8 to learn its own address: joblib's dask tests), which sends nothing
    harmless = what.startswith(sandbox.HARMLESS)
    if _portless(what) in on_base and not harmless:
        said = f"sandbox: the tests tried a {what}, on the base commit too (not the change's doing)"
        return Finding(rule="tests.sandbox-blocked", severity="warning", message=said)
    said = f"sandbox: the change's code tried a {what}"
    return Finding(rule="tests.sandbox-blocked", severity="note" if harmless else "error", message=said)


def _errors(findings: list[Finding]) -> bool:
    return any(f.severity == "error" for f in findings)
