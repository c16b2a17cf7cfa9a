"""Patches are bounded before anything parses them: size and line length limits, a one-line error, exit 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.errors import InputError
from tools.candidate import MAX_LINE_CHARS, MAX_PATCH_CHARS, parse_diff

ROOT = Path(__file__).resolve().parents[2]
HEADER = "diff --git a/a.txt b/a.txt\n--- a/a.txt\n+++ b/a.txt\n@@ -1 +1,2 @@\n a\n"


def review_patch(repo: Path, source: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # The timeout is the assertion's bound: reading /dev/zero to the end never returns.
    return subprocess.run(
        [sys.executable, "-P", "-m", "patchgate", "review", "--patch", source, "--tests", "none"],
        cwd=repo,
        env=env,
        capture_output=True,
        input=stdin,
        timeout=60,
    )


@pytest.fixture
def repo(make_repo) -> Path:
    return make_repo({"a.txt": "a\n"})


def test_dev_zero_stops_at_the_limit_with_one_line(repo: Path) -> None:
    result = review_patch(repo, "/dev/zero")
    assert result.returncode == 2
    assert result.stderr.decode().strip().splitlines() == [
        f"error: patch /dev/zero is larger than {MAX_PATCH_CHARS // 2**20} MiB; patchgate reviews patches up to "
        "that size: split the change"
    ]


def test_oversized_patch_on_stdin_is_refused(repo: Path) -> None:
    big = (HEADER + "+x\n" * (MAX_PATCH_CHARS // 3 + 10)).encode()
    result = review_patch(repo, "-", stdin=big)
    assert result.returncode == 2 and b"larger than" in result.stderr


def test_one_huge_line_is_refused_and_names_the_line(repo: Path, tmp_path: Path) -> None:
    patch = tmp_path / "long.diff"
    patch.write_text(HEADER + "+" + "x" * (MAX_LINE_CHARS + 1) + "\n")
    result = review_patch(repo, str(patch))
    assert result.returncode == 2
    (line,) = result.stderr.decode().strip().splitlines()
    assert "line 6" in line and "limit" in line


def test_limits_hold_for_diffs_from_git_and_the_agent_too() -> None:
    with pytest.raises(InputError, match="per line"):
        parse_diff(HEADER + "+" + "y" * (MAX_LINE_CHARS + 1) + "\n")
    assert parse_diff(HEADER + "+" + "y" * 50_000 + "\n").files[0].added[0][1] == "y" * 50_000
