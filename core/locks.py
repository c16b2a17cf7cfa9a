"""File locks between processes: one helper over ``filelock`` for every lock patchgate takes.

Index builds, the model distillation, environment builds and git worktree administration each need
"one process at a time, released if the holder dies". ``filelock`` gives exactly that (an OS lock on
the file), so nothing here hand-rolls ``fcntl``; what is added is saying so when another process holds
the lock, so a wait never looks like a hang.

A built environment needs the other kind as well: any number of reviews may use it at once, and it may be
removed only while none does. ``filelock.ReadWriteLock`` (SQLite's reader and writer locks, released by the OS
when a holder dies) gives that: ``share_until_exit`` takes a reader's hold for the process's life, and
``unshared`` a writer's, at once or not at all.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, ReadWriteLock, Timeout

__all__ = ["Timeout", "exclusive", "share_until_exit", "unshared"]

_SHARED: dict[Path, ReadWriteLock] = {}  # held until the process exits


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


def share_until_exit(path: Path) -> None:
    """Hold a reader's lock on ``path`` until this process exits (once per path): a review uses its environment
    from the build's answer to its last test run, and a process is one review (the MCP server runs each in a
    child), so the process's life is the use's. Where ``path`` cannot be written (a cache read-only to this
    account) nothing is held; nor can this account remove what is there."""
    if path in _SHARED:
        return
    lock = ReadWriteLock(path)
    try:
        lock.acquire_read()
    except (OSError, sqlite3.Error):
        return
    _SHARED[path] = lock


@contextmanager
def unshared(path: Path) -> Iterator[None]:
    """Hold the writer's lock on ``path`` for the ``with`` block, or raise ``Timeout`` at once where any process
    (this one included) holds a reader's."""
    lock = ReadWriteLock(path, is_singleton=False)
    try:
        lock.acquire_write(timeout=0, blocking=False)
    except sqlite3.Error as exc:  # a database another version or tool left there: not ours to remove under
        raise Timeout(str(path)) from exc
    try:
        yield
    finally:
        lock.close()
