"""The repositories patchgate is measured on are never mined or trained on: the scripts that would refuse.

Run as a user runs them, as subprocesses, with a held-out repository among the arguments; each must stop
before any work with one ``error:`` line and exit status 2, the way ``patchgate`` reports bad input.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run(script: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("repo", ["sympy/sympy", "django/django", "Pylint-Dev/Pylint"])
def test_mining_a_held_out_repository_stops_with_one_error_line(tmp_path: Path, repo: str) -> None:
    out = tmp_path / "mined.jsonl"
    result = run("mine_commits.py", "pallets/click", repo, "--repos", str(tmp_path), "--out", str(out), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [f"error: {repo} is held out for evaluation and must not be mined"]
    assert not out.exists()


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args], check=True)


def test_mining_other_repositories_is_allowed(tmp_path: Path) -> None:
    """The everyday case: a repository outside the held-out list is mined, its fix commit kept."""
    repo = tmp_path / "acme__calc"
    (repo / "calc").mkdir(parents=True)
    git(tmp_path, "init", "-q", str(repo))
    (repo / "calc" / "core.py").write_text("def divide(a, b):\n    return a / b\n")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "Add the calculator core")
    (repo / "calc" / "core.py").write_text("def divide(a, b):\n    return a / b if b else 0.0\n")
    git(repo, "commit", "-qam", "Fix division by zero in the divide helper")
    out = tmp_path / "mined.jsonl"
    result = run("mine_commits.py", "acme/calc", "--repos", str(tmp_path), "--out", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    mined = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(m["problem_statement"], m["gold_files"]) for m in mined] == [
        ("Fix division by zero in the divide helper", ["calc/core.py"])
    ]


def test_a_repository_not_fetched_is_one_error_line(tmp_path: Path) -> None:
    result = run(
        "mine_commits.py", "acme/missing", "--repos", str(tmp_path), "--out", str(tmp_path / "o"), cwd=tmp_path
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"error: {tmp_path / 'acme__missing'}: not a git repository with a commit (fetch acme/missing there first)"
    ]
