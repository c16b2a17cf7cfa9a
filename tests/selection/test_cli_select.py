"""``patchgate select`` as a user runs it: the JSON line, exit codes, bad input, and twenty candidates."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import diff_of
from tests.selection.test_select import FILES, ISSUE, ops


def run_cli(cwd: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-P", "-m", "patchgate", *args], cwd=cwd, env=env, capture_output=True, text=True, input=stdin
    )


@pytest.fixture
def repo(make_repo) -> Path:
    return make_repo(FILES)


def patches(root: Path, folder: Path, bodies: list[str]) -> list[str]:
    args = []
    for n, body in enumerate(bodies):
        path = folder / f"c{n}.diff"
        path.write_text(diff_of(root, ops(body)))
        args += ["--patch", str(path)]
    return args


def test_json_last_line_names_the_chosen_candidate_and_the_ranking(repo: Path, tmp_path: Path) -> None:
    (tmp_path / "issue.md").write_text(ISSUE)
    args = patches(
        repo,
        tmp_path,
        [
            "    return (a + b\n",
            "    return a + abs(b)\n",
            "    total = a + b\n    return total\n",
            "    return sum((a, b))\n",
        ],
    )
    result = run_cli(repo, "select", "--issue", str(tmp_path / "issue.md"), *args, "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(payload) >= {"chosen", "ranking", "clusters"}
    assert payload["chosen"] in (2, 3)
    assert payload["ranking"][-1] == {**payload["ranking"][-1], "index": 0, "score": None, "passed": False}
    assert payload["ranking"][-1]["reason"].startswith("does not parse")
    assert "passes 3 of 3 related tests" in payload["ranking"][0]["reason"]
    assert "#0" in result.stderr.split("patchgate select")[0]  # the candidate that can never win is said first


def test_no_candidate_passing_the_gates_is_null_and_exit_1(repo: Path, tmp_path: Path) -> None:
    args = patches(repo, tmp_path, ["    return (a + b\n"])
    result = run_cli(repo, "select", *args, "--tests", "none", "--json")
    assert result.returncode == 1
    assert json.loads(result.stdout.strip().splitlines()[-1])["chosen"] is None
    human = run_cli(repo, "select", *args, "--tests", "none")
    assert human.returncode == 1 and "error: no candidate passed the gates" in human.stderr


@pytest.mark.parametrize("args", [[], ["--patch", "missing.diff"], ["--issue", "-", "--patch", "-"]])
def test_bad_input_is_one_line_and_exit_2(repo: Path, args: list[str]) -> None:
    result = run_cli(repo, "select", *args, stdin="")
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr


def test_a_patch_that_is_not_a_diff_is_ranked_last_with_its_reason(repo: Path, tmp_path: Path) -> None:
    (tmp_path / "junk.diff").write_text("this is not a diff\n")
    args = patches(repo, tmp_path, ["    return a + b\n"])
    result = run_cli(repo, "select", "--patch", str(tmp_path / "junk.diff"), *args, "--tests", "none", "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout.strip().splitlines()[-1])
    assert payload["chosen"] == 1 and payload["ranking"][-1]["reason"].startswith("not a patch")


@pytest.mark.slow
def test_twenty_candidates_share_the_base_and_the_right_fix_wins(repo: Path, tmp_path: Path) -> None:
    (tmp_path / "issue.md").write_text(ISSUE)
    wrong = [f"    return a + b + {n}\n" for n in range(1, 8)] + ["    return a + abs(b)\n", "    return abs(a + b)\n"]
    right = ["    return a + b\n", "    return b + a\n", "    return sum((a, b))\n"]
    bodies = wrong + right + right + right[:1] + wrong[:4]  # 20, with repeats
    args = patches(repo, tmp_path, bodies)
    result = run_cli(repo, "select", "--issue", str(tmp_path / "issue.md"), *args, "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout.strip().splitlines()[-1])
    assert len(payload["ranking"]) == 20
    assert bodies[payload["chosen"]] in right
    assert "12 distinct patch(es) reviewed" in payload["checked"]
