"""Nested tables of a project's TOML (its pyproject.toml) and INI files (setup.cfg, tox.ini), which are the project's
text: any level may be absent or not a table, and reading them must never raise."""

from __future__ import annotations

import configparser
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


def strings_in(value: Any) -> list[str]:
    """The strings of ``value`` where it is a list, else none: a list in a project's file may hold anything."""
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def table_at(data: Any, *keys: str) -> dict[str, Any]:
    """``data[k1][k2]...`` where every level is a table, else an empty table."""
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data if isinstance(data, dict) else {}


def ini_file(path: Path) -> configparser.ConfigParser | None:
    """The INI file at ``path`` read as Python's tools read it (no interpolation); None when it is absent, not
    UTF-8 or not INI."""
    try:
        return ini_text(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return None


def ini_text(text: str) -> configparser.ConfigParser | None:
    """``text`` read as an INI file (see ``ini_file``); None when it is not one."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error:
        return None
    return parser
