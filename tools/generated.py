"""The version file a project's build writes into its own package, put into a worktree that lacks it.

setuptools-scm and hatch-vcs write ``src/pkg/_version.py`` when the project is
built or installed, and the project's ``.gitignore`` keeps it out of git, so a
worktree of any commit lacks it. The package imports it (platformdirs'
``__init__`` does ``from .version import __version__``), so without it every
test fails to collect on the base and the candidate alike, and the verdict
checks nothing. The file is copied from where the build put it: the user's own
tree (an editable install writes it there) or the installed package of the
environment the tests run in. Only a file the project's pyproject.toml declares
as its version file is copied, and only to and from inside the trees: nothing
else of the user's untracked files reaches the sandbox.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable
from pathlib import Path, PurePosixPath

from core.pymodules import SOURCE_ROOTS
from core.tables import pyproject_of, table_at


def version_files(tree: Path) -> list[str]:
    """The version files ``tree``'s pyproject.toml has setuptools-scm or hatch-vcs write (relative ``.py`` paths)."""
    tool = table_at(pyproject_of(tree), "tool")
    scm, hatch = table_at(tool, "setuptools_scm"), table_at(tool, "hatch", "build")
    declared = [
        scm.get("version_file"),
        scm.get("write_to"),
        table_at(hatch, "hooks", "vcs").get("version-file"),
        table_at(hatch, "targets", "wheel", "hooks", "vcs").get("version-file"),
    ]
    return list(dict.fromkeys(p for p in declared if isinstance(p, str) and _inside(p) and p.endswith(".py")))


def complete(tree: Path, roots: Iterable[Path], site: Iterable[Path]) -> list[str]:
    """Copy each declared version file ``tree`` lacks from the first place that has it: a project root in
    ``roots`` (the same path) or a folder of installed packages in ``site`` (the path without its source root,
    ``src/``). Returns the paths copied."""
    # a root holds the file at its own path; installed packages hold it without the source root
    places: list[tuple[Path, Callable[[str], str]]] = [(r, str) for r in roots] + [(s, _installed) for s in site]
    inside = tree.resolve()
    copied = []
    for path in version_files(tree):
        target = tree / path
        if target.exists() or not target.parent.resolve().is_relative_to(inside):
            continue
        for place, where in places:
            found = place / where(path)
            if found.is_file() and found.resolve().is_relative_to(place.resolve()):
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(found, target)
                copied.append(path)
                break
    return copied


def site_packages(python: Path) -> list[Path]:
    """The site-packages folders of the virtual environment (or prefix) ``python`` belongs to."""
    return sorted((python.parent.parent / "lib").glob("python3*/site-packages"))


def _installed(path: str) -> str:
    """Where an installed package holds ``path``: ``src/pkg/_version.py`` is ``pkg/_version.py``."""
    for root in SOURCE_ROOTS:
        if path.startswith(root):
            return path[len(root) :]
    return path


def _inside(path: str) -> bool:
    """A relative path that stays inside the tree (pyproject.toml is the project's, so untrusted)."""
    pure = PurePosixPath(path)
    return not pure.is_absolute() and ".." not in pure.parts and "\\" not in path
