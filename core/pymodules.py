"""Python modules: the dotted names a file can be imported as (one rule for the import graph and test
selection), and the syntax tree of a file's text (one reader for the gates that walk it)."""

from __future__ import annotations

import ast

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


def syntax_tree(text: str | None) -> ast.Module | None:
    """``text`` parsed by this Python, or None when it is absent or does not parse (the parse gate reports that)."""
    if text is None:
        return None
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError):  # ValueError: null bytes
        return None
