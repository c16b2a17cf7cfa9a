"""How a candidate's test run compares with the base's: which failures are the change's.

The tests gate (``tools.testing``) runs the selection on the candidate and, where something failed, on the base;
these functions read the two runs side by side. A failure the base had is not the change's; nor is one of a file
the base could not collect, one that passes when its file runs again (flaky), one of a test whose base run tried
the network the sandbox cuts off, one cut at its time limit that passed on the base only slowly, or one with the
very error the base's tests already fail with (what this environment lacks). A test file the change renames is
named as the change names it, so its base run is found.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Callable

from core.console import first_few
from core.pymodules import module_names
from tools import hanglimit
from tools.candidate import Candidate
from tools.findings import Finding
from tools.pytestrun import TestRun
from tools.scope import added_tests

COMMON_ERROR_SHOWN = 200  # characters of the one error most failures share
_LIMIT = re.compile(r"within ([\d.]+) s")  # the limit a cut test's message names (tools.hanglimit)


def flaky_failures(
    run: TestRun,
    before: TestRun,
    unjudged: set[str],
    here: Callable[[list[str]], TestRun],
    there: Callable[[list[str]], TestRun],
) -> dict[str, str]:
    """The new failures that are not the change's to answer for, each with what showed it. Their files run once
    more, whole and in the same order (a failure that needs the tests before it still fails): a failure that passes
    then is flaky (mistune's "near linear" timing test, on a loaded machine, for a change to another module). One
    that fails again runs once more on the base, and a failure there too is flaky on the base (vcrpy's tests that
    record from a local server reuse a keep-alive connection the server closed, and fail with ``BrokenPipeError``
    on about half the runs of any commit: one run of the base had passed). A real break passes on the base again."""
    new = {t: run.files[t] for t in run.failures if t not in before.failures and t not in unjudged and t in run.files}
    if not new:
        return {}
    again = here(sorted(set(new.values())))
    flaky = {t: "then passed when its file ran again" for t in new if again.outcomes.get(t) is True}
    if still := {t: f for t, f in new.items() if t not in flaky}:
        on_base = there(sorted(set(still.values())))
        flaky |= {t: "and failed on the base too when its file ran again there" for t in still if t in on_base.failures}
    return flaky


def as_renamed(run: TestRun, renames: dict[str, str]) -> TestRun:
    """The base's ``run`` with its tests of files the change renames named as the change names them
    (``test/testlex.py`` is ``tests/testlex.py``, ``test.testlex.LexTests::test_x`` is ``tests.testlex.LexTests::
    test_x``), so what those files already did on the base is known: ply's reorganization moved its test scripts,
    whose module-level ``unittest.main()`` stops pytest's collection of them on every commit, and was blocked."""
    if not renames:
        return run
    modules = {module_names(old)[0]: module_names(new)[0] for old, new in renames.items()}

    def named(test_id: str) -> str:
        if test_id in renames:
            return renames[test_id]
        for old, new in modules.items():
            if test_id.startswith((old + "::", old + ".")):
                return new + test_id[len(old) :]
        return test_id

    return dataclasses.replace(
        run,
        failures={named(t): (renames.get(p, p) if p else p, line, said) for t, (p, line, said) in run.failures.items()},
        outcomes={named(t): passed for t, passed in run.outcomes.items()},
        files={named(t): renames.get(f, f) for t, f in run.files.items()},
        seconds={named(t): seconds for t, seconds in run.seconds.items()},
    )


def uncollected_on_base(run: TestRun, before: TestRun, candidate: Candidate) -> set[str]:
    """The failing tests whose file the base could not collect, and which the change does not add: they never ran
    on the base, so their failures are not known to be the change's. A 2016 iniconfig commit made its test file
    collect again (the base's used ``metafunc.addcall``) and its tests met a pytest newer than they were written
    for; a 2023 defusedxml commit let its file import without lxml, and pytest collected the abstract base class
    that its own runner leaves out. A test the change adds there still judges it."""
    added = {f.path: added_tests(f) for f in candidate.files}
    unjudged = set()
    for test_id in run.failures:
        file = run.files.get(test_id, "")
        on_base = before.failures.get(file)
        # `tests.test_a.TestA::test_b[1]`: the function, and the class when there is one
        names = {test_id.rpartition("::")[2].partition("[")[0], test_id.partition("::")[0].rpartition(".")[2]}
        if on_base and on_base[2].startswith("cannot be collected") and not names & added.get(file, set()):
            unjudged.add(test_id)
    return unjudged


def _cut_off(before: TestRun) -> set[tuple[str, str]]:
    """(file, test name) of each test that tried the network on the base, which the sandbox cuts off: its outcome
    there and here is the sandbox's. urllib3's tests that connect to a non-routable address expect the connection
    to hang until their timeout; the sandbox refuses it at once, their threads race, and ``assert ident !=
    ident`` failed on 3 of 4 commits. Only the base's tests count: a change cannot excuse its own failures so."""
    return {(node.partition("::")[0], node.rpartition("::")[2]) for node in before.dialled}


def compare_to_base(run: TestRun, before: TestRun, flaky: dict[str, str], unjudged: set[str]) -> list[Finding]:
    """New failures one finding each; a warning when it is ``flaky``, or when it fails with the very error
    (not an assertion) tests already fail with on the base: babel's tests need locale data a build step of its own
    makes, so 200 fail on every base here, and a commit whose new test, or whose code, now reaches that data was
    blocked for what the environment lacks. Failures the base already had, and those of files it could not collect
    (``unjudged``): one summary line."""
    findings, old = [], []
    base_errors = Counter(message for _, _, message in before.failures.values() if not _judges(message))
    cut = _cut_off(before)
    for test_id, (path, line, message) in run.failures.items():
        if test_id in before.failures or test_id in unjudged:
            old.append(test_id)
        elif test_id in flaky:
            # or order-dependent: django-simple-history's registry tests, which its runner runs apart from the others
            said = f"{test_id} failed, {flaky[test_id]}: flaky, or failing only beside other tests, not the change's"
            said += f": {message}"
            findings.append(Finding(rule="tests.flaky", severity="warning", path=path, line=line, message=said))
        elif (slow := _slow_on_base(message, before.seconds.get(test_id), before.outcomes.get(test_id))) is not None:
            said = (
                f"{test_id} was cut on the change ({message.strip()}); on the base it passed, in {slow:.1f} s: too "
                "slow on this machine to tell a hang from the load, so it judges nothing"
            )
            findings.append(Finding(rule="tests.too-slow", severity="warning", path=path, line=line, message=said))
        elif (run.files.get(test_id), test_id.rpartition("::")[2]) in cut:
            said = (
                f"{test_id} fails, and on the base it tried the network, which the sandbox cuts off: its outcome is "
                f"the sandbox's, so it judges nothing: {message}"
            )
            findings.append(Finding(rule="tests.network-cut", severity="warning", path=path, line=line, message=said))
        elif base_errors[message]:  # what the environment lacks (babel's locale data), which the change now needs
            said = (
                f"{test_id} fails with the error {base_errors[message]} test(s) already fail with on the base: this "
                f"environment cannot run it, so it judges nothing: {message}"
            )
            findings.append(
                Finding(rule="tests.fails-as-on-base", severity="warning", path=path, line=line, message=said)
            )
        else:
            findings.append(
                Finding(rule="tests.new-failure", path=path, line=line, message=f"{test_id} fails: {message}")
            )
    if old:
        shown = first_few(old)
        findings.append(
            Finding(
                rule="tests.pre-existing-failure",
                severity="warning",
                message=f"{len(old)} test(s) already failed on the base: {shown}"
                + (f" ({len(unjudged)} of them in file(s) it could not collect)" if unjudged else "")
                + (f"; {common}" if (common := common_error(run, old)) else ""),
            )
        )
    return findings


def _slow_on_base(message: str, seconds: float | None, passed: bool | None) -> float | None:
    """The seconds the base took to pass a test the change's run cut at its limit (``tools.hanglimit``), where they
    are more than ``QUICK``'s share of it: then the cut may be the load's. None where the test was not cut, did not
    pass on the base, or passed there quickly (the change made it hang: its failure)."""
    limit = _LIMIT.search(message) if hanglimit.HUNG in message else None
    if limit is None or not passed or seconds is None:
        return None
    return seconds if seconds * hanglimit.QUICK > float(limit[1]) else None


def common_error(run: TestRun, tests: list[str]) -> str | None:
    """The error most of ``tests`` (failures of ``run``) fail with, said, when one does: where every test fails here
    and on the base alike, that error is why nothing was judged (django-model-utils' 299 tests, each refused the
    PostgreSQL server its settings name), and the person reading the verdict needs it more than the tests' names."""
    errors = Counter(run.failures[t][2] for t in tests if t in run.failures and not _judges(run.failures[t][2]))
    if not errors:
        return None
    message, count = errors.most_common(1)[0]
    if count < 2 or count * 2 < len(tests):
        return None
    return f"{count} of them with: {message.strip().splitlines()[0][:COMMON_ERROR_SHOWN]}"


def _judges(message: str) -> bool:
    """Whether a failure's message is a test's own verdict (an assertion, or a cut for hanging: ``tools.hanglimit``),
    not an error its environment raised: two tests that fail one assertion's way say nothing of each other, and a
    loop a change adds is not the wait of a test for a server absent here, though both are cut with one message."""
    return (
        message.startswith(("assert", "AssertionError", "Failed:")) or hanglimit.HUNG in message or not message.strip()
    )
