"""Exclusive file locks between processes: one helper over ``filelock`` for every lock patchgate takes.

Index builds, the model distillation, environment builds and git worktree administration each need
"one process at a time, released if the holder dies". ``filelock`` gives exactly that (an OS lock on
the file), so nothing here hand-rolls ``fcntl``; what is added is saying so when another process holds
the lock, so a wait never looks like a hang.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

__all__ = ["Timeout", "exclusive"]


@contextmanager
def exclusive(path: Path, busy: str | None = None, wait_s: float | None = None) -> Iterator[None]:
    """Hold the lock file ``path`` for the ``with`` block.

    If another process holds it, print ``busy`` (when given) and wait, at most ``wait_s`` seconds (None:
    as long as it takes; then ``filelock.Timeout`` is raised).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(path)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        if busy:
            from core.console import err

            err.print(busy, style="dim", markup=False)
        lock.acquire(timeout=-1 if wait_s is None else wait_s)
    try:
        yield
    finally:
        lock.release()
