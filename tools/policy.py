"""Load the policy packs in ``policies/`` (data, not code) and match paths against their globs.

A policy is YAML beside the code; a repository may point a review at its own
copy (``[tool.patchgate.review] policy_dir``). Globs use .gitignore syntax via
pathspec, so ``.github/**`` and ``*.lock`` mean what people expect.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import pathspec
import yaml
from patchgate.errors import ConfigError
from patchgate.paths import POLICY_DIR


@lru_cache(maxsize=32)
def _load(path: Path, mtime: float) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read policy {path}: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"policy {path} must be a mapping")
    return data


def load_policy(name: str, policy_dir: Path | None = None) -> dict[str, Any]:
    """Policy ``name`` (e.g. 'default') from ``policy_dir`` if it has one, else the shipped pack."""
    for folder in (policy_dir, POLICY_DIR):
        if folder is not None and (path := folder / f"{name}.yaml").is_file():
            return _load(path.resolve(), path.stat().st_mtime)
    raise ConfigError(f"no policy named {name!r} in {policy_dir or POLICY_DIR}")


@lru_cache(maxsize=64)
def glob_spec(patterns: tuple[str, ...]) -> pathspec.PathSpec:
    """A compiled matcher for .gitignore-style ``patterns`` (cached: policies rarely change)."""
    return pathspec.PathSpec.from_lines("gitwildmatch", patterns)


def matches(path: str, patterns: list[str] | tuple[str, ...]) -> bool:
    """Whether repository-relative ``path`` matches any of ``patterns``."""
    return bool(patterns) and glob_spec(tuple(patterns)).match_file(path)
