"""Project configuration: ``[tool.patchgate]`` in pyproject.toml or ``.patchgate.toml``.

Precedence is flag > environment > file > default. This module only finds and
parses the file; each component validates its own sub-table with its own
pydantic model (``extra="forbid"``), so adding a component never edits this file.

    [tool.patchgate]
    model = "openai:gpt-4.1"

    [tool.patchgate.index]
    embedding_model = "/models/my-code-embedder"
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, TypeVar

from patchgate.errors import ConfigError
from pydantic import BaseModel, ValidationError

T = TypeVar("T", bound=BaseModel)

CONFIG_FILES = (".patchgate.toml", "pyproject.toml")


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


def section(root: Path, name: str, model: type[T], overrides: dict[str, Any] | None = None) -> T:
    """Validate sub-table ``name`` with ``model``; ``overrides`` (flags) win over the file.

    ``None`` values in ``overrides`` mean "flag not given" and are dropped.
    """
    table = load_table(root).get(name, {})
    if not isinstance(table, dict):
        raise ConfigError(f"[tool.patchgate.{name}] must be a table of settings, not {table!r}")
    data = dict(table)
    data.update({k: v for k, v in (overrides or {}).items() if v is not None})
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or name
        raise ConfigError(f"invalid [tool.patchgate.{name}] setting {where!r}: {first['msg']}") from None


def _table_of(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read {path.name}: {exc}") from None
    if path.name == "pyproject.toml":
        data = data.get("tool", {}).get("patchgate", {})
    if not isinstance(data, dict):
        raise ConfigError(f"{path.name}: patchgate settings must be a table")
    return data
