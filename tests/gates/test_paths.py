"""Paths a patch can abuse: symlinks that leave the repository, and file names with spaces."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agent.edits import touched_paths
from tests.conftest import git

ROOT = Path(__file__).resolve().parents[2]


def review_staged(repo: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-P", "-m", "patchgate", "review", "--staged", "--tests", "none", "--json"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def security_findings(result: subprocess.CompletedProcess[str]) -> list[dict]:
    gates = json.loads(result.stdout.strip().splitlines()[-1])["gates"]
    return next(g for g in gates if g["name"] == "security")["findings"]


@pytest.mark.parametrize("target", ["/etc/passwd", "../../outside", "docs/../.git/config"])
def test_added_symlink_leaving_the_repository_is_a_finding(make_repo, target: str) -> None:
    repo = make_repo({"README.md": "# r\n", "docs/a.md": "a\n"})
    os.symlink(target, repo / "notes.md")
    git(repo, "add", "-A")
    result = review_staged(repo)
    assert result.returncode == 1
    (finding,) = security_findings(result)
    assert finding["rule"] == "security.symlink-outside" and finding["path"] == "notes.md"
    assert target in finding["message"]


def test_symlink_inside_the_repository_is_fine(make_repo) -> None:
    repo = make_repo({"README.md": "# r\n", "docs/a.md": "a\n"})
    os.symlink("../README.md", repo / "docs" / "readme.md")
    git(repo, "add", "-A")
    result = review_staged(repo)
    assert result.returncode == 0, result.stdout
    assert security_findings(result) == []


def test_touched_paths_keep_spaces_and_both_sides_of_a_rename() -> None:
    diff = (
        "diff --git a/my notes.md b/my notes.md\n--- a/my notes.md\n+++ b/my notes.md\n@@ -1 +1 @@\n-a\n+b\n"
        "diff --git a/old name.py b/new name.py\nsimilarity index 90%\nrename from old name.py\n"
        "rename to new name.py\n--- a/old name.py\n+++ b/new name.py\n@@ -1 +1 @@\n-x = 1\n+x = 2\n"
    )
    assert touched_paths(diff) == ["my notes.md", "new name.py", "old name.py"]
