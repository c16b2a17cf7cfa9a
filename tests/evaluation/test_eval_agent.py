"""Agent mode (`--model`): patchgate solve writes the predictions, a scripted model answers over real HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from evalkit import build
from test_eval_solve import evaluate

GOOD = "calc/__init__.py\n<<<<<<< SEARCH\n    return a - b\n=======\n    return a + b\n>>>>>>> REPLACE\n"
BROKEN = "calc/__init__.py\n<<<<<<< SEARCH\n    return a - b\n=======\n    return (a + b\n>>>>>>> REPLACE\n"
PLAN = {
    "tool_calls": [],
    "plan": {
        "files": ["calc/__init__.py"],
        "symbols": ["add"],
        "tests": [],
        "reasoning": "add subtracts instead of adding",
    },
}


@pytest.mark.slow
def test_the_agent_s_fix_resolves_and_is_written_for_the_harness(tmp_path: Path, envs: Path, scripted) -> None:
    data = build(tmp_path)
    scripted.plans, scripted.edits = [PLAN], [GOOD]
    result, summary = evaluate(data, tmp_path / "out", envs, "--model", scripted.spec)
    assert result.returncode == 0, result.stdout + result.stderr
    assert summary["resolved_ids"] == ["acme__calc-1"]
    (prediction,) = [json.loads(line) for line in (tmp_path / "out" / "predictions.jsonl").read_text().splitlines()]
    assert prediction["instance_id"] == "acme__calc-1" and "+    return a + b" in prediction["model_patch"]
    assert prediction["model_name_or_path"] == f"patchgate:{scripted.spec}"


@pytest.mark.slow
def test_samples_give_pass_at_k_and_the_gates_choose_the_resolving_candidate(
    tmp_path: Path, envs: Path, scripted
) -> None:
    data = build(tmp_path)
    # candidate 0 never parses (three rounds), candidate 1 is the fix
    scripted.plans, scripted.edits = [PLAN], [BROKEN, BROKEN, BROKEN, GOOD]
    result, summary = evaluate(data, tmp_path / "out", envs, "--model", scripted.spec, "--samples", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    assert summary["resolved_ids"] == ["acme__calc-1"]
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["samples"] == {
        "instances": 1,
        "pass@1": 0.5,
        "pass@2": 1.0,
        "gates_choice_resolved": 1.0,
        "gates_choice_resolved_when_possible": 1.0,
    }
    logs = tmp_path / "out" / "logs" / "acme__calc-1"
    first = json.loads((logs / "sample-0" / "result.json").read_text())
    assert first["status"] == "unresolved" and first["gates_passed"] is False and "parse" in first["gates_failed"]
    assert first["reason"].startswith("the patch broke the test run in calc/__init__.py")  # not the harness's error
    assert json.loads((logs / "sample-1" / "result.json").read_text())["chosen"] is True
    assert report["gates"]["precision"] == 1.0 and report["gates"]["recall"] == 1.0
