"""The dotted names a Python file can be imported as: one rule for the import graph and test selection."""

from __future__ import annotations

SOURCE_ROOTS = ("src/", "lib/", "python/")


def module_names(path: str) -> list[str]:
    """The dotted names a Python file can be imported as (with and without a source root)."""
    stem = path[:-3] if path.endswith(".py") else path
    if stem.endswith("/__init__"):
        stem = stem[: -len("/__init__")]
    names = [stem.replace("/", ".")]
    for root in SOURCE_ROOTS:
        if stem.startswith(root):
            names.append(stem[len(root) :].replace("/", "."))
    return names
