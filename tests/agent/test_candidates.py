"""Several candidates: the one passing most gates wins, then agreement, then the smaller diff; the prompt before applying."""

from __future__ import annotations

import json
from pathlib import Path

from agentkit import CALC, GOOD_EDIT, ISSUE, run_cli, tree_state

from agent.pipeline import Candidate, choose
from tools.findings import GateReport, ReviewResult

SYNTAX_ERROR = "calc.py\n<<<<<<< SEARCH\n    return a - b\n=======\n    return (a + b\n>>>>>>> REPLACE\n"


def review(*passed: bool) -> ReviewResult:
    gates = [GateReport(name=f"g{i}", passed=p) for i, p in enumerate(passed)]
    return ReviewResult(passed=all(passed), gates=gates)


def test_choose_prefers_gates_then_agreement_then_size() -> None:
    small_bad = Candidate(0, diff="-a\n+b\n", review=review(True, False))
    big_good = Candidate(1, diff="-a\n+b\n+c\n+d\n", review=review(True, True))
    assert choose([small_bad, big_good]) is big_good
    lonely_small = Candidate(0, diff="-a\n+x\n", review=review(True, True))
    agreed_1 = Candidate(1, diff="-a\n+b\n+c\n", review=review(True, True))
    agreed_2 = Candidate(2, diff="-a\n+b\n+c\n", review=review(True, True))
    assert choose([lonely_small, agreed_1, agreed_2]) is agreed_1
    assert choose([Candidate(0, diff="-a\n+bb\n", review=review(True)), Candidate(1, diff="-a\n+b\n",
                                                                                     review=review(True))]).index == 1
    assert choose([Candidate(0, problem="no match")]).problem == "no match"


def test_second_candidate_wins_when_the_first_fails(scripted, calc_repo: Path) -> None:
    scripted.edits = [SYNTAX_ERROR, GOOD_EDIT]
    result = run_cli("solve", ISSUE, "--model", scripted.spec, "--rounds", "1", "--candidates", "2", "--json",
                     cwd=calc_repo)
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout.splitlines()[-1])
    assert [c["passed"] for c in payload["candidates"]] == [False, True]
    assert "+    return a + b" in payload["diff"]
    temperatures = [r.get("temperature") for r in scripted.requests if "response_format" not in r]
    assert temperatures == [0.0, 0.7]  # the second candidate is sampled


def test_apply_asks_first_and_no_keeps_the_tree(scripted, calc_repo: Path) -> None:
    scripted.edits = [GOOD_EDIT]
    result = run_cli("solve", ISSUE, "--model", scripted.spec, "--apply", cwd=calc_repo, stdin="n\n")
    assert result.returncode == 0, result.stderr
    assert "Apply this patch" in result.stderr and "+    return a + b" in result.stdout
    assert "git apply" in result.stdout and tree_state(calc_repo) == ""
    assert (calc_repo / "calc.py").read_text() == CALC
