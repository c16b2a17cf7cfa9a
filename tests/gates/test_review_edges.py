"""Inputs a hostile-input pass found: binary files, malformed patches, bad flags with nothing staged, a settings
file that is not UTF-8, and what a review leaves in the user's ``.git``; plus ``review`` and ``review REV``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.agent.agentkit import run_cli
from tests.conftest import git, write_files
from tests.core.test_one_line_errors import one_error_line

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + bytes(range(256))


def test_a_staged_binary_file_reviews_clean(make_repo) -> None:
    root = make_repo({"app.py": "X = 1\n"})
    (root / "logo.png").write_bytes(PNG)
    git(root, "add", "logo.png")
    result = run_cli("review", "--staged", "--tests", "none", "--json", cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["passed"]
    assert not (Path(root) / ".git" / "patchgate-worktrees.lock").exists()  # nothing loose left in .git


@pytest.mark.parametrize(
    "patch",
    [
        "diff --git a/app.py b/app.py\n",  # a header only
        "--- a/app.py\n+++ b/app.py\n",  # headers without a hunk
        "--- a/app.py\n+++ b/app.py\n@@ garbage @@\n-X = 1\n+X = 2\n",  # a hunk header that is not one
    ],
)
def test_a_malformed_patch_is_one_line_and_exit_2(make_repo, tmp_path: Path, patch: str) -> None:
    root = make_repo({"app.py": "X = 1\n"})
    (tmp_path / "bad.patch").write_text(patch, encoding="utf-8")
    done = run_cli("review", "--patch", str(tmp_path / "bad.patch"), "--tests", "none", cwd=root)
    assert done.returncode == 2, done.stdout + done.stderr
    one_error_line(done.stderr)


def test_flags_are_checked_even_when_nothing_is_staged(make_repo, tmp_path: Path) -> None:
    root = make_repo({"app.py": "X = 1\n"})
    bad_base = run_cli("review", "--staged", "--base", "no-such-rev", cwd=root)
    assert bad_base.returncode == 2 and "no-such-rev" in one_error_line(bad_base.stderr)
    for flag in ("--sarif", "--github"):
        bad_out = run_cli("review", "--staged", flag, str(tmp_path / "missing" / "out"), cwd=root)
        assert bad_out.returncode == 2 and "cannot write" in one_error_line(bad_out.stderr)


def test_settings_that_are_not_utf8_are_an_error(make_repo) -> None:
    root = make_repo({"app.py": "X = 1\n"})
    (root / ".patchgate.toml").write_bytes('[review]\ntests = "none"  # caf\xe9\n'.encode("latin-1"))
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "latin-1 settings")
    write_files(root, {"app.py": "X = 2\n"})
    git(root, "add", "app.py")
    result = run_cli("review", "--staged", cwd=root)
    assert result.returncode == 2
    assert "not UTF-8" in one_error_line(result.stderr)


def test_review_without_arguments_and_review_of_one_commit(make_repo) -> None:
    root = make_repo({"app.py": "X = 1\n"})
    write_files(root, {"app.py": "X = (\n"})  # uncommitted and unstaged: plain `review` sees it
    result = run_cli("review", "--tests", "none", cwd=root)
    assert result.returncode == 1 and "parse.syntax" in result.stdout
    git(root, "commit", "-q", "-am", "broken")
    one = run_cli("review", "HEAD", "--tests", "none", cwd=root)
    assert one.returncode == 1 and "parse.syntax" in one.stdout
    first = run_cli("review", "HEAD~1", cwd=root)
    assert first.returncode == 2 and "first commit" in one_error_line(first.stderr)
    clean = run_cli("review", cwd=root)
    assert clean.returncode == 0 and "no uncommitted changes" in clean.stderr


def test_a_policy_that_does_not_parse_and_a_folder_that_is_not_a_model_are_one_line(make_repo, tmp_path) -> None:
    root = make_repo(
        {
            "app.py": "X = 1\n",
            "pol/default.yaml": "scope: [unclosed\n",
            ".patchgate.toml": '[review]\npolicy_dir = "pol"\n',
        }
    )
    write_files(root, {"app.py": "X = 2\n"})
    git(root, "add", "app.py")
    result = run_cli("review", "--staged", "--tests", "none", cwd=root)
    assert result.returncode == 2 and "cannot read policy" in one_error_line(result.stderr)
    (tmp_path / "notamodel").mkdir()
    (tmp_path / "notamodel" / "notes.txt").write_text("hi\n")
    model = run_cli("complete", "app.py:1", "--model", f"hf:{tmp_path / 'notamodel'}", cwd=root)
    assert model.returncode == 2 and "not a model folder" in one_error_line(model.stderr)


def test_a_kept_worktree_starts_clean_for_the_next_review(make_repo) -> None:
    """Reviews reuse worktrees (only changed files are checked out); nothing a review wrote reaches the next."""
    from core.settings import TestSettings
    from tests.conftest import diff_of
    from tools.gates import ReviewOptions, review

    root = make_repo(
        {
            "lib.py": "X = 1\n",
            "tests/test_lib.py": "import os\n\nimport lib\n\n\ndef test_fresh():\n"
            "    assert not os.path.exists('leftover') and lib.X > 0\n    open('leftover', 'w').close()\n",
        }
    )
    for value in (2, 3):
        result = review(
            root,
            diff_of(root, {"lib.py": f"X = {value}\n", "extra.py": "Y = 1\n"}),
            options=ReviewOptions(origin="human", reuse_worktrees=True),
            tests=TestSettings(timeout=120),
        )
        assert result.passed, [(g.name, g.findings) for g in result.gates]
    assert git(root, "status", "--porcelain") == ""
