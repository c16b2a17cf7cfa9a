"""`patchgate suggest` end to end: a pull request with a failing test, a scripted model over HTTP, CI output files."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from agentkit import GOOD_EDIT, run_cli, tree_state

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="2" failures="1">
<testcase classname="tests.test_calc" name="test_add"><failure message="assert -1 == 5">assert -1 == 5</failure></testcase>
<testcase classname="tests.test_calc" name="test_double"/>
</testsuite></testsuites>
"""


def open_pull_request(repo: Path) -> str:
    """A branch with one more commit on top of the base; returns the base commit."""
    git = lambda *args: subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout
    base = git("rev-parse", "HEAD").strip()
    (repo / "README.md").write_text("# calc\nA tiny calculator that adds.\n")
    git("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qam", "docs")
    return base


def test_suggest_writes_patch_suggestions_and_sarif_and_never_commits(scripted, calc_repo: Path, tmp_path: Path) -> None:
    base = open_pull_request(calc_repo)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=calc_repo, capture_output=True, text=True).stdout
    junit = tmp_path / "junit.xml"
    junit.write_text(JUNIT)
    out = tmp_path / "out"
    scripted.edits = [GOOD_EDIT]
    result = run_cli("suggest", "--base", base, "--model", scripted.spec, "--junit", str(junit), "--patch-out", str(out / "patch.diff"),
                     "--github", str(out / "comments.json"), "--sarif", str(out / "patchgate.sarif"),
                     cwd=calc_repo)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "+    return a + b" in (out / "patch.diff").read_text()
    (comment,) = json.loads((out / "comments.json").read_text())
    assert comment["path"] == "calc.py" and "```suggestion\n" in comment["body"]
    assert "    return a + b\n" in comment["body"] and "return a - b" not in comment["body"]
    sarif = json.loads((out / "patchgate.sarif").read_text())
    assert sarif["version"] == "2.1.0" and sarif["runs"]
    first_prompt = json.dumps(scripted.requests[0]["messages"])
    assert "tests/test_calc.py::test_add" in first_prompt and "README.md" in first_prompt  # failure + PR files
    assert tree_state(calc_repo) == ""
    assert subprocess.run(["git", "rev-parse", "HEAD"], cwd=calc_repo, capture_output=True, text=True).stdout == head


def test_suggest_without_anything_failing_is_bad_input(scripted, calc_repo: Path) -> None:
    result = run_cli("suggest", "--base", "HEAD", "--model", scripted.spec, cwd=calc_repo)
    assert result.returncode == 2 and "nothing to fix" in result.stderr and "Traceback" not in result.stderr
    assert scripted.requests == []
