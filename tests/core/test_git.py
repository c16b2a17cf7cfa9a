"""Git helpers: worktrees vanish afterwards, uncommitted work is seen, bad input is one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import InputError
from core.git import changed_paths, open_repo, resolve_rev, worktree


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
    from git.cmd import Git

    root = make_repo({"a.py": "x = 1\n"})
    repo = open_repo(root)
    call = Git._call_process

    def interrupted_removal(self, method, *args, **kwargs):
        if method == "worktree" and args[:1] == ("remove",):
            raise KeyboardInterrupt
        return call(self, method, *args, **kwargs)

    seen: list[Path] = []
    with pytest.raises(KeyboardInterrupt), worktree(repo) as path:
        seen.append(path)
        monkeypatch.setattr(Git, "_call_process", interrupted_removal)
    monkeypatch.undo()
    assert not seen[0].parent.exists()
    assert "patchgate-wt" not in repo.git.worktree("list")


def test_changed_paths_sees_staged_unstaged_and_untracked(make_repo) -> None:
    root = make_repo({"a.py": "x = 1\n", "b.py": "y = 1\n"})
    (root / "a.py").write_text("x = 2\n")
    (root / "new.py").write_text("z = 1\n")
    assert changed_paths(open_repo(root)) == {"a.py", "new.py"}


def test_bad_input_is_an_input_error(tmp_path: Path, make_repo) -> None:
    with pytest.raises(InputError, match="not inside a git repository"):
        open_repo(tmp_path)
    with pytest.raises(InputError, match="no such revision: nope"):
        resolve_rev(open_repo(make_repo({"a": "1\n"})), "nope")


@pytest.mark.slow
def test_worktrees_made_and_removed_concurrently_on_one_repository_all_work(make_repo) -> None:
    # parallel evaluation workers (or two reviews) share a repository: add and prune must not race
    import subprocess
    import sys

    root = make_repo({f"pkg/m{n}.py": f"x = {n}\n" * 50 for n in range(800)})  # checkouts long enough to overlap
    script = (
        "import subprocess, sys\nfrom core.git import open_repo, worktree\nrepo = open_repo(sys.argv[1])\n"
        "for _ in range(15):\n    with worktree(repo) as tree:\n"
        "        subprocess.run(['git', 'reset', '--hard', '-q'], cwd=tree, check=True)\n"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(root)], stderr=subprocess.PIPE, text=True) for _ in range(3)
    ]
    errors = [p.communicate(timeout=300)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], errors
    assert open_repo(root).git.worktree("list").count("\n") == 0
