"""A review's checkout gets the files of the repository's submodules, from the user's own clones of them.

``git worktree add`` leaves every submodule an empty folder. A project that keeps its test fixtures (or a
vendored package) in a submodule then fails those tests on the base and on the change alike, and the tests gate
calls that failure pre-existing: a change that breaks what the fixtures check passed with nothing checked. The
user's checkout has the submodules' objects (``git submodule update --init`` put them in ``.git/modules``), so
each worktree is given the files of the commit each gitlink records, from there: ``git archive`` of that commit,
unpacked with tarfile's ``data`` filter (nothing outside the folder, no devices). Nothing is fetched (a review
never reaches a network), and the user's submodules are only read. A submodule the user never initialized, or
whose recorded commit their clone lacks, stays empty, as it is in their own checkout. Left out: files a
submodule's own ``.gitattributes`` marks ``export-ignore``, which ``git archive`` omits (git 2.42's
``--attr-source`` could lift that; this machine's git is 2.39).
"""

from __future__ import annotations

import io
import shutil
import tarfile
from pathlib import Path, PurePosixPath

from core.git import run_git

GITLINK = "160000"


def fill_submodules(git_dir: Path, checkout: Path | None, tree: Path, commit: str) -> None:
    """Put each submodule's files, at the commit ``commit`` records for it, into the worktree ``tree``.

    ``git_dir`` holds the repository's objects and its ``modules/`` (the common git dir); ``checkout`` is the
    user's working tree, where a submodule of the old layout keeps its own ``.git``. Submodules of submodules are
    filled the same way from the submodule's own ``modules/``.
    """
    for name, path, sha in _gitlinks(git_dir, commit):
        target = tree / path
        shutil.rmtree(target, ignore_errors=True)  # a kept worktree holds the files of the commit it was at before
        target.mkdir(parents=True, exist_ok=True)
        source = _source(git_dir, checkout, name, path, sha)
        archive = run_git(source, "archive", "--format=tar", sha, check=False) if source else None
        if source is None or archive is None or archive.returncode != 0:
            continue  # empty, as in the user's own checkout
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as files:
            files.extractall(target, filter=_inside_only)
        fill_submodules(_git_dir_of(source), checkout / path if checkout else None, target, sha)


def _inside_only(member: tarfile.TarInfo, folder: str) -> tarfile.TarInfo | None:
    """tarfile's ``data`` filter, one file at a time: a link that leads out of the folder is left out, and the rest
    of the submodule's files are still written (the filter alone stops the whole unpacking at it)."""
    try:
        return tarfile.data_filter(member, folder)
    except tarfile.FilterError:
        return None


def _gitlinks(git_dir: Path, commit: str) -> list[tuple[str, str, str]]:
    """(name, path, commit) of each submodule ``commit`` records, named in its ``.gitmodules``."""
    declared = run_git(
        git_dir,
        "config",
        "--blob",
        f"{commit}:.gitmodules",
        "-z",
        "--get-regexp",
        r"^submodule\..*\.path$",
        check=False,
    )
    if declared.returncode != 0:  # no .gitmodules (nearly every repository): nothing to fill
        return []
    names: dict[str, str] = {}
    for entry in declared.stdout.decode(errors="replace").split("\0"):
        key, _, path = entry.partition("\n")
        if key.startswith("submodule.") and key.endswith(".path") and path:
            names[path.rstrip("/")] = key[len("submodule.") : -len(".path")]
    if not names:
        return []
    listed = run_git(git_dir, "ls-tree", "-z", commit, "--", *names, check=False)
    links: list[tuple[str, str, str]] = []
    for entry in listed.stdout.decode(errors="replace").split("\0"):
        info, _, path = entry.partition("\t")
        mode, _, rest = info.partition(" ")
        if mode == GITLINK and path in names:  # ls-tree's paths are the tree's own: never outside it
            links.append((names[path], path, rest.split(" ")[-1]))
    return links


def _source(git_dir: Path, checkout: Path | None, name: str, path: str, sha: str) -> Path | None:
    """Where the user's clone of the submodule holds ``sha``: ``modules/NAME`` in the git dir, or the old layout's
    clone inside the checkout; None when neither has it."""
    candidates: list[Path] = []
    if name and ".." not in PurePosixPath(name).parts and not PurePosixPath(name).is_absolute():
        candidates.append(git_dir / "modules" / name)
    if checkout is not None:
        candidates.append(checkout / path)
    for candidate in candidates:
        if (
            candidate.is_dir()
            and run_git(candidate, "cat-file", "-e", f"{sha}^{{commit}}", check=False).returncode == 0
        ):
            return candidate
    return None


def _git_dir_of(source: Path) -> Path:
    """The git dir of a submodule's clone (its ``modules/`` holds the submodules it has in turn)."""
    found = run_git(source, "rev-parse", "--absolute-git-dir", check=False)
    return Path(found.stdout.decode().strip()) if found.returncode == 0 else source
