"""Ctrl-C (or a SIGTERM from kill, timeout or a CI runner) in the middle of a run: no worktree left behind,
the user's tree unchanged."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from agentkit import ISSUE, tree_state

SLOW_FIX = (
    "calc.py\n<<<<<<< SEARCH\n    return a - b\n=======\n    import time\n    time.sleep(60)\n"
    "    return a + b\n>>>>>>> REPLACE\n"
)


def worktrees(repo: Path) -> list[str]:
    out = subprocess.run(["git", "worktree", "list", "--porcelain"], cwd=repo, capture_output=True, text=True).stdout
    return [line.split(" ", 1)[1] for line in out.splitlines() if line.startswith("worktree ")]


@pytest.mark.parametrize("stop", ["ctrl-c", "sigterm"])
def test_ctrl_c_while_gating_leaves_no_worktree_and_an_unchanged_tree(scripted, calc_repo: Path, stop: str) -> None:
    scripted.edits = [SLOW_FIX]
    before = tree_state(calc_repo)
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    env.pop("PATCHGATE_MODEL", None)
    proc = subprocess.Popen(
        [sys.executable, "-P", "-m", "patchgate", "solve", ISSUE, "--model", scripted.spec, "--apply", "--yes"],
        cwd=calc_repo,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    seen: list[str] = []
    while time.monotonic() < deadline and proc.poll() is None:
        seen = [w for w in worktrees(calc_repo) if Path(w) != calc_repo]
        if seen:
            break
        time.sleep(0.05)
    assert seen, "the run never reached the gates"
    time.sleep(0.5)  # let the gate get going
    if stop == "ctrl-c":
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal does on Ctrl-C: the whole process group
    else:
        proc.terminate()  # what kill and timeout do: SIGTERM to patchgate alone
    try:
        _, stderr = proc.communicate(timeout=90)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # leave no stray process behind, then fail
        raise AssertionError(f"solve did not stop within 90 s of {stop}") from None
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # a sandboxed test the signal did not reach
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr
    assert worktrees(calc_repo) == [str(calc_repo)]
    assert not any(Path(w).exists() for w in seen)
    assert tree_state(calc_repo) == before
