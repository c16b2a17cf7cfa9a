"""How long the agent hooks take: PreToolUse on a sympy-sized tree, Stop with related tests on a flask-sized one.

    nice .venv/bin/python benchmarks/bench_agent_hooks.py [--edits 15] [--stops 5] [--work DIR]

Both repositories are synthetic (held-out projects are never used to tune): ~2,000 Python modules of ~60
lines in 40 packages for the PreToolUse gate (tests off, as in the agent's inner loop), and a 25-module
package with 25 test files of 20 tests each for the Stop review (related tests, in the sandbox). Each hook
runs as the agent runs it: ``python -P -m patchgate agent-hook ...`` in a fresh process with the payload on
stdin, so the times include interpreter start-up and imports. Prints median and maximum wall times, the
in-process share of the PreToolUse gate, and the load average (the machine is shared).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GIT = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "b@example.com",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "b@example.com",
}


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, env={**os.environ, **GIT})


def _module(n: int) -> str:
    functions = "".join(
        f'\n\ndef f{n}_{k}(x, y=1):\n    """Step {k}."""\n    total = x * {k} + y\n'
        f"    for i in range(3):\n        total += i\n    return total\n"
        for k in range(8)
    )
    return f'"""Module {n}."""\n\nimport math\n{functions}'


def sympy_sized(root: Path, files: int = 2000) -> Path:
    for n in range(files):
        path = root / f"pkg{n % 40}" / f"mod{n}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_module(n))
    for p in range(40):
        (root / f"pkg{p}" / "__init__.py").write_text("")
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "synthetic")
    return root


def flask_sized(root: Path) -> Path:
    for n in range(25):
        (root / "app").mkdir(parents=True, exist_ok=True)
        (root / "app" / f"mod{n}.py").write_text(_module(n))
        tests = "".join(
            f"\n\ndef test_f{n}_{k}():\n    assert mod{n}.f{n}_{k % 8}(1) == {k % 8} + 1 + 3\n" for k in range(20)
        )
        (root / "tests").mkdir(exist_ok=True)
        (root / "tests" / f"test_mod{n}.py").write_text(f"from app import mod{n}\n{tests}")
    (root / "app" / "__init__.py").write_text("")
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "synthetic")
    return root


CPU: list[float] = []  # user + system seconds of each hook process: what the wall time would be on an idle core


def _hook(root: Path, event: str, payload: dict, timeout: int) -> tuple[float, dict]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    run = subprocess.run(
        [sys.executable, "-P", "-m", "patchgate", "agent-hook", "claude-code", event, "--timeout", str(timeout)],
        cwd=root,
        input=json.dumps(payload),
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    if run.returncode != 0:
        raise SystemExit(f"hook failed: {run.stderr}")
    return elapsed, json.loads(run.stdout)


def _repeat(root: Path, event: str, payload: dict, timeout: int, runs: int) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of ``runs`` hook processes, each of which must let the change through."""
    CPU.clear()
    times = []
    for _ in range(runs):
        elapsed, answer = _hook(root, event, payload, timeout)
        assert answer == {}, answer
        times.append(elapsed)
    return times, list(CPU)


def _line(label: str, times: list[float]) -> str:
    return f"{label}: median {statistics.median(times):.2f} s, max {max(times):.2f} s over {len(times)} runs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=15)
    parser.add_argument("--stops", type=int, default=5)
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-hooks-", dir=args.work))
    print(f"load average before: {os.getloadavg()}")
    big = sympy_sized(work / "big")
    target = big / "pkg7" / "mod7.py"
    edit = {
        "cwd": str(big),
        "hook_event_name": "PreToolUse",
        "tool_name": "Edit",
        "tool_input": {
            "file_path": str(target),
            "old_string": "    total = x * 3 + y",
            "new_string": "    total = y + x * 3",
        },
    }
    times, cpu = _repeat(big, "pre-tool-use", edit, 25, args.edits)
    print(_line("PreToolUse, one-file Edit, 2,000-module tree, CLI process", times))
    print(_line("  its CPU time (user + system, the hook and the git it runs)", cpu))
    from agent.integrations.hooks import answer, parse_payload

    payload = parse_payload(json.dumps(edit))
    inner = []
    for _ in range(args.edits):
        start = time.perf_counter()
        answer("claude-code", "pre-tool-use", payload, 25)
        inner.append(time.perf_counter() - start)
    print(_line("PreToolUse, the same gate in a warm process (no start-up, no imports)", inner))

    small = flask_sized(work / "small")
    module = small / "app" / "mod3.py"
    module.write_text(module.read_text().replace('"""Step 5."""', '"""Step five."""'))
    stop = {"cwd": str(small), "hook_event_name": "Stop", "stop_hook_active": False}
    stops, cpu = _repeat(small, "stop", stop, 595, args.stops)
    print(_line("Stop, full review with related tests (20 tests), 25-module project", stops))
    print(_line("  its CPU time (user + system; sandboxed grandchildren may escape the count)", cpu))
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
