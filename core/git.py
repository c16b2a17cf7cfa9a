"""Git plumbing shared by the index, the gates and the agent.

Everything that touches a repository goes through here, so that the rules
"never write in the user's tree" and "one-line errors for bad input" live in
one place. GitPython gives us the repository object; the plumbing commands we
need in bulk (``cat-file --batch``) and the worktree's making and removal go
through ``run_git``, which stops git with the run when it is interrupted.

Inside ``git commit`` (the pre-commit hook, the pre-commit framework) git
exports ``GIT_INDEX_FILE``, ``GIT_DIR`` and friends to the hook. Inherited by
our own git calls they point a throw-away worktree at the user's index, so
opening a repository first drops every ``GIT_*`` variable of the calling
process; only the staged diff still reads the caller's index (that *is* what
the commit will record).
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from core.errors import InputError
from core.interrupts import signal_group

if TYPE_CHECKING:
    import git  # GitPython, imported where it is used: the index and query paths need only git itself

GIT_STOP_SECONDS = 10  # how long an interrupted git may take to clean up after itself before it is killed
_caller_index: Path | None = None  # GIT_INDEX_FILE of the process that called us (a commit hook), if any


def forget_caller_git_env() -> None:
    """Remove ``GIT_*`` from this process's environment, so no git call (GitPython's, a subprocess's, a test
    run's) follows the caller's index, git dir or work tree; remember the caller's index for ``staged_diff``.

    Idempotent; the environment is the process's, which is why this is done once, here, for everyone.
    """
    global _caller_index
    inherited = [name for name in os.environ if name.startswith("GIT_")]
    if "GIT_INDEX_FILE" in os.environ:
        _caller_index = Path(os.path.abspath(os.environ["GIT_INDEX_FILE"]))
    for name in inherited:
        del os.environ[name]


def git_env() -> dict[str, str]:
    """The environment for patchgate's own git processes.

    One place decides what a git subprocess inherits, so that variables a calling git exports (inside a
    hook: ``GIT_INDEX_FILE``, ``GIT_DIR``…) are handled the same for every call: they are dropped.
    """
    forget_caller_git_env()
    return dict(os.environ)


def run_git(
    cwd: Path, *args: str, input: bytes | None = None, check: bool = True
) -> subprocess.CompletedProcess[bytes]:
    """``git ARGS`` in ``cwd`` with bytes in and out: for the plumbing GitPython has no bulk form of, and for git
    that must stop when patchgate is interrupted (the worktree's, which writes where patchgate then deletes).

    A failure with ``check`` is a one-line InputError naming the command and git's last line.
    """
    try:
        proc = _run_to_its_end(["git", *args], cwd=cwd, input=input)
    except (FileNotFoundError, NotADirectoryError):
        raise InputError(f"{cwd} does not exist") from None
    if check and proc.returncode != 0:
        reason = proc.stderr.decode(errors="replace").strip().splitlines()
        raise InputError(f"git {args[0]} failed in {cwd}: {reason[-1] if reason else proc.returncode}")
    return proc


def _run_to_its_end(argv: list[str], *, cwd: Path, input: bytes | None) -> subprocess.CompletedProcess[bytes]:
    """``subprocess.run``, except that an interrupt stops git with SIGTERM and waits for it to exit.

    A ``kill`` of patchgate, an MCP client's cancel or an evaluation worker told to stop reach patchgate alone:
    git went on checking out a worktree that patchgate was deleting (a half tree and git's record of it were
    left), and ``subprocess.run`` would SIGKILL it, which leaves its lock files and a worktree locked as
    "initializing". On SIGTERM git removes what it was making. git runs in a process group of its own, so that
    the signal reaches the git processes it starts too, and patchgate alone decides when they stop.
    """
    with subprocess.Popen(
        argv,
        cwd=cwd,
        env=git_env(),
        stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        process_group=0,  # with the git processes it starts (``worktree add`` checks out in a child)
    ) as proc:
        try:
            out, err = proc.communicate(input)
        except BaseException:
            signal_group(proc.pid, signal.SIGTERM)
            try:
                proc.wait(GIT_STOP_SECONDS)
            except subprocess.TimeoutExpired:
                signal_group(proc.pid, signal.SIGKILL)
            raise
    return subprocess.CompletedProcess(argv, proc.returncode, out, err)


def git_text(cwd: Path, *args: str) -> str:
    """The stripped text output of ``git ARGS`` in ``cwd`` (InputError on failure)."""
    return run_git(cwd, *args).stdout.decode("utf-8", "surrogateescape").strip()


def open_repo(path: Path | str = ".") -> git.Repo:
    """The repository containing ``path``, or a one-line InputError."""
    import git

    forget_caller_git_env()
    try:
        return git.Repo(Path(path), search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise InputError(f"{path} is not inside a git repository") from None


def repo_root(path: Path | str = ".") -> Path:
    """The work-tree root of the repository containing ``path``.

    Asked of git itself, not GitPython: every command starts here, and importing GitPython was a tenth of
    a second of a cold ``context``.
    """
    where = Path(path)
    try:
        proc = run_git(
            where if where.is_dir() else where.parent,
            "rev-parse",
            "--is-bare-repository",
            "--show-toplevel",
            check=False,
        )
    except InputError:  # no such folder
        proc = None
    lines = proc.stdout.decode("utf-8", "surrogateescape").splitlines() if proc is not None else []
    if lines[:1] == ["true"]:
        raise InputError(f"{path} is a bare repository; patchgate needs a work tree")
    if proc is None or proc.returncode != 0 or len(lines) < 2:
        raise InputError(f"{path} is not inside a git repository")
    return Path(lines[1])


def resolve_rev(repo: git.Repo, rev: str) -> str:
    """The full commit id of ``rev``, or an InputError naming it."""
    import git

    try:
        return repo.git.rev_parse("--verify", "--quiet", f"{rev}^{{commit}}")
    except git.GitCommandError:
        raise InputError(f"no such revision: {rev}") from None


def has_commits(repo: git.Repo) -> bool:
    """Whether HEAD points at a commit (an empty repository has none)."""
    try:
        _ = repo.head.commit
    except ValueError:
        return False
    return True


def changed_paths(repo: git.Repo) -> set[str]:
    """Paths with uncommitted work: staged, unstaged, or untracked (not ignored)."""
    out = repo.git.status("--porcelain=v1", "-z", "--untracked-files=all")
    paths: set[str] = set()
    entries = iter(out.split("\0"))
    for entry in entries:
        if not entry:
            continue
        status, path = entry[:2], entry[3:]
        paths.add(path)
        if "R" in status or "C" in status:  # renames carry their source next
            paths.add(next(entries, ""))
    paths.discard("")
    return paths


def staged_diff(repo: git.Repo) -> str:
    """What ``git commit`` would record, as a binary-safe unified diff against HEAD."""
    if not has_commits(repo):
        raise InputError("the repository has no commits yet; commit once before reviewing staged changes")
    # Inside a commit hook the caller's index (``git commit -a`` uses a temporary one) is what will be recorded.
    index = {"GIT_INDEX_FILE": str(_caller_index)} if _caller_index and _caller_index.is_file() else None
    return repo.git.diff(
        "--cached", "--binary", "--no-color", "--no-ext-diff", "--full-index", env=index, strip_newline_in_stdout=False
    )  # a binary patch ends in a blank line


def uncommitted_diff(repo: git.Repo) -> str:
    """Every uncommitted change against HEAD: tracked files staged or not, and untracked files git does not ignore.

    Untracked files are added to a throw-away index in a temporary folder, never to the user's own index,
    so a new module (a person's or an agent's) is reviewed without ``git add``.
    """
    if not has_commits(repo):
        raise InputError("the repository has no commits yet; commit once before reviewing changes")
    with tempfile.TemporaryDirectory(prefix="patchgate-index-") as folder:
        index = {"GIT_INDEX_FILE": str(Path(folder) / "index")}
        repo.git.read_tree("HEAD", env=index)
        repo.git.add("-A", env=index)
        return repo.git.diff(
            "--cached",
            "--binary",
            "--no-color",
            "--no-ext-diff",
            "--full-index",
            env=index,
            strip_newline_in_stdout=False,
        )  # a binary patch ends in a blank line


def staged_bytes(repo: git.Repo, path: str) -> bytes | None:
    """The bytes of ``path`` as the commit being made records it (the caller's index inside a hook), or None."""
    import git

    index = {"GIT_INDEX_FILE": str(_caller_index)} if _caller_index and _caller_index.is_file() else None
    try:
        return bytes(repo.git.show(f":{path}", stdout_as_string=False, env=index, strip_newline_in_stdout=False))
    except git.GitCommandError:
        return None


def bytes_at(repo: git.Repo, rev: str, path: str) -> bytes | None:
    """The bytes of ``path`` at ``rev``, or None if it is not there. All of them: GitPython strips a last newline by
    default, which left a CRLF file ending in a lone CR (no TOML line ends so: terminaltables' pyproject.toml)."""
    import git

    try:
        return bytes(repo.git.show(f"{rev}:{path}", stdout_as_string=False, strip_newline_in_stdout=False))
    except git.GitCommandError:
        return None


def range_sides(repo: git.Repo, spec: str) -> tuple[str, str]:
    """The commits ``A..B`` compares (``A...B`` from their merge base); a single ``REV`` is ``REV^..REV``."""
    left, dots, right = spec.partition("...") if "..." in spec else spec.partition("..")
    if not dots:
        right_id = resolve_rev(repo, spec)
        parents = repo.commit(right_id).parents
        if not parents:
            raise InputError(f"{spec} is the first commit: it has no parent to review it against")
        return parents[0].hexsha, right_id
    right_id = resolve_rev(repo, right or "HEAD")
    left_id = resolve_rev(repo, left or "HEAD")
    if dots == "...":
        left_id = repo.git.merge_base(left_id, right_id)
    return left_id, right_id


def range_diff(repo: git.Repo, spec: str) -> tuple[str, str]:
    """The diff of a revision range ``A..B`` (or ``A...B``, or one commit ``REV``) and the base it applies to."""
    left_id, right_id = range_sides(repo, spec)
    diff = repo.git.diff(
        left_id, right_id, "--binary", "--no-color", "--no-ext-diff", "--full-index", strip_newline_in_stdout=False
    )
    return diff, left_id


def file_at(repo: git.Repo, rev: str, path: str) -> str | None:
    """The text of ``path`` at ``rev``, or None if it is not there (or not text)."""
    import git

    try:
        return repo.git.show(f"{rev}:{path}", strip_newline_in_stdout=False)
    except (git.GitCommandError, UnicodeDecodeError):
        return None
