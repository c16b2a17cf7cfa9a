"""Worktrees: they vanish afterwards, whatever happens, and hold the submodules' files a test reads."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

from core.git import open_repo
from core.worktrees import kept_worktree, worktree
from tests.conftest import git


def test_worktree_is_removed_even_on_error(make_repo) -> None:
    root = make_repo({"a.py": "x = 1\n"})
    repo = open_repo(root)
    seen: list[Path] = []
    with pytest.raises(RuntimeError), worktree(repo) as path:
        seen.append(path)
        assert (path / "a.py").read_text() == "x = 1\n"
        (path / "a.py").write_text("x = 2\n")
        raise RuntimeError("boom")
    assert not seen[0].exists()
    assert (root / "a.py").read_text() == "x = 1\n"
    assert "patchgate-wt" not in repo.git.worktree("list")


def test_ctrl_c_while_the_worktree_is_removed_still_removes_it(make_repo, monkeypatch) -> None:
    # eval solve's workers finish and clean up while the user presses Ctrl-C: it lands in `git worktree remove`
    import core.worktrees

    root = make_repo({"a.py": "x = 1\n"})
    repo = open_repo(root)
    run_git = core.worktrees.run_git

    def interrupted_removal(cwd: Path, *args: str, **kwargs):
        if args[:2] == ("worktree", "remove"):
            raise KeyboardInterrupt
        return run_git(cwd, *args, **kwargs)

    seen: list[Path] = []
    with pytest.raises(KeyboardInterrupt), worktree(repo) as path:
        seen.append(path)
        monkeypatch.setattr(core.worktrees, "run_git", interrupted_removal)
    monkeypatch.undo()
    assert not seen[0].parent.exists()
    assert "patchgate-wt" not in repo.git.worktree("list")


def test_an_interrupt_of_patchgate_alone_mid_checkout_leaves_no_worktree(
    make_repo, tmp_path: Path, monkeypatch
) -> None:
    # a kill of patchgate, an MCP client's cancel, an eval worker told to stop: git itself gets no signal, and
    # went on checking out into the folder patchgate was deleting
    root = make_repo({".gitattributes": "*.py filter=slow\n", **{f"m{n}.py": f"x = {n}\n" for n in range(60)}})
    git(root, "config", "filter.slow.smudge", "sleep 0.05; cat")  # a checkout of three seconds
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where the worktree's folder is made

    main = threading.main_thread().ident or 0

    def interrupt_mid_checkout() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(list(tmp_path.glob("patchgate-wt-*/tree/*.py"))) < 3:
            time.sleep(0.01)
        signal.pthread_kill(main, signal.SIGINT)  # to this process alone, to the thread a signal wakes

    threading.Thread(target=interrupt_mid_checkout, daemon=True).start()
    with pytest.raises(KeyboardInterrupt), worktree(open_repo(root)):
        time.sleep(30)  # not reached: the checkout is interrupted
    assert not _running_children("git"), "git goes on checking out after patchgate has given up on it"
    time.sleep(1)
    assert list(tmp_path.glob("patchgate-wt-*")) == []
    assert "patchgate-wt" not in git(root, "worktree", "list")


@pytest.mark.slow
def test_worktrees_made_and_removed_concurrently_on_one_repository_all_work(make_repo) -> None:
    # parallel evaluation workers (or two reviews) share a repository: add and prune must not race
    import subprocess
    import sys

    root = make_repo({f"pkg/m{n}.py": f"x = {n}\n" * 50 for n in range(800)})  # checkouts long enough to overlap
    script = (
        "import subprocess, sys\nfrom core.git import open_repo\nfrom core.worktrees import worktree\nrepo = open_repo(sys.argv[1])\n"
        "for _ in range(15):\n    with worktree(repo) as tree:\n"
        "        subprocess.run(['git', 'reset', '--hard', '-q'], cwd=tree, check=True)\n"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(root)], stderr=subprocess.PIPE, text=True) for _ in range(3)
    ]
    errors = [p.communicate(timeout=300)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], errors
    assert open_repo(root).git.worktree("list").count("\n") == 0


def _with_submodule(make_repo, tmp_path: Path) -> tuple[Path, Path]:
    """A project whose ``fixtures`` folder is a submodule (initialized, as ``git clone --recursive`` leaves it),
    recorded at the fixtures' first commit; returns (project, the fixtures' own repository)."""
    data = make_repo({"greeting.txt": "hello\n"}, name="data")
    (data / "outside").symlink_to("/etc/passwd")  # kept out of the worktree; the rest is still written
    git(data, "add", "outside")
    git(data, "commit", "-qm", "a link out")
    root = make_repo({"app.py": "X = 1\n"}, name="project")
    git(root, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(data), "fixtures")
    git(root, "commit", "-qm", "fixtures")
    return root, data


def test_a_worktree_holds_the_submodule_files_of_the_commit_it_is_at(make_repo, tmp_path: Path) -> None:
    """A test that reads fixtures kept in a submodule ran against an empty folder, on the base and on the change
    alike, so the break it would catch passed as a "pre-existing failure"."""
    root, data = _with_submodule(make_repo, tmp_path)
    (data / "greeting.txt").write_text("bye\n")
    git(data, "commit", "-qam", "bye")
    fixtures = root / "fixtures"
    git(fixtures, "-c", "protocol.file.allow=always", "pull", "-q")  # the user's submodule moves on, uncommitted
    assert (fixtures / "greeting.txt").read_text() == "bye\n"
    with worktree(open_repo(root)) as tree:
        assert (tree / "fixtures" / "greeting.txt").read_text() == "hello\n"  # what HEAD records
        assert not (tree / "fixtures" / ".git").exists() and not (tree / "fixtures" / "outside").is_symlink()
    git(root, "commit", "-qam", "fixtures say bye")
    repo = open_repo(root)
    for commit, text in (("HEAD", "bye\n"), ("HEAD~1", "hello\n"), ("HEAD~2", None)):  # a kept one moves back
        with kept_worktree(repo, commit) as tree:
            found = tree / "fixtures" / "greeting.txt"
            assert (found.read_text() if found.exists() else None) == text, commit
    assert git(fixtures, "status", "--porcelain") == "" and git(root, "status", "--porcelain") == ""


def test_a_submodule_the_user_never_initialized_stays_empty(make_repo, tmp_path: Path) -> None:
    root, _ = _with_submodule(make_repo, tmp_path)
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(root), str(clone)], check=True)  # no --recursive: no objects here
    with worktree(open_repo(clone)) as tree:
        assert (tree / "app.py").exists() and list((tree / "fixtures").iterdir()) == []


def _running_children(name: str) -> list[str]:
    """This process's child processes named ``name`` that have not exited (a zombie has nothing left to do)."""
    me = os.getpid()
    found = []
    for child in Path(f"/proc/{me}/task/{me}/children").read_text().split():
        with contextlib.suppress(OSError):
            stat = Path(f"/proc/{child}/stat").read_text()
            if f"({name})" in stat and stat.rsplit(")", 1)[1].split()[0] != "Z":
                found.append(child)
    return found
