"""The files a project's build writes into its own package, put into a worktree that lacks them: its version file,
its compiled extension modules, and the Python modules it generates.

setuptools-scm and hatch-vcs write ``src/pkg/_version.py`` when the project is
built or installed, and the project's ``.gitignore`` keeps it out of git, so a
worktree of any commit lacks it. The package imports it (platformdirs'
``__init__`` does ``from .version import __version__``), so without it every
test fails to collect on the base and the candidate alike, and the verdict
checks nothing. The file is copied from where the build put it: the user's own
tree (an editable install writes it there, and git does not track it) or the installed package of the
environment the tests run in. Only a file the project's pyproject.toml declares
as its version file is copied, and only to and from inside the trees: nothing
else of the user's untracked files reaches the sandbox.

A compiled extension (``pipdeptree/_rust.*.so``, LibCST's native parser) is
the same: built at install into the installed package (or in place, in the
user's tree), absent from any worktree, so the package's ``import`` of it
failed on the base and the candidate alike. Each extension module of a package
the worktree has, and lacks the module of, is copied from there. It was built
from the environment's source, not the change's: the tests gate says so when a
change edits compiled code (``NATIVE_SOURCES``).

So is a module a build generates from a grammar (omegaconf's setup.py runs ANTLR
into ``omegaconf/grammar/gen/``, which its ``.gitignore`` names): every import
of the package failed in a worktree. A module of an installed package that the
worktree lacks and git ignores there is the build's, and is copied; one git
tracks (a module the change deletes) never is. Only from installed packages:
an ignored module in the user's own tree may be theirs alone (a
``local_settings.py``).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable
from pathlib import Path, PurePosixPath

from core.git import run_git
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
    # a root holds the file at its own path (unless git tracks it there), installed packages without the source root
    places: list[tuple[Path, Callable[[str], str]]] = [(r, str) for r in roots] + [(s, _installed) for s in site]
    inside = tree.resolve()
    copied = []
    for path in version_files(tree):
        target = tree / path
        if target.exists() or not target.parent.resolve().is_relative_to(inside):
            continue
        for place, where in places:
            found = place / where(path)
            if not found.is_file() or not found.resolve().is_relative_to(place.resolve()):
                continue
            if where is not str or not _tracked(place, path):  # tracked there: the project's source, not a build's
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(found, target)
                copied.append(path)
                break
    return copied


def _tracked(root: Path, path: str) -> bool:
    """Whether git tracks ``path`` in the checkout ``root``. pipdeptree's version file is written by hatch-vcs
    until its Rust port, which tracks a ``version.py`` that asks the compiled extension for the version: copied
    from a checkout of today into a worktree of an older commit, it broke every import there."""
    return run_git(root, "ls-files", "--error-unmatch", "--", path, check=False).returncode == 0


EXTENSION_SUFFIXES = (".so", ".pyd")
# Sources a build compiles into an extension module: a change to them is not in the module the tests import.
NATIVE_SOURCES = (".c", ".h", ".cc", ".cpp", ".cxx", ".hpp", ".pyx", ".pxd", ".rs", ".go", ".zig")


def complete_extensions(tree: Path, roots: Iterable[Path], site: Iterable[Path]) -> list[str]:
    """Copy the compiled extension modules of ``tree``'s packages that it lacks from the first place that built
    them (``built_extensions``). Returns the paths copied (relative to ``tree``)."""
    copied: list[str] = []
    for package, (built, modules) in built_extensions(tree, roots, site).items():
        for module in modules:
            target = tree / package / module.relative_to(built)
            if not target.exists() and target.parent.is_dir() and not target.parent.is_symlink():
                shutil.copyfile(module, target)
                copied.append(str(PurePosixPath(package) / module.relative_to(built).as_posix()))
    return copied


def complete_modules(tree: Path, site: Iterable[Path]) -> list[str]:
    """Copy the Python modules of ``tree``'s packages that a folder of installed packages in ``site`` holds, and
    that ``tree`` lacks and git ignores there. Returns the paths copied (relative to ``tree``)."""
    found: dict[str, Path] = {}
    for package in packages(tree):
        for place in site:
            built = place / _installed(package)
            if built.is_dir() and built.resolve().is_relative_to(place.resolve()):
                for module in built.rglob("*.py"):
                    path = str(PurePosixPath(package) / module.relative_to(built).as_posix())
                    if not (tree / path).exists():
                        found.setdefault(path, module)
    copied: list[str] = []
    for path in _ignored(tree, found):
        target = tree / path
        if target.resolve().is_relative_to(tree.resolve()):
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(found[path], target)
            copied.append(path)
    return copied


def _ignored(tree: Path, paths: Iterable[str]) -> list[str]:
    """Those of ``paths`` (relative to the checkout ``tree``) that git ignores there, and does not track."""
    asked = "".join(f"{p}\0" for p in paths)
    if not asked:
        return []
    done = run_git(tree, "check-ignore", "--stdin", "-z", input=asked.encode(), check=False)
    return [p for p in done.stdout.decode(errors="replace").split("\0") if p]


def built_extensions(tree: Path, roots: Iterable[Path], site: Iterable[Path]) -> dict[str, tuple[Path, list[Path]]]:
    """For each of ``tree``'s packages, the first place that holds its compiled extension modules, and those: a
    project root in ``roots`` (an in-place build) or a folder of installed packages in ``site``."""
    places: list[tuple[Path, Callable[[str], str]]] = [(r, str) for r in roots] + [(s, _installed) for s in site]
    found: dict[str, tuple[Path, list[Path]]] = {}
    for package in packages(tree):
        for place, where in places:
            built = place / where(package)
            if not built.is_dir() or not built.resolve().is_relative_to(place.resolve()):
                continue
            if modules := [m for m in built.rglob("*") if m.suffix in EXTENSION_SUFFIXES and m.is_file()]:
                found[package] = (built, modules)
                break
    return found


def packages(tree: Path) -> list[str]:
    """The top-level packages of ``tree`` (folders with an ``__init__.py``, at the root or under a source root)."""
    found = []
    for base in ("", *SOURCE_ROOTS):
        folder = tree / base
        if folder.is_dir() and not folder.is_symlink():
            found += [
                f"{base}{d.name}" for d in folder.iterdir() if (d / "__init__.py").is_file() and not d.is_symlink()
            ]
    return found


def site_packages(python: Path) -> list[Path]:
    """The site-packages folders of the virtual environment (or prefix) ``python`` belongs to."""
    return sorted((python.parent.parent / "lib").glob("python3*/site-packages"))


def has_module(python: Path, name: str) -> bool:
    """Whether the top-level module ``name`` (a package's folder, or one file) is in ``python``'s site-packages:
    read from the files, nothing of the environment run."""
    return any((site / name).is_dir() or (site / f"{name}.py").is_file() for site in site_packages(python))


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
