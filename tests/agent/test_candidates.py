"""Several candidates: the selector (gates, agreement, issue evidence) picks one; the prompt before applying."""

from __future__ import annotations

import json
from pathlib import Path

from agentkit import CALC, GOOD_EDIT, ISSUE, run_cli, tree_state

SYNTAX_ERROR = "calc.py\n<<<<<<< SEARCH\n    return a - b\n=======\n    return (a + b\n>>>>>>> REPLACE\n"


WRONG_GREEN = "calc.py\n<<<<<<< SEARCH\n    return a - b\n=======\n    return 5\n>>>>>>> REPLACE\n"
GOOD_COMMENTED = (
    "calc.py\n<<<<<<< SEARCH\n    return a - b\n=======\n    return a + b  # a sum, not a difference\n>>>>>>> REPLACE\n"
)


def test_the_selector_prefers_the_change_two_candidates_agree_on(scripted, calc_repo: Path) -> None:
    # all three pass the gates; the smallest is wrong, the other two are one change spelled two ways
    scripted.edits = [WRONG_GREEN, GOOD_EDIT, GOOD_COMMENTED]
    result = run_cli(
        "solve", ISSUE, "--model", scripted.spec, "--rounds", "1", "--candidates", "3", "--json", cwd=calc_repo
    )
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout.splitlines()[-1])
    assert [c["passed"] for c in payload["candidates"]] == [True, True, True]
    assert "+    return a + b" in payload["diff"]
    trace = [
        json.loads(line)
        for line in (calc_repo / ".patchgate" / "runs" / payload["run_id"] / "trace.jsonl").read_text().splitlines()
    ]
    chosen = next(e for e in trace if e["event"] == "select")
    assert chosen["chosen"] == 1 and {"by": "change", "members": [1, 2]} in chosen["clusters"]


def test_second_candidate_wins_when_the_first_fails(scripted, calc_repo: Path) -> None:
    scripted.edits = [SYNTAX_ERROR, GOOD_EDIT]
    result = run_cli(
        "solve", ISSUE, "--model", scripted.spec, "--rounds", "1", "--candidates", "2", "--json", cwd=calc_repo
    )
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout.splitlines()[-1])
    assert [c["passed"] for c in payload["candidates"]] == [False, True]
    assert "+    return a + b" in payload["diff"]
    temperatures = [r.get("temperature") for r in scripted.requests if "response_format" not in r]
    assert temperatures == [0.0, 0.7]  # the second candidate is sampled


def test_apply_asks_first_and_no_keeps_the_tree(scripted, calc_repo: Path) -> None:
    scripted.edits = [GOOD_EDIT]
    piped = run_cli("solve", ISSUE, "--model", scripted.spec, "--apply", cwd=calc_repo, stdin="y\n")
    assert piped.returncode == 2 and "--yes" in piped.stderr  # no terminal: nobody to ask, and nothing guessed
    assert tree_state(calc_repo) == ""
    result = run_cli("solve", ISSUE, "--model", scripted.spec, "--apply", cwd=calc_repo, stdin="n\n", tty=True)
    assert result.returncode == 0, result.stderr
    assert "Apply this patch" in result.stderr and "+    return a + b" in result.stdout
    assert "git apply" in result.stdout and tree_state(calc_repo) == ""
    assert (calc_repo / "calc.py").read_text() == CALC
