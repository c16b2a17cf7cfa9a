"""Fixtures every test area shares: real git repositories in tmp_path."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

# The Ctrl-C tests interrupt patchgate as a terminal interrupts its foreground job. A test run started as a
# background job without job control (``cmd &`` in a script) has SIGINT ignored, and every process it starts
# would inherit that through exec, as a shell's background jobs should: the tests start theirs as a terminal
# does, with the default, so what they check does not depend on how the run was started.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
}


def git(cwd: Path, *args: str) -> str:
    """Run git in ``cwd`` with a fixed identity; return stdout."""
    env = {**os.environ, **GIT_ENV}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


def write_files(root: Path, files: dict[str, str]) -> None:
    """Create ``files`` (path -> text) below ``root``."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def diff_of(root: Path, files: dict[str, str], delete: tuple[str, ...] = ()) -> str:
    """The diff that turns the committed tree into one with ``files`` written and ``delete`` removed.

    The working tree is reset afterwards, so the diff can be reviewed against HEAD.
    """
    write_files(root, files)
    for rel in delete:
        (root / rel).unlink()
    git(root, "add", "-A")
    diff = git(root, "diff", "--cached")
    git(root, "reset", "-q", "--hard")
    return diff


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[[dict[str, str]], Path]:
    """Build a git repository with one commit holding ``files``; returns its root."""

    def build(files: dict[str, str], name: str = "repo") -> Path:
        root = tmp_path / name
        root.mkdir(parents=True)
        git(root, "init", "-q", "-b", "main")
        write_files(root, files)
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "initial")
        return root

    return build


def review_as_configured(
    root: Path, diff: str, *, base: str = "HEAD", review: dict | None = None, tests: dict | None = None
):
    """``tools.gates.review`` under the base commit's settings, resolved the way every command resolves them
    (``review``/``tests`` are flag overrides)."""
    from core.settings import resolve
    from tools.gates import review as run_review

    settings = resolve(root, base=base, review=review, tests=tests)
    return run_review(root, diff, base=settings.base or base, options=settings.review, tests=settings.tests)


def spawned_workers(pid: int) -> list[int]:
    """The worker processes (multiprocessing's spawned interpreters, not git's or uv's) that ``pid`` started."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    found = []
    for child in children.read_text().split() if children.exists() else []:
        with contextlib.suppress(OSError):
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                found.append(int(child))
    return found


def ctrl_c_as_a_worker_starts(proc: subprocess.Popen[str]) -> str:
    """Ctrl-C ``proc`` (started in a session of its own) 0.1 s after its first worker process appears, while that
    worker still imports; ``proc``'s stderr. If no worker starts, or ``proc`` does not stop, it is killed and the
    test fails."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None and not spawned_workers(proc.pid):
        time.sleep(0.005)
    try:
        assert spawned_workers(proc.pid), "no worker process started"
        time.sleep(0.1)  # past the interpreter's own start, into its imports
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal does on Ctrl-C: the whole process group
        return proc.communicate(timeout=90)[1]
    except (AssertionError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)
        raise
