"""Where patchgate keeps things: the shipped policy packs and the per-repository state folder.

One module owns these names so that every layer agrees on them, and so that the
refusal to follow a symlinked state folder lives in one place.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from core.errors import InputError

STATE_DIR_NAME = ".patchgate"


def policy_dir() -> Path:
    """The folder of the policy packs shipped with patchgate (``policies``)."""
    return Path(str(resources.files("policies")))


POLICY_DIR = policy_dir()


def state_dir(root: Path) -> Path:
    """``root/.patchgate``, checked with :func:`own_dir`."""
    return own_dir(root / STATE_DIR_NAME)


def own_dir(path: Path) -> Path:
    """``path`` if patchgate may write below it: a folder or nothing yet, never a symbolic link.

    A repository can commit ``.patchgate`` as a link to anywhere; following it would let the
    repository choose where an index build writes and what it deletes.
    """
    if path.is_symlink():
        raise InputError(f"{path} is a symbolic link; patchgate never follows it (remove the link and run again)")
    if path.exists() and not path.is_dir():
        raise InputError(f"{path} is a file, not a folder; patchgate keeps its state there (move the file away)")
    return path
