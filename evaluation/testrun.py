"""Run an instance's tests the way the harness does, sandboxed, and grade the log with the harness's rules.

The tree under test is installed over the instance's cached environment
(``tools.overlay``), then the spec's test command runs over the test directives
of the test patch (``bin/test -C --verbose sympy/core/tests/test_x.py``,
``./tests/runtests.py ... utils_tests.test_text``, ``pytest -rA tests/test_x.py``),
and the repository's parser reads the log (``evaluation.harness``).

Three outcomes are not about the patch, and each says why in one line:
``error`` when no FAIL_TO_PASS test ran at all (collection failed, the runner
crashed, the tests ran past the timeout); ``env_failed`` when a failing graded test
needed the network this machine does not have. Otherwise the harness's grading
decides between resolved and unresolved. (A run that collected nothing because
the prediction itself broke it, its traceback naming a file the prediction
changed, or because the tests import a name the repository's own code does not
define yet, is the patch's failure, as the harness judges it:
``evaluation.instance`` calls it unresolved.)
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from core.secrets import allowed_env
from evaluation.dataset import Instance
from evaluation.harness import HarnessSpec, directives_of, grade, parse_log
from tools.overlay import Overlay
from tools.sandbox import Confinement

NETWORK = re.compile(
    r"(ConnectionError|ConnectionRefusedError|NewConnectionError|MaxRetryError|URLError|gaierror"
    r"|Temporary failure in name resolution|Name or service not known|Network is unreachable"
    r"|No address associated with hostname|nodename nor servname)"
)
# Where one test's report starts: pytest's and sympy's "____ name ____" headers, unittest's "ERROR: name", and
# a short-summary line "FAILED name - message" (each line of the summary is a section of its own).
SECTION = re.compile(r"(?m)^(?=_{3,} .* _{3,}\s*$|(?:ERROR|FAIL|FAILED): |FAILED |ERROR )")
# Lines that say why nothing ran, best first: an exception with its message, then the runner's own words.
CAUSES = (
    re.compile(r"\b\w+(?:Error|Exception|Exit): .*"),
    re.compile(r"(ERROR collecting.*|error: .*|No such file.*|command not found.*|\w+Error\b.*)"),
)


@dataclass
class TestResults:
    """Per-id outcome of one run, what failed, and whether the harness could judge it at all."""

    tests: dict[str, str]
    fail_to_pass_failed: list[str]
    pass_to_pass_failed: list[str]
    resolved: bool
    error: str = ""  # why no FAIL_TO_PASS test ran ('' when some did)
    network: str = ""  # a failing run's connection error, when there is one


def run_tests(
    instance: Instance, spec: HarnessSpec, env: Overlay, tree: Path, log_dir: Path, timeout: float, readable: list[Path]
) -> TestResults:
    """Run the spec's test command in ``tree`` with ``env``; its output goes to ``log_dir/test_output.txt``."""
    directives = directives_of(instance)
    command = " ".join([spec.test_cmd, *map(shlex.quote, directives)])
    code, output = run_sandboxed(["bash", "-c", command], tree, env, spec, timeout, readable)
    (log_dir / "test_output.txt").write_text(f"$ {command}\n{output}", encoding="utf-8", errors="replace")
    status = parse_log(instance.repo, output)
    resolved, f2p_failed, p2p_failed = grade(instance, status)
    tests = {
        t: status.get(t, "missing").lower() for t in dict.fromkeys([*instance.FAIL_TO_PASS, *instance.PASS_TO_PASS])
    }
    results = TestResults(tests, f2p_failed, p2p_failed, resolved and code is not None)
    if code is None:
        results.error = f"the tests ran past {timeout:.0f} s"
    elif instance.FAIL_TO_PASS and not any(t in status for t in instance.FAIL_TO_PASS):
        results.error = f"none of the FAIL_TO_PASS tests ran ({_cause(output, code, directives)})"
    if not results.resolved:
        results.network = _network(output, [*f2p_failed, *p2p_failed], ran=not results.error)
    return results


def _network(output: str, failed: list[str], *, ran: bool) -> str:
    """'<test> needs the network (<error>)' when a FAIL_TO_PASS/PASS_TO_PASS test that failed shows a
    connection error in its own report, else ''.

    Other tests' connection errors say nothing of the verdict: requests' timeout tests fail here for want
    of a network with either patch, while its FAIL_TO_PASS test fails with a TypeError. When no
    FAIL_TO_PASS test ran at all, any connection error in the log is the likeliest cause and is named.
    """
    sections = SECTION.split(output)
    for test in failed:
        name = test.split("::")[-1].split()[0] if test.strip() else test
        for section in sections:
            head, _, _ = section.partition("\n")
            named = name and re.search(rf"(?<!\w){re.escape(name)}(?!\w)", head)
            if named and (match := NETWORK.search(section)):
                return f"{test} needs the network ({match.group(0)})"
    if not ran:
        for line in output.splitlines():
            if match := NETWORK.search(line):
                words = line.split()
                who = words[1] if len(words) > 1 and words[0] in ("FAILED", "ERROR") else "a test"
                return f"{who} needs the network ({match.group(0)})"
    return ""


def _cause(output: str, code: int, directives: list[str]) -> str:
    if not directives:
        return "the test patch names no test files"
    lines = output.splitlines()
    found = next((m.group(0) for cause in CAUSES for line in lines if (m := cause.search(line.strip()))), "")
    return f"exit {code}: {' '.join(found.split())[:200]}" if found else f"exit {code}, no test was reported"


def edit_tree(spec: HarnessSpec, tree: Path) -> None:
    """The spec's edits of the tree's own files (a version pin, ``-rA`` into tox.ini), as the harness makes
    them before installing; sandboxed, since the tree is the one under test."""
    for command in spec.tree_edits:
        run_sandboxed(["bash", "-c", command], tree, None, spec, 60, [])


def run_sandboxed(
    cmd: list[str], tree: Path, env: Overlay | None, spec: HarnessSpec, timeout: float, readable: list[Path]
) -> tuple[int | None, str]:
    """Run code from a prediction: (exit code, or None at the timeout; output).

    The one place evaluation runs a prediction's code: through the project-command launcher
    (``tools.environments.execute``), in the bubblewrap sandbox with no network, the worktree and a
    scratch folder writable, everything else read-only, and an allow-listed environment. SandboxUnavailable
    (exit 2, with how to enable it) when bubblewrap cannot start: never unsandboxed behind the user's back.
    """
    from tools.environments import execute

    scratch = tree.parent / "scratch"
    scratch.mkdir(exist_ok=True)
    variables = {
        **allowed_env(os.environ),
        **spec.exports,
        **(env.env(tree) if env else {}),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "NO_COLOR": "1",
        "HOME": str(scratch),
        "TMPDIR": str(scratch),
    }
    paths = (*readable, *((env.prefix, env.base) if env else ()))
    done = execute(cmd, cwd=tree, env=variables, timeout=timeout, confine=Confinement(readable=paths))
    return done.returncode, done.output
