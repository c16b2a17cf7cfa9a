"""A wall-clock bound on a hook's work, so the agent always gets an answer before its own hook timeout.

The bound raises in the main thread (SIGALRM), so every ``with`` block on the way out runs: a worktree is
removed, a test subprocess is killed by ``subprocess.run``, a lock is released. Nothing is left behind.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from types import FrameType


def since_start() -> float:
    """Seconds since this process started (0 where /proc is missing): start-up and imports count against a
    hook's bound too, and on a loaded machine they can take seconds."""
    try:
        fields = Path("/proc/self/stat").read_text().rpartition(")")[2].split()
        uptime = float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0.0
    return max(0.0, uptime - int(fields[19]) / os.sysconf("SC_CLK_TCK"))


class DeadlineExceeded(Exception):
    """The work did not finish within its bound."""


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Raise DeadlineExceeded in this (main) thread once ``seconds`` have passed."""

    def expire(signum: int, frame: FrameType | None) -> None:
        raise DeadlineExceeded(f"did not finish within {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.01))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
