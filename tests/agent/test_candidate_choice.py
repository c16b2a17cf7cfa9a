"""`--candidates K`: the candidate passing most gates wins, then agreement between candidates, then the smaller diff."""

from __future__ import annotations

import json
from pathlib import Path

from agentkit import CALC, GOOD_EDIT, ISSUE, run_cli, tree_state

SYNTAX_ERROR = "calc.py\n<<<<<<< SEARCH\n    return a - b\n=======\n    return (a + b\n>>>>>>> REPLACE\n"
VERBOSE_FIX = ("calc.py\n<<<<<<< SEARCH\n    \"\"\"Sum of a and b.\"\"\"\n    return a - b\n=======\n"
               "    \"\"\"Sum of a and b (it used to subtract).\"\"\"\n    return a + b\n>>>>>>> REPLACE\n")


def solve_json(scripted, repo: Path, k: int) -> dict:
    result = run_cli("solve", ISSUE, "--model", scripted.spec, "--candidates", str(k), "--rounds", "1", "--json",
                     cwd=repo)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_candidate_that_passes_the_gates_beats_one_that_does_not(scripted, calc_repo: Path) -> None:
    scripted.edits = [SYNTAX_ERROR, GOOD_EDIT]
    payload = solve_json(scripted, calc_repo, 2)
    assert payload["passed"] and "+    return a + b" in payload["diff"] and "(a + b" not in payload["diff"]
    assert len(scripted.edit_requests()) == 2  # one sample per candidate, one round each
    assert tree_state(calc_repo) == ""


def test_among_green_candidates_the_smaller_diff_wins(scripted, calc_repo: Path) -> None:
    scripted.edits = [VERBOSE_FIX, GOOD_EDIT]
    payload = solve_json(scripted, calc_repo, 2)
    assert "used to subtract" not in payload["diff"] and "+    return a + b" in payload["diff"]


def test_agreement_between_candidates_beats_a_smaller_diff(scripted, calc_repo: Path) -> None:
    scripted.edits = [VERBOSE_FIX, GOOD_EDIT, VERBOSE_FIX]
    payload = solve_json(scripted, calc_repo, 3)
    assert "used to subtract" in payload["diff"]
    assert (calc_repo / "calc.py").read_text() == CALC  # no --apply: the tree is untouched
