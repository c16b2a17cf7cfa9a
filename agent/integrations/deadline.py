"""A wall-clock bound on a hook's work, so the agent always gets an answer before its own hook timeout.

The bound raises in the main thread (SIGALRM), so every ``with`` block on the way out runs: a worktree is
removed, a test subprocess is killed by ``subprocess.run``, a lock is released. Nothing is left behind.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from types import FrameType


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
