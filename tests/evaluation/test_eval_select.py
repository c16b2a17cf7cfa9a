"""`eval solve` with several --predictions files: one sample per file, pass@k, and select's choice among them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from evalkit import CALC, build, diff_for
from test_eval_solve import evaluate


def predictions(path: Path, iid: str, diff: str) -> str:
    path.write_text(json.dumps({"instance_id": iid, "model_name_or_path": path.stem, "model_patch": diff}) + "\n")
    return str(path)


@pytest.mark.slow
def test_each_file_is_a_sample_and_the_gates_choose_the_fix_two_agree_on(tmp_path: Path, envs: Path) -> None:
    data = build(tmp_path)
    calc = tmp_path / "src" / "acme__calc"
    # the first file's patch is wrong (add(2, 3) is still -1) and the smallest; the other two are one fix
    wrong = diff_for(calc, {"calc/__init__.py": CALC.replace("return a - b", "return a - b  # fixed")})
    right = diff_for(calc, {"calc/__init__.py": CALC.replace("return a - b", "return a + b")})
    spelled = diff_for(calc, {"calc/__init__.py": CALC.replace("return a - b", "return b + a")})
    files = [
        predictions(tmp_path / f"{name}.jsonl", "acme__calc-1", diff)
        for name, diff in (("wrong", wrong), ("right", right), ("spelled", spelled))
    ]
    result, summary = evaluate(data, tmp_path / "out", envs, *(x for f in files for x in ("--predictions", f)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert summary["resolved"] == 1  # the chosen sample is the one the harness's summary counts
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["samples"]["pass@1"] == pytest.approx(2 / 3, abs=1e-3)
    assert report["samples"]["pass@3"] == 1.0 and report["samples"]["gates_choice_resolved"] == 1.0
    chosen = [
        json.loads(p.read_text())["sample"]
        for p in (tmp_path / "out" / "logs" / "acme__calc-1").rglob("result.json")
        if json.loads(p.read_text()).get("chosen")
    ]
    assert chosen in ([1], [2])
