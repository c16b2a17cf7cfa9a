"""Fixtures for the agent integrations: a small project in a real git repository, the agents' binaries."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import git, write_files
from tests.integrations.scripted_servers import Script

ROOT = Path(__file__).resolve().parents[2]
NODE_BIN = ROOT / ".venv" / "node" / "node_modules" / ".bin"  # where scripts/install.sh puts the npm clients
PROJECT = {
    "pkg/__init__.py": "",
    "pkg/calc.py": "def add(a, b):\n    return a + b\n",
    "tests/test_calc.py": "from pkg.calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n"
    "    assert add(0, 0) == 0\n",
}
BROKEN = (
    "--- a/pkg/calc.py\n+++ b/pkg/calc.py\n@@ -1,2 +1,2 @@\n def add(a, b):\n-    return a + b\n+    return a - b\n"
)
MCP_TOOLS = {"review_patch", "review_changes", "select", "localize", "context"}
SECRET = 'GITHUB_TOKEN = "ghp_Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7c"  # a made-up token\n'


def client(name: str) -> str:
    """The path of an npm-installed agent binary (scripts/install.sh), or a skip naming the install step."""
    found = shutil.which(name, path=f"{NODE_BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    if found is None:
        pytest.skip(f"{name} is not installed (scripts/install.sh installs it with npm)")
    return found


@contextlib.contextmanager
def serving(factory: Callable[[Script], tuple[ThreadingHTTPServer, str]], script: Script) -> Iterator[str]:
    """A scripted model server for the length of the block; yields its base URL."""
    server, url = factory(script)
    try:
        yield url
    finally:
        server.shutdown()


def assert_session_outcome(root: Path) -> None:
    """After the scripted session: the clean edit and the fix landed, the secret and the weakening did not."""
    assert (root / "pkg/calc.py").read_text() == 'def add(a, b):\n    """The sum of a and b."""\n    return a + b\n'
    assert not (root / "pkg/settings.py").exists()
    assert "assert add(0, 0) == 0" in (root / "tests/test_calc.py").read_text()


def patchgate(
    *args: str, cwd: Path, env: dict[str, str] | None = None, stdin: str | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the real CLI as a subprocess, the way an agent or a person does."""
    return subprocess.run(
        [sys.executable, "-P", "-m", "patchgate", *args],
        cwd=cwd,
        input=stdin,
        text=True,
        capture_output=True,
        env=env,
        timeout=timeout,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A package with one function and its test, committed on main."""
    root = tmp_path / "project"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    write_files(root, PROJECT)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial")
    return root


def commit_all(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


def leftovers(tmp: Path, root: Path) -> list[str]:
    """Worktrees, sandboxes and temporary folders a run left behind under ``tmp`` or in ``root``'s git."""
    stray = sorted(p.name for p in tmp.iterdir()) if tmp.exists() else []
    worktrees = git(root, "worktree", "list", "--porcelain").count("worktree ") - 1
    return stray + [f"{worktrees} extra worktree(s)"] * (worktrees > 0)
