"""What the edit request shows and what goes back after a rejection, seen from the model's side of the HTTP server."""

from __future__ import annotations

import json

from agentkit import CALC, FILES, GOOD_EDIT, ISSUE, PLAN, run_cli

from agent.gating import short_report
from retrieval.context import count_tokens
from tools.findings import Finding, GateReport, ReviewResult

FILLER = "".join(f'def helper_{k}(x):\n    """Helper number {k}."""\n    return x + {k}\n\n\n' for k in range(600))
BIG = FILLER + CALC + FILLER.replace("helper_", "other_")
SMALL_WINDOW = '[index]\ndense = "none"\n\n[agent]\ncontext_window = 8192\nmax_edit_tokens = 1024\n'
DEDENTED_FIX = "calc.py\n```python\n<<<<<<< SEARCH\n\nreturn a - b\n=======\n\nreturn a + b\n>>>>>>> REPLACE\n```\n"


def test_a_big_file_is_shown_around_the_planned_symbol_and_the_opened_region(scripted, make_repo) -> None:
    repo = make_repo({**FILES, ".patchgate.toml": SMALL_WINDOW, "calc.py": BIG})
    opened = {"tool": "open_file", "path": "calc.py", "start_line": 2995, "end_line": 3000, "query": None}
    scripted.plans = [{"tool_calls": [opened], "plan": None}, PLAN]
    scripted.edits = [DEDENTED_FIX]
    result = run_cli("solve", ISSUE, "--model", scripted.spec, "--json", cwd=repo)
    assert result.returncode == 0, result.stdout + result.stderr
    prompt = scripted.edit_requests()[0][-1]["content"]
    add_line = BIG.splitlines().index("def add(a, b):") + 1
    assert f"{add_line:>5} | def add(a, b):" in prompt and f"{add_line + 2:>5} |     return a - b" in prompt
    assert " 2995 | " in prompt and " 3000 | " in prompt  # what the model opened while planning
    assert "    1 | def helper_0(" not in prompt and "| def other_599(" not in prompt  # not the whole file
    assert count_tokens(prompt) <= (8192 - 1024) // 2
    assert "+    return a + b" in json.loads(result.stdout.strip().splitlines()[-1])["diff"]


def test_a_reindented_edit_that_fails_to_parse_comes_back_with_the_diff_patchgate_built(scripted, calc_repo) -> None:
    broken = "calc.py\n<<<<<<< SEARCH\nreturn a - b\n=======\nreturn a + b\n  x = 1\n>>>>>>> REPLACE\n"
    scripted.edits = [broken, GOOD_EDIT]
    result = run_cli("solve", ISSUE, "--model", scripted.spec, "--json", cwd=calc_repo)
    assert result.returncode == 0, result.stdout + result.stderr
    feedback = scripted.edit_requests()[1][-1]["content"]
    assert "gate parse failed" in feedback and "re-indented" in feedback
    assert "+    return a + b\n+      x = 1" in feedback


def test_a_well_indented_edit_that_fails_to_parse_gets_no_diff_lecture(scripted, calc_repo) -> None:
    broken = "calc.py\n<<<<<<< SEARCH\n    return a - b\n=======\n    return (a + b\n>>>>>>> REPLACE\n"
    scripted.edits = [broken, GOOD_EDIT]
    assert run_cli("solve", ISSUE, "--model", scripted.spec, cwd=calc_repo).returncode == 0
    feedback = scripted.edit_requests()[1][-1]["content"]
    assert "gate parse failed" in feedback and "re-indented" not in feedback


def test_feedback_leads_with_the_new_failure_and_counts_the_old_ones() -> None:
    old = [
        Finding(
            rule="tests.pre-existing-failure",
            path="t.py",
            line=k,
            severity="warning",
            message=f"tests/t.py::test_old_{k} already failed on the base: boom",
        )
        for k in range(130)
    ]
    new = Finding(rule="tests.new-failure", path="t.py", line=9, message="tests/t.py::test_add fails: assert -1 == 5")
    result = ReviewResult(
        passed=False, gates=[GateReport(name="tests", passed=False, findings=[*old, new], detail="130 failed, 1 new")]
    )
    report = short_report(result)
    lines = report.splitlines()
    assert lines[0] == "gate tests failed" and "test_add fails" in lines[1]
    assert "130 warning(s) not caused by this patch" in report and "test_old_" not in report
