"""The installed pre-commit hook inside a real ``git commit``, with patchgate not on PATH.

git exports GIT_INDEX_FILE (and, for ``commit -a``, a temporary index) to the
hook; the hook must still gate exactly what the commit records, in its own
worktree, and call patchgate by the interpreter that installed it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import GIT_ENV, git, write_files

ROOT = Path(__file__).resolve().parents[2]
BASE = {
    "pyproject.toml": '[tool.patchgate.review]\ntests = "none"\n',
    "pkg/__init__.py": "",
    "pkg/mod.py": "def f():\n    return 1\n",
    "tests/test_mod.py": "from pkg.mod import f\n\n\ndef test_f():\n    assert f() == 1\n",
}


def bare_env() -> dict[str, str]:
    """What a GUI git client gives a hook: no venv on PATH, no PYTHONPATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PYTHON", "VIRTUAL_ENV"))}
    return {**env, **GIT_ENV, "PATH": "/usr/local/bin:/usr/bin:/bin", "COLUMNS": "200"}


def commit(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "commit", "-q", *args], cwd=repo, env=bare_env(), capture_output=True, text=True)


STRICT = '[tool.patchgate.review]\ntests = "none"\nmodel_rules = "all"\n'


@pytest.fixture
def hooked(make_repo) -> Path:
    return install_hook(make_repo(BASE))


def install_hook(repo: Path) -> Path:
    installed = subprocess.run(
        [sys.executable, "-P", "-m", "patchgate", "install-hook"],
        cwd=repo,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert installed.returncode == 0, installed.stderr
    assert subprocess.run(["sh", "-c", "command -v patchgate"], env=bare_env(), capture_output=True).returncode != 0
    return repo


def head_count(repo: Path) -> int:
    return int(git(repo, "rev-list", "--count", "HEAD"))


def test_a_good_change_commits_through_the_hook(hooked: Path) -> None:
    write_files(hooked, {"pkg/mod.py": 'def f():\n    """One."""\n    return 1\n'})
    git(hooked, "add", "-A")
    result = commit(hooked, "-m", "docstring")
    assert result.returncode == 0, result.stderr + result.stdout
    assert head_count(hooked) == 2
    # commit -a hands the hook a temporary index; what it records is what is gated
    write_files(hooked, {"pkg/mod.py": 'def f():\n    """One, always."""\n    return 1\n'})
    result = commit(hooked, "-a", "-m", "docstring again")
    assert result.returncode == 0, result.stderr + result.stdout
    assert head_count(hooked) == 3


WEAKENED = {"tests/test_mod.py": "from pkg.mod import f\n\n\ndef test_f():\n    f()\n"}


@pytest.mark.parametrize(
    ("base", "files", "rule"),
    [
        (BASE, {"pkg/mod.py": "def f(:\n    return 1\n"}, "parse.syntax"),
        # a team that wants its own commits held to the model-patch rules says so in its config
        ({**BASE, "pyproject.toml": STRICT}, WEAKENED, "scope.removed-assertion"),
    ],
)
def test_a_bad_change_is_blocked(make_repo, base: dict[str, str], files: dict[str, str], rule: str) -> None:
    hooked = install_hook(make_repo(base))
    write_files(hooked, files)
    git(hooked, "add", "-A")
    result = commit(hooked, "-m", "bad")
    assert result.returncode != 0
    assert rule in result.stdout + result.stderr
    assert head_count(hooked) == 1
    assert git(hooked, "diff", "--cached", "--name-only").strip() == next(iter(files))  # still staged


def test_your_own_weakened_test_commits_and_is_shown(hooked: Path) -> None:
    """A maintainer dropping an assertion (a feature gone, a platform dropped) is told, not stopped."""
    write_files(hooked, WEAKENED)
    git(hooked, "add", "-A")
    result = commit(hooked, "-m", "drop the check")
    assert result.returncode == 0, result.stderr + result.stdout
    assert "assertion removed: assert f() == 1 (your own commit: not blocking)" in result.stdout + result.stderr
    assert head_count(hooked) == 2


def test_a_bad_change_commit_a_is_blocked(hooked: Path) -> None:
    write_files(hooked, {"pkg/mod.py": "def f(:\n    return 1\n"})
    result = commit(hooked, "-a", "-m", "bad")
    assert result.returncode != 0 and "parse.syntax" in result.stdout + result.stderr
    assert head_count(hooked) == 1


def test_a_hook_whose_python_is_gone_says_how_to_fix_it(hooked: Path) -> None:
    hook = hooked / ".git" / "hooks" / "pre-commit"
    text = hook.read_text()
    assert sys.executable in text
    hook.write_text(text.replace(sys.executable, "/nonexistent/venv/bin/python"))
    write_files(hooked, {"pkg/mod.py": "def f():\n    return 2\n"})
    git(hooked, "add", "-A")
    result = commit(hooked, "-m", "x")
    assert result.returncode != 0 and head_count(hooked) == 1
    assert "/nonexistent/venv/bin/python is gone" in result.stderr
    assert "patchgate install-hook --force" in result.stderr and "--no-verify" in result.stderr
