"""Nested tables of a project's TOML (its pyproject.toml), which is the project's text: any level may be absent
or not a table, and reading it must never raise."""

from __future__ import annotations

from typing import Any


def table_at(data: Any, *keys: str) -> dict[str, Any]:
    """``data[k1][k2]...`` where every level is a table, else an empty table."""
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data if isinstance(data, dict) else {}
