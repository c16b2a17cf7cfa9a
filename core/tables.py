"""Nested tables of a project's TOML (its pyproject.toml), which is the project's text: any level may be absent
or not a table, and reading it must never raise."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any


def pyproject_of(tree: Path) -> dict[str, Any]:
    """``tree``'s pyproject.toml as data; empty when it is absent, not UTF-8 or not TOML."""
    return toml_file(tree / "pyproject.toml")


def toml_file(path: Path) -> dict[str, Any]:
    """The TOML file at ``path`` as data; empty when it is absent, not UTF-8 or not TOML."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}


def table_at(data: Any, *keys: str) -> dict[str, Any]:
    """``data[k1][k2]...`` where every level is a table, else an empty table."""
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data if isinstance(data, dict) else {}
