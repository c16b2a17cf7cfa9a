"""Project configuration: ``[tool.patchgate]`` in pyproject.toml or ``.patchgate.toml``.

This module only finds and parses the file, in the working tree or (through a
reader) at a commit, and validates one sub-table with its pydantic model
(``extra="forbid"``); ``core.settings.resolve`` is its one caller outside the
commands, which turns the tables into the run's frozen ``RunSettings``.

    [tool.patchgate]
    model = "openai:gpt-4.1"

    [tool.patchgate.index]
    embedding_model = "/models/my-code-embedder"
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from core.errors import ConfigError

T = TypeVar("T", bound=BaseModel)

CONFIG_FILES = (".patchgate.toml", "pyproject.toml")


def load_table_from(read: Callable[[str], str | None]) -> dict[str, Any]:
    """The patchgate table as ``read(name)`` (file text or None) sees the config files, e.g. at a base commit.

    Review judges a candidate under the rules of its base, so a patch cannot
    switch off the gates that review it: the caller passes a reader of the
    base commit's files, never of the candidate's tree.
    """
    for name in CONFIG_FILES:
        text = read(name)
        if text is not None and (table := parse_table(name, text)):
            return table
    return {}


def find_config_file(root: Path) -> Path | None:
    """The first config file in ``root`` that carries patchgate settings."""
    for name in CONFIG_FILES:
        path = root / name
        if path.is_file() and _table_of(path):
            return path
    return None


def load_table(root: Path) -> dict[str, Any]:
    """The raw patchgate table of the repository at ``root`` (empty if none)."""
    path = find_config_file(root)
    return _table_of(path) if path else {}


def section(
    root: Path,
    name: str,
    model: type[T],
    overrides: dict[str, Any] | None = None,
    *,
    table: dict[str, Any] | None = None,
) -> T:
    """Validate sub-table ``name`` with ``model``; ``overrides`` (flags) win over the file.

    ``None`` values in ``overrides`` mean "flag not given" and are dropped.
    ``table`` replaces the file at ``root`` (a table read from a base commit).
    """
    sub = (load_table(root) if table is None else table).get(name, {})
    if not isinstance(sub, dict):
        raise ConfigError(f"[tool.patchgate.{name}] must be a table of settings, not {sub!r}")
    data = dict(sub)
    data.update({k: v for k, v in (overrides or {}).items() if v is not None})
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or name
        raise ConfigError(f"invalid [tool.patchgate.{name}] setting {where!r}: {first['msg']}") from None


def not_utf8(name: str) -> ConfigError:
    """The error for a config file that is not UTF-8: refused and named, never read as absent."""
    return ConfigError(f"{name} is not UTF-8 text; patchgate reads its settings from it: save it as UTF-8")


def _table_of(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise not_utf8(path.name) from None
    except OSError as exc:
        raise ConfigError(f"cannot read {path.name}: {exc}") from None
    return parse_table(path.name, text)


def parse_table(name: str, text: str) -> dict[str, Any]:
    """The patchgate table in ``text``, the contents of config file ``name`` (empty if it has none)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"cannot read {name}: {exc}") from None
    if name == "pyproject.toml":
        data = data.get("tool", {}).get("patchgate", {})
    if not isinstance(data, dict):
        raise ConfigError(f"{name}: patchgate settings must be a table")
    return data
