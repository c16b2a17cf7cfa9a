"""Where patchgate keeps things: the shipped policy packs and the per-repository state folder.

One module owns these names so that every layer agrees on them, and so that the
refusal to follow a symlinked state folder lives in one place.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

STATE_DIR_NAME = ".patchgate"


def policy_dir() -> Path:
    """The folder of the policy packs shipped with patchgate (``patchgate.policies``)."""
    return Path(str(resources.files("patchgate.policies")))


POLICY_DIR = policy_dir()
