"""The Python projects of a repository whose root is none: a monorepo's ``libs/*``, a binding's ``python/``.

A repository may keep its Python project in a folder beside others (langgraph's ``libs/langgraph``,
``libs/sdk-py`` and five more; a Rust or web project's ``python/``), with no pyproject.toml or setup.py at its root.
Everything that reads a project read the root: its tests imported a package that only the folder's install puts on
the path, its developer's ``python/.venv`` was not found, and a built environment held pytest alone. Every
review said "not checked", and a break committed through the hook. Here are those folders, and which one a
change is in, for the readers that build and run the project's tests.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Collection
from pathlib import Path

from core.tables import pyproject_of

MAX_DEPTH = 3  # libs/langgraph, sdk/python, packages/core/python: deeper ones are examples and fixtures
# folders whose projects are not the repository's own: a word of the name begins one of these (examples, test_data,
# docs, benchmarks), where ``pytest-plugin`` or ``latest`` is a project's
NOT_OWN = re.compile(r"(?:^|[-_.])(?:example|test|fixture|doc|sample|template|vendor|bench|demo)")
# what makes the root the project although it builds no package: a Django site's requirements.txt beside manage.py
ROOT_SAYS = ("setup.cfg", "tox.ini", "tox.toml", "noxfile.py", "Pipfile", "requirements*.txt", "requirements/")
# the tools whose table in pyproject.toml makes its folder a project: they build it, manage it or run its tests there
BUILDS = {"setuptools", "maturin", "poetry", "hatch", "pdm", "flit", "uv", "tox", "pytest"}
NOT_WALKED = {"node_modules", "venv", "build", "dist", "target", "__pycache__", "site-packages"}


def declares_project(folder: Path) -> bool:
    """Whether ``folder`` holds a Python project: a setup.py, or a pyproject.toml that names one (``[project]``,
    ``[build-system]``), builds, tests or manages one (``BUILDS``: cbor2's root says only where setuptools finds its
    package), not only linters' settings (a monorepo's root keeps ruff's there)."""
    if (folder / "setup.py").is_file():
        return True
    data = pyproject_of(folder)
    tools = data.get("tool", {})
    return "project" in data or "build-system" in data or bool(BUILDS & set(tools if isinstance(tools, dict) else ()))


def member_projects(tree: Path) -> list[Path]:
    """The folders of ``tree`` that hold a Python project, when its root holds none (nor anything else that says
    what its code needs: an application's ``requirements.txt``, tox's or nox's file, a Pipfile): up to
    ``MAX_DEPTH`` deep, in name order, none inside another, none in hidden, example, test or documentation folders."""
    if declares_project(tree) or any(any(tree.glob(pattern)) for pattern in ROOT_SAYS):
        return []
    found: list[Path] = []

    def walk(folder: Path, depth: int) -> None:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            return
        for entry in entries:
            name = entry.name.lower()
            if not entry.is_dir(follow_symlinks=False) or name.startswith((".", "_")) or name in NOT_WALKED:
                continue
            if NOT_OWN.search(name):
                continue
            if declares_project(Path(entry.path)):
                found.append(Path(entry.path))
            elif depth < MAX_DEPTH:
                walk(Path(entry.path), depth + 1)

    walk(tree, 1)
    return found


def project_folder(tree: Path, changed: Collection[str] = ()) -> str:
    """The tree-relative folder of the project whose tests judge ``changed`` (tree-relative paths): ``""`` where the
    root is the project; the only member project; else the member that holds most of the changed files (the
    first in name order on a tie), and ``""`` where none does."""
    members = [m.relative_to(tree).as_posix() for m in member_projects(tree)]
    if len(members) == 1:
        return members[0]
    held = Counter(m for path in changed for m in members if path.startswith(f"{m}/"))
    most = max(members, key=lambda m: held[m], default="")
    return most if held[most] else ""
