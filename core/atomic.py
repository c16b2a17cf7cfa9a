"""Replace a file in one step: a reader sees the old content or the new, never half a file.

Every file patchgate writes for a person (a completed source file, a hook, a patch, SARIF, an index pointer)
goes through here, so a crash, a full disk or Ctrl-C leaves what the user had.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write_bytes(path: Path, data: bytes, *, mode: int | None = None) -> Path:
    """Write ``data`` to ``path`` through a temp file in the same folder, fsync'd, then ``os.replace``.

    The file keeps its permissions unless ``mode`` is given; a missing parent folder is created.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if mode is None and path.exists():
        mode = path.stat().st_mode & 0o7777
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: Path, text: str, *, mode: int | None = None) -> Path:
    """``atomic_write_bytes`` for text, as UTF-8 with the newlines exactly as given."""
    return atomic_write_bytes(path, text.encode("utf-8"), mode=mode)
