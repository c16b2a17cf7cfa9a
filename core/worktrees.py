"""The worktrees a review works in: fresh ones, and ones kept between reviews, each with its submodules' files.

A fresh ``git worktree add`` writes every file of the repository and removing
it deletes them again; on a project with thousands of files that is most of a
hook's time, although consecutive commits differ in a handful of files. So a
review borrows a worktree from a small pool of the repository's own (each
held under a lock, so concurrent reviews never share one), moves it to the
commit with ``git checkout --force`` (git rewrites only the files that
differ), and on return resets it and removes everything untracked. When every
kept worktree is busy, or the pool cannot be used, a fresh throw-away worktree
(``worktree``) is used instead: slower, never wrong. Either kind is given the
files of the repository's submodules from the user's own clones of them
(``core.submodules``): a test that reads fixtures kept in a submodule runs.

The pool lives in the temporary folder, one private folder per user and
repository, never in the repository or its ``.git`` (the sandbox keeps those
read-only, and the user never sees it in ``git status``; ``git worktree list``
does show the kept worktrees). Pools of repositories that are gone are deleted
by the next review.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import git
from filelock import FileLock, Timeout

from core.errors import InputError
from core.git import resolve_rev, run_git
from core.locks import exclusive
from core.submodules import fill_submodules

LOW_DISK = 64 * 2**20  # bytes free below which a failed checkout is said to be the disk's

SLOTS = 3  # a review holds at most two at once (the candidate and its base); one more for a concurrent run


@contextlib.contextmanager
def kept_worktree(repo: git.Repo, rev: str = "HEAD") -> Iterator[Path]:
    """A worktree of ``rev`` from the repository's pool (see the module docstring), or a fresh one."""
    commit = resolve_rev(repo, rev)
    pool = _pool(repo)
    for slot in range(SLOTS if pool is not None else 0):
        assert pool is not None
        lock = FileLock(pool / f"{slot}.lock")
        try:
            lock.acquire(timeout=0)
        except Timeout:
            continue
        try:
            path = pool / str(slot)
            if not _checkout(repo, path, commit):
                break
            try:
                yield path
            finally:
                _clean(path)
            return
        finally:
            lock.release()
    with worktree(repo, commit) as tree:
        yield tree


@contextlib.contextmanager
def worktree(repo: git.Repo, rev: str = "HEAD") -> Iterator[Path]:
    """A detached, throw-away worktree of ``rev``; removed on exit, error or Ctrl-C.

    The user's working tree and index are never touched: all work on a
    candidate happens here.
    """
    commit = resolve_rev(repo, rev)
    parent = Path(tempfile.mkdtemp(prefix="patchgate-wt-"))
    path = parent / "tree"
    try:
        with worktree_admin(repo):
            made = run_git(
                Path(repo.working_dir), "worktree", "add", "--detach", "--quiet", str(path), commit, check=False
            )
    except BaseException:  # Ctrl-C during the checkout: leave no half-made worktree behind
        _discard(repo, parent)
        raise
    if made.returncode != 0:
        free = shutil.disk_usage(parent.parent).free
        _discard(repo, parent)
        detail = " ".join(made.stderr.decode(errors="replace").split())[:200]
        if free < LOW_DISK:  # git says only "unable to write file" and "could not reset index file"
            detail = f"no space left on the disk of {parent.parent} ({free // 2**20} MB free); {detail}"
        raise InputError(f"cannot check out {rev} into a worktree: {detail}")
    try:
        fill_submodules(Path(repo.common_dir), Path(repo.working_dir), path, commit)
        yield path
    finally:
        try:
            with worktree_admin(repo):
                run_git(Path(repo.working_dir), "worktree", "remove", "--force", str(path), check=False)
        finally:  # a Ctrl-C during the removal (the run's own, or a second one) still leaves nothing behind
            _discard(repo, parent)


def _discard(repo: git.Repo, parent: Path) -> None:
    """Delete a worktree's folder and let git forget it."""
    shutil.rmtree(parent, ignore_errors=True)
    with worktree_admin(repo):
        run_git(Path(repo.working_dir), "worktree", "prune", check=False)


@contextlib.contextmanager
def worktree_admin(repo: git.Repo) -> Iterator[None]:
    """Hold the repository's worktree lock: concurrent ``git worktree add`` and ``prune`` (two reviews, or
    parallel evaluation workers, on one repository) otherwise delete each other's administrative folders,
    and the checkout fails with "Could not write new index file"."""
    with exclusive(worktree_lock(Path(repo.common_dir))):
        yield


def worktree_lock(common_dir: Path) -> Path:
    """The worktree lock of the repository whose common git dir is ``common_dir``: inside patchgate's own folder
    there (policies and caches live there too), never loose in .git."""
    return common_dir / "patchgate" / "worktrees.lock"


def _pool(repo: git.Repo) -> Path | None:
    """This user's private pool folder for the repository, or None when it cannot be made safely."""
    key = hashlib.sha256(str(Path(repo.common_dir).resolve()).encode()).hexdigest()[:16]
    pool = Path(tempfile.gettempdir()) / f"patchgate-kept-{os.getuid()}" / key
    try:
        for folder in (pool.parent, pool):
            folder.mkdir(mode=0o700, exist_ok=True)
            info = folder.lstat()
            if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
                return None  # a link, or someone else's folder in a shared /tmp: never check code out there
            if info.st_mode & 0o077:
                folder.chmod(0o700)
        (pool / "repository").write_text(str(Path(repo.common_dir).resolve()), encoding="utf-8")
    except OSError:
        return None
    _forget_gone(pool.parent)
    return pool


def _forget_gone(root: Path) -> None:
    """Delete the pools of repositories that no longer exist (a clone deleted, a test's repository)."""
    for pool in root.iterdir():
        try:
            gone = not Path((pool / "repository").read_text(encoding="utf-8")).exists()
        except OSError:
            continue  # being made right now, or not a pool
        if gone:
            shutil.rmtree(pool, ignore_errors=True)


def _checkout(repo: git.Repo, path: Path, commit: str) -> bool:
    """Bring the kept worktree at ``path`` to ``commit`` (made on first use); False if it cannot be."""
    try:
        if (path / ".git").is_file():
            kept = git.Repo(path)
            kept.git.checkout("--detach", "--force", "--quiet", commit)
            kept.git.clean("-fdxq")
        else:
            shutil.rmtree(path, ignore_errors=True)
            with worktree_admin(repo):
                repo.git.worktree("prune")
                repo.git.worktree("add", "--detach", "--quiet", str(path), commit)
        fill_submodules(Path(repo.common_dir), Path(repo.working_dir), path, commit)
        return True
    except (git.GitCommandError, git.InvalidGitRepositoryError, OSError):
        shutil.rmtree(path, ignore_errors=True)
        return False


def _clean(path: Path) -> None:
    """Undo what a review did in the kept worktree (the patch, files tests wrote)."""
    try:
        kept = git.Repo(path)
        kept.git.reset("--hard", "--quiet")
        kept.git.clean("-fdxq")
    except (git.GitCommandError, git.InvalidGitRepositoryError, OSError):
        shutil.rmtree(path, ignore_errors=True)  # the next use makes it again
