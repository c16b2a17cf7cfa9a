"""Python modules: the dotted names a file can be imported as (one rule for the import graph and test
selection), the folders a tree's code is imported from, and the syntax tree of a file's text (one reader for the
gates that walk it)."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from core.projects import member_projects
from core.tables import pyproject_of, strings_in, table_at

SOURCE_ROOTS = ("src/", "lib/", "python/")


def module_names(path: str, roots: Iterable[str] = ()) -> list[str]:
    """The dotted names a Python file can be imported as (with and without a source root, or one of ``roots``:
    repository-relative folders with a trailing ``/`` that a project's runs put on the path)."""
    stem = path[:-3] if path.endswith(".py") else path
    if stem.endswith("/__init__"):
        stem = stem[: -len("/__init__")]
    names = [stem.replace("/", ".")]
    for root in (*SOURCE_ROOTS, *roots):
        if stem.startswith(root):
            names.append(stem[len(root) :].replace("/", "."))
    if (at := stem.rfind("/src/")) > 0:  # a workspace member's source root: griffe's packages/griffelib/src/griffe
        names.append(stem[at + len("/src/") :].replace("/", "."))
    return list(dict.fromkeys(names))


def import_roots(tree: Path) -> list[Path]:
    """The folders of ``tree`` its Python code is imported from, besides ``tree`` itself: ``src/`` where there is
    one, and those the build declares: setuptools' ``packages.find`` ``where`` and ``package-dir`` root, maturin's
    ``python-source``. cbor2's Rust port keeps its package in python/cbor2, which only the build puts on the path:
    no test imported it, on any commit, and nothing was checked. Where the root holds no project, those of the
    projects in its folders (``core.projects``: langgraph's ``libs/*``)."""
    pyproject = pyproject_of(tree)
    setuptools = table_at(pyproject, "tool", "setuptools")
    where = table_at(setuptools, "packages", "find").get("where")
    declared = [
        *strings_in(where),
        table_at(setuptools, "package-dir").get(""),
        table_at(pyproject, "tool", "maturin").get("python-source"),
    ]
    roots = [tree / "src"] if (tree / "src").is_dir() else []
    roots += workspace_roots(tree, pyproject)
    roots += [root for member in member_projects(tree) for root in import_roots(member) or [member]]
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


def workspace_roots(tree: Path, pyproject: dict[str, object]) -> list[Path]:
    """The import roots of a uv workspace's members (``[tool.uv.workspace] members``, globs, less ``exclude``): each
    member's ``src/``, or the member's folder. griffe keeps its package in packages/griffelib/src/griffe, which
    only the workspace's install puts on the path: its tests imported nothing, on every commit."""
    workspace = table_at(pyproject, "tool", "uv", "workspace")
    left_out = {p for pattern in strings_in(workspace.get("exclude")) for p in _within(tree, pattern)}
    roots = []
    for member in (p for pattern in strings_in(workspace.get("members")) for p in _within(tree, pattern)):
        if member not in left_out and member != tree and (member / "pyproject.toml").is_file():
            roots.append(member / "src" if (member / "src").is_dir() else member)
    return roots


def _within(tree: Path, pattern: str) -> list[Path]:
    """The folders ``pattern`` (a glob, tree-relative) names inside ``tree``: ``"."`` is the tree itself (icalendar
    lists its root as its workspace's one member, which pathlib cannot glob)."""
    path = PurePosixPath(pattern)
    if path.is_absolute() or ".." in path.parts:
        return []
    if not path.parts:
        return [tree]
    root = tree.resolve()
    return sorted(p for p in tree.glob(pattern) if p.is_dir() and p.resolve().is_relative_to(root))


def syntax_tree(text: str | None) -> ast.Module | None:
    """``text`` parsed by this Python, or None when it is absent or does not parse (the parse gate reports that)."""
    if text is None:
        return None
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError):  # ValueError: null bytes
        return None
