"""Run an instance's FAIL_TO_PASS and PASS_TO_PASS tests in its environment, sandboxed, and grade them.

pytest runs only the test files those ids live in, and the ``pytest_select``
plugin narrows that to exactly the ids and records every outcome. Grading is
SWE-bench's: a FAIL_TO_PASS test must pass (or xfail), a PASS_TO_PASS test must
pass or be skipped; a test that is missing, fails, errors or unexpectedly
passes an xfail does not count. When an id matches several parametrized tests
(ids cut at a space), all of them must pass.

This machine has no internet: a test that fails with a connection error says
nothing about the patch, so the instance is reported as ``env_failed``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from core.secrets import allowed_env
from evaluation.dataset import Instance
from evaluation.pytest_select import selects

PLUGIN = "pytest_select"
PASSING = ("passed", "xfail")
NETWORK = re.compile(
    r"(ConnectionError|ConnectionRefusedError|NewConnectionError|MaxRetryError|URLError|gaierror"
    r"|Temporary failure in name resolution|Name or service not known|Network is unreachable"
    r"|No address associated with hostname|nodename nor servname)")
_SUMMARY = re.compile(r"^(PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS) (\S+)")


@dataclass
class TestResults:
    """Per-id outcome of one run, what failed, and whether the failures were the network's."""

    tests: dict[str, str]
    fail_to_pass_failed: list[str]
    pass_to_pass_failed: list[str]
    network: str = ""  # a failing test's connection error, when there is one
    timed_out: bool = False
    collect_errors: dict[str, str] = field(default_factory=dict)

    @property
    def resolved(self) -> bool:
        return not self.fail_to_pass_failed and not self.pass_to_pass_failed and not self.timed_out


def run_tests(instance: Instance, python: Path, tree: Path, log_dir: Path, timeout: float) -> TestResults:
    """Run the instance's tests in ``tree`` with ``python``; the output goes to ``log_dir/test_output.txt``."""
    wanted = list(dict.fromkeys([*instance.FAIL_TO_PASS, *instance.PASS_TO_PASS]))
    plugin_dir = log_dir / "plugin"
    plugin_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(Path(__file__).with_name(f"{PLUGIN}.py"), plugin_dir / f"{PLUGIN}.py")
    (plugin_dir / "wanted.json").write_text(json.dumps(wanted), encoding="utf-8")
    outcomes_file = plugin_dir / "outcomes.json"
    outcomes_file.unlink(missing_ok=True)
    files = sorted({t.split("::", 1)[0] for t in wanted if (tree / t.split("::", 1)[0]).is_file()})
    source_root = tree / "src" if (tree / "src").is_dir() else tree
    # HOME and TMPDIR are the plugin folder: the sandbox makes it writable (the outcomes land there)
    env = {**allowed_env(os.environ), "PYTHONPATH": os.pathsep.join([str(plugin_dir), str(source_root)]),
           "PATCHGATE_EVAL_WANTED": str(plugin_dir / "wanted.json"), "PATCHGATE_EVAL_OUTCOMES": str(outcomes_file),
           "PYTHONDONTWRITEBYTECODE": "1", "PYTHONNOUSERSITE": "1", "NO_COLOR": "1", "HOME": str(plugin_dir),
           "TMPDIR": str(plugin_dir)}
    cmd = [str(python), "-m", "pytest", "-rA", "-p", "no:cacheprovider", "-p", PLUGIN, *files]
    if files:
        code, output = run_sandboxed(cmd, cwd=tree, env=env, timeout=timeout)
    else:
        code, output = 5, "none of the tests' files exist in the tree\n"
    (log_dir / "test_output.txt").write_text(f"$ {' '.join(cmd)}\n{output}", encoding="utf-8", errors="replace")
    recorded = _read_outcomes(outcomes_file)
    if recorded is None:  # pytest never reached the end (killed, or too old for the plugin): read its summary
        recorded = {"outcomes": {m[2]: {"outcome": m[1].lower(), "message": ""}
                                 for m in map(_SUMMARY.match, output.splitlines()) if m}, "collect_errors": {}}
    results = grade(instance, recorded["outcomes"])
    results.timed_out = code is None
    results.collect_errors = recorded["collect_errors"]
    results.network = _network_failure(results, recorded)
    return results


def grade(instance: Instance, outcomes: dict[str, dict[str, str]]) -> TestResults:
    """Each dataset id's outcome over the tests it names, and which FAIL_TO_PASS/PASS_TO_PASS ids fail."""
    tests: dict[str, str] = {}
    for wanted in dict.fromkeys([*instance.FAIL_TO_PASS, *instance.PASS_TO_PASS]):
        found = [o["outcome"] for nodeid, o in outcomes.items() if selects(wanted, nodeid)]
        tests[wanted] = _combined(found)
    f2p = [t for t in instance.FAIL_TO_PASS if tests[t] not in PASSING]
    p2p = [t for t in instance.PASS_TO_PASS if tests[t] not in (*PASSING, "skipped")]
    return TestResults(tests, f2p, p2p)


def _combined(found: list[str]) -> str:
    if not found:
        return "missing"
    for bad in ("error", "failed", "xpass"):
        if bad in found:
            return bad
    return "skipped" if "skipped" in found else found[0]


def _network_failure(results: TestResults, recorded: dict) -> str:
    failing = set(results.fail_to_pass_failed) | set(results.pass_to_pass_failed)
    messages = [(nodeid, o.get("message", "")) for nodeid, o in recorded["outcomes"].items()
                if any(selects(w, nodeid) for w in failing)]
    messages += list(recorded["collect_errors"].items())
    for nodeid, message in messages:
        if match := NETWORK.search(message):
            return f"{nodeid} needs the network ({match.group(0)})"
    return ""


def _read_outcomes(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and "outcomes" in data else None


def run_sandboxed(cmd: list[str], *, cwd: Path, env: dict[str, str], timeout: float) -> tuple[int | None, str]:
    """Run a prediction's tests: (exit code, or None at the timeout; output).

    The one place evaluation runs code from a prediction: through the project-command launcher
    (``tools.environments.execute``), in the bubblewrap sandbox with no network, the worktree and
    ``env["TMPDIR"]`` writable, everything else read-only. SandboxUnavailable (exit 2, with how to
    enable it) when bubblewrap cannot start: never unsandboxed behind the user's back.
    """
    from tools.environments import execute
    from tools.sandbox import Confinement

    done = execute(cmd, cwd=cwd, env=env, timeout=timeout, confine=Confinement())
    return done.returncode, done.output
