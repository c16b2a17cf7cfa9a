"""`patchgate suggest` for CI: failing tests in, a patch, ```suggestion comments and SARIF out; nothing pushed."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from agentkit import GOOD_EDIT, git, run_cli, tree_state

from agent.ci import ci_issue, junit_failures, suggestion_comments
from core.errors import InputError

JUNIT = """<?xml version="1.0"?><testsuites><testsuite name="pytest">
<testcase classname="tests.test_calc" name="test_add" file="tests/test_calc.py" line="3">
<failure message="assert -1 == 5">details</failure></testcase>
<testcase classname="tests.test_calc" name="test_double" file="tests/test_calc.py" line="7"/>
</testsuite></testsuites>"""


def pull_request(repo: Path) -> None:
    """A feature branch on top of main, as CI checks it out."""
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "README.md").write_text("# calc\nA tiny calculator that adds.\n")
    git(repo, "commit", "-qam", "docs")


def test_suggest_writes_a_patch_suggestions_and_sarif(scripted, calc_repo: Path, tmp_path: Path) -> None:
    pull_request(calc_repo)
    scripted.edits = [GOOD_EDIT]
    (tmp_path / "junit.xml").write_text(JUNIT)
    head = git(calc_repo, "rev-parse", "HEAD")
    out = tmp_path / "out"
    result = run_cli(
        "suggest",
        "--base",
        "main",
        "--junit",
        str(tmp_path / "junit.xml"),
        "--model",
        scripted.spec,
        "--patch-out",
        str(out / "fix.diff"),
        "--github",
        str(out / "comments.json"),
        "--sarif",
        str(out / "patchgate.sarif"),
        cwd=calc_repo,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    first_prompt = scripted.requests[0]["messages"][1]["content"]
    assert "tests/test_calc.py::test_add: assert -1 == 5" in first_prompt and "- README.md" in first_prompt
    (comment,) = json.loads((out / "comments.json").read_text())
    assert comment["path"] == "calc.py" and comment["start_line"] == 1 and comment["line"] == 6
    assert "```suggestion\ndef add(a, b):\n" in comment["body"] and "    return a + b\n" in comment["body"]
    assert json.loads((out / "patchgate.sarif").read_text())["version"] == "2.1.0"
    check = subprocess.run(["git", "apply", "--check", str(out / "fix.diff")], cwd=calc_repo)
    assert check.returncode == 0
    assert git(calc_repo, "rev-parse", "HEAD") == head and tree_state(calc_repo) == ""  # nothing committed or pushed


def test_suggest_without_a_failure_to_fix_is_bad_input(calc_repo: Path) -> None:
    result = run_cli("suggest", "--base", "main", "--model", "openai:m@http://127.0.0.1:9/v1", cwd=calc_repo)
    assert result.returncode == 2 and "nothing to fix" in result.stderr
    with pytest.raises(InputError, match="no such revision"):
        ci_issue(calc_repo, "nope", failing=["t"], junit=None, log=None)


def test_junit_failures_and_suggestions_from_a_diff(tmp_path: Path) -> None:
    (tmp_path / "r.xml").write_text(JUNIT)
    assert junit_failures(tmp_path / "r.xml") == ["tests/test_calc.py::test_add: assert -1 == 5"]
    (tmp_path / "bad.xml").write_text("<testsuite")
    with pytest.raises(InputError, match="cannot read JUnit"):
        junit_failures(tmp_path / "bad.xml")
    diff = "--- a/x.py\n+++ b/x.py\n@@ -2,1 +2,2 @@\n-a = 1\n+a = 2\n+b = 3\n"
    assert suggestion_comments(diff) == [
        {"path": "x.py", "line": 2, "side": "RIGHT", "body": "patchgate suggests:\n```suggestion\na = 2\nb = 3\n```"}
    ]


def test_a_log_becomes_its_redacted_tail(calc_repo: Path, tmp_path: Path) -> None:
    key = "sk-proj-" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4"
    log = tmp_path / "ci.log"
    log.write_text(
        "\n".join(f"line {n}" for n in range(200)) + f"\nE   token={key}\nFAILED tests/test_calc.py::test_add\n"
    )
    issue = ci_issue(calc_repo, "HEAD", failing=[], junit=None, log=log)
    assert "FAILED tests/test_calc.py::test_add" in issue and "line 199" in issue and "line 100\n" not in issue
    assert key not in issue
