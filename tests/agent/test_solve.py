"""`patchgate solve` end to end: a real repository, a real failing test, the real gates, a scripted model over HTTP."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from agentkit import CALC, GOOD_EDIT, ISSUE, TEST_CALC, run_cli, tree_state

SYNTAX_ERROR = "calc.py\n<<<<<<< SEARCH\n    return a - b\n=======\n    return (a + b\n>>>>>>> REPLACE\n"
DELETE_TEST = (
    "tests/test_calc.py\n<<<<<<< SEARCH\ndef test_add():\n    assert add(2, 3) == 5\n=======\n>>>>>>> REPLACE\n"
)
SCRATCH = (
    GOOD_EDIT + "reproduce_bug.py\n<<<<<<< SEARCH\n=======\nfrom calc import add\n\nprint(add(2, 3))\n>>>>>>> REPLACE\n"
)
TOUCH_CI = (
    GOOD_EDIT + ".github/workflows/ci.yml\n<<<<<<< SEARCH\n      - run: pytest\n=======\n"
    "      - run: pytest || true\n>>>>>>> REPLACE\n"
)


def last_json(result: subprocess.CompletedProcess[str]) -> dict:
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_scripted_fix_passes_and_apply_leaves_exactly_that_change(scripted, calc_repo: Path) -> None:
    scripted.edits = [GOOD_EDIT]
    result = run_cli("solve", ISSUE, "--model", scripted.spec, "--apply", "--yes", cwd=calc_repo)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "+    return a + b" in result.stdout and "applied" in result.stdout
    assert (calc_repo / "calc.py").read_text() == CALC.replace("a - b", "a + b")
    changed = subprocess.run(["git", "status", "--porcelain"], cwd=calc_repo, capture_output=True, text=True).stdout
    assert changed.split() == ["M", "calc.py"]
    tests = subprocess.run(["python", "-m", "pytest", "-q"], cwd=calc_repo, capture_output=True, text=True)
    assert tests.returncode == 0, tests.stdout
    worktrees = subprocess.run(["git", "worktree", "list"], cwd=calc_repo, capture_output=True, text=True).stdout
    assert len(worktrees.strip().splitlines()) == 1


def rejected_then_fixed(scripted, repo: Path, bad: str, gate: str, evidence: str) -> dict:
    scripted.edits = [bad, GOOD_EDIT]
    result = run_cli("solve", ISSUE, "--model", scripted.spec, "--json", cwd=repo)
    assert result.returncode == 0, result.stdout + result.stderr
    payload = last_json(result)
    assert payload["passed"] and "+    return a + b" in payload["diff"] and ".github" not in payload["diff"]
    second_request = scripted.edit_requests()[1]
    feedback = second_request[-1]["content"]
    assert f"gate {gate} failed" in feedback and evidence in feedback, feedback
    events = [json.loads(line) for line in (calc_repo_runs(repo) / "trace.jsonl").read_text().splitlines()]
    gates = [e for e in events if e["event"] == "gate"]
    first_failed = [g["name"] for g in gates[0]["gates"] if not g["passed"] and not g["skipped"]]
    assert gate in first_failed and gates[1]["passed"]
    assert tree_state(repo) == ""  # solve without --apply never touches the tree
    return payload


def calc_repo_runs(repo: Path) -> Path:
    (run,) = list((repo / ".patchgate" / "runs").iterdir())
    return run


def test_syntax_error_is_rejected_by_parse_and_the_next_round_wins(scripted, calc_repo: Path) -> None:
    rejected_then_fixed(scripted, calc_repo, SYNTAX_ERROR, "parse", "calc.py")


def test_deleting_the_failing_test_is_rejected_and_the_next_round_wins(scripted, calc_repo: Path) -> None:
    rejected_then_fixed(scripted, calc_repo, DELETE_TEST, "scope", "test")


def test_touching_ci_config_is_rejected_and_the_next_round_wins(scripted, calc_repo: Path) -> None:
    rejected_then_fixed(scripted, calc_repo, TOUCH_CI, "scope", ".github/workflows/ci.yml")


def test_a_scratch_file_goes_back_to_the_model_and_the_result_carries_none(scripted, calc_repo: Path) -> None:
    payload = rejected_then_fixed(scripted, calc_repo, SCRATCH, "scope", "reproduce_bug.py is scratch work")
    assert "reproduce_bug.py" not in payload["diff"]


def test_every_round_bad_applies_nothing_and_exits_1(scripted, calc_repo: Path) -> None:
    scripted.edits = [SYNTAX_ERROR, DELETE_TEST]
    before = tree_state(calc_repo)
    result = run_cli("solve", ISSUE, "--model", scripted.spec, "--rounds", "2", "--apply", "--yes", cwd=calc_repo)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "no candidate passed every gate" in result.stderr
    assert tree_state(calc_repo) == before
    assert (calc_repo / "tests/test_calc.py").read_text() == TEST_CALC


def test_apply_refuses_a_file_with_uncommitted_changes_and_saves_the_patch(scripted, calc_repo: Path) -> None:
    scripted.edits = [GOOD_EDIT]
    (calc_repo / "calc.py").write_text(CALC + "\n# my work in progress\n")
    result = run_cli("solve", ISSUE, "--model", scripted.spec, "--apply", "--yes", cwd=calc_repo)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "uncommitted changes in calc.py" in result.stderr and "git apply" in result.stderr
    assert (calc_repo / "calc.py").read_text() == CALC + "\n# my work in progress\n"
    saved = calc_repo_runs(calc_repo) / "patch.diff"
    assert "+    return a + b" in saved.read_text()


def test_runs_lists_and_replays_the_trace(scripted, calc_repo: Path) -> None:
    scripted.edits = [SYNTAX_ERROR, GOOD_EDIT]
    assert run_cli("solve", ISSUE, "--model", scripted.spec, cwd=calc_repo).returncode == 0
    listing = run_cli("runs", "--json", cwd=calc_repo)
    (run,) = json.loads(listing.stdout)
    assert run["outcome"] == "passed" and run["calls"] == 3 and run["tokens"] > 0
    shown = run_cli("runs", "show", run["run_id"][:15], cwd=calc_repo)
    assert shown.returncode == 0, shown.stderr
    for expected in ("plan", "parse:FAIL", "result passed", "model structured", "model complete"):
        assert expected in shown.stdout, shown.stdout
    assert run_cli("runs", "show", "nope", cwd=calc_repo).returncode == 2
