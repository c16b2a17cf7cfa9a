"""The built environments' disk budget: the least recently used go first, never one in use.

Environments pile up, one per project and per change of its dependency files, a few hundred megabytes each: this
machine's cache grew to 559 of them, 21 GB, and the disk filled. ``tools.envbuild`` records each one's size when
it is finished and marks each use (the mtime of its ``ready`` or ``failed`` marker); after a new one is built, the
gates' caller has the least recently used removed until those left fit in ``KEPT_BYTES``.

A process that uses an environment holds a reader's lock on its ``in-use`` file until it exits (``lease``), and
one is removed only under the writer's: one was removed under a 12-minute review, its change's tests "could not
run", and the commit was blocked. An hour's guard of time stood in for the lock before, and no guard of time is
long enough for every suite.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from core.locks import Timeout, exclusive, share_until_exit, unshared

KEPT_BYTES = 10 * 2**30  # what the gates' built environments may hold before the least recently used go


def lease(home: Path) -> None:
    """Keep the environment at ``home`` from removal while this process may use it (until it exits)."""
    share_until_exit(home / "in-use")


def record_size(home: Path) -> int:
    """Measure the environment at ``home`` and record its size (once it is finished)."""
    size = _disk_bytes(home)
    (home / "size").write_text(f"{size}\n", encoding="utf-8")
    return size


def evict(cache: Path, kept_bytes: int, progress: Callable[[str], None]) -> list[Path]:
    """Remove the least recently used environments of ``cache`` (ready or failed; the mtime of that marker) until
    those left hold at most ``kept_bytes``, and those never finished; the most recently used always stays, and so
    does one in use (leased) or being built (under its lock). Each goes by a rename first, so no reader ever finds
    half of one; what went is returned."""
    folders = [h for h in cache.iterdir() if h.is_dir() and not h.name.startswith(".")]
    # one never finished (a build stopped by Ctrl-C, or by a full disk) holds nothing usable
    gone = [h for h in folders if last_used(h) is None and _remove(h)]
    homes = sorted((h for h in folders if last_used(h) is not None), key=lambda h: last_used(h) or 0.0, reverse=True)
    if unmeasured := sum(not (home / "size").is_file() for home in homes):  # this machine's 559 took 118 s
        progress(f"measuring {unmeasured} environment(s) made before their sizes were recorded (once)")
    held = 0
    for number, home in enumerate(homes):
        held += _recorded_bytes(home)  # once over, every older one goes, but for one in use
        if number and held > kept_bytes and _remove(home):
            gone.append(home)
    if gone:
        progress(
            f"removed {len(gone)} environment(s) not used lately, to keep {cache} under {kept_bytes / 2**30:.3g} GB"
        )
    return gone


def _remove(home: Path) -> bool:
    """Remove the environment at ``home`` unless a process holds its lock (building or starting to use it) or its
    lease (using it)."""
    trash = home.with_name(f".evicted-{home.name}")
    try:
        with exclusive(home / "lock", wait_s=0), unshared(home / "in-use"):
            home.rename(trash)
    except (Timeout, OSError):
        return False
    shutil.rmtree(trash, ignore_errors=True)
    return True


def last_used(home: Path) -> float | None:
    """When the environment at ``home`` was last built or used (its marker's mtime); None for one not finished."""
    for marker in ("ready", "failed"):
        try:
            return (home / marker).stat().st_mtime
        except OSError:
            continue
    return None


def _recorded_bytes(home: Path) -> int:
    """The bytes ``home`` holds: as recorded when it was finished, or, for one made before sizes were, measured
    (and recorded) now."""
    with contextlib.suppress(OSError, ValueError):
        return int((home / "size").read_text(encoding="utf-8"))
    with contextlib.suppress(OSError):  # a folder this process cannot write: measured again next time
        return record_size(home)
    return _disk_bytes(home)


def _disk_bytes(folder: Path) -> int:
    """The bytes of the files under ``folder`` on disk, links not followed and each hard-linked file once."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for parent, _dirs, files in os.walk(folder):
        for name in files:
            try:
                info = os.lstat(os.path.join(parent, name))
            except OSError:
                continue
            if (info.st_dev, info.st_ino) not in seen:
                seen.add((info.st_dev, info.st_ino))
                total += info.st_blocks * 512
    return total
