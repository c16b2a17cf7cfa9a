"""Python modules: the dotted names a file can be imported as (one rule for the import graph and test
selection), the folders a tree's code is imported from, and the syntax tree of a file's text (one reader for the
gates that walk it)."""

from __future__ import annotations

import ast
from pathlib import Path, PurePosixPath

from core.tables import pyproject_of, table_at

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


def import_roots(tree: Path) -> list[Path]:
    """The folders of ``tree`` its Python code is imported from, besides ``tree`` itself: ``src/`` where there is
    one, and those the build declares: setuptools' ``packages.find`` ``where`` and ``package-dir`` root, maturin's
    ``python-source``. cbor2's Rust port keeps its package in python/cbor2, which only the build puts on the path:
    no test imported it, on any commit, and nothing was checked."""
    pyproject = pyproject_of(tree)
    setuptools = table_at(pyproject, "tool", "setuptools")
    where = table_at(setuptools, "packages", "find").get("where")
    declared = [
        *(where if isinstance(where, list) else []),
        table_at(setuptools, "package-dir").get(""),
        table_at(pyproject, "tool", "maturin").get("python-source"),
    ]
    roots = [tree / "src"] if (tree / "src").is_dir() else []
    for named in declared:
        if not isinstance(named, str) or named.strip("./") == "" or PurePosixPath(named).is_absolute():
            continue
        folder = tree / named
        if (
            ".." not in PurePosixPath(named).parts
            and folder.is_dir()
            and folder.resolve().is_relative_to(tree.resolve())
        ):
            roots.append(folder)
    return list(dict.fromkeys(roots))


def syntax_tree(text: str | None) -> ast.Module | None:
    """``text`` parsed by this Python, or None when it is absent or does not parse (the parse gate reports that)."""
    if text is None:
        return None
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError):  # ValueError: null bytes
        return None
