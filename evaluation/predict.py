"""Agent mode: patchgate itself writes the predictions, by running ``solve`` on each instance.

``solve`` runs in the instance's throw-away worktree at its base commit and
never applies anything there (the candidates come back as diffs). With
``--samples K`` it samples K candidates and its gates choose one, exactly as
``patchgate solve --candidates K`` would; every candidate is evaluated, which
gives pass@k, and the chosen one is the prediction written for the harness.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from evaluation.dataset import Prediction
from evaluation.store import instance_dir, save_text

PREDICTION = "prediction.json"


def generate(task, tree: Path) -> list[tuple[int | None, str, bool]]:
    """(sample, diff, chosen by the gates) for each candidate; sample is None when there is only one."""
    from agent.pipeline import solve
    from core.settings import resolve

    # each instance is its own repository: its settings are resolved here, at the edge of its run
    settings = resolve(tree, base="HEAD", model=task.model, agent={"candidates": task.samples})
    result = solve(tree, task.instance.problem_statement, settings)
    chosen = result.best.index if result.best is not None else None
    made = {c.index: c.diff for c in result.candidates}
    diffs = [made.get(k, "") for k in range(task.samples)]
    best = made.get(chosen, "") if chosen is not None else ""
    prediction = Prediction(
        instance_id=task.instance.instance_id, model_name_or_path=f"patchgate:{task.model}", model_patch=best
    )
    folder = instance_dir(task.out, task.instance.instance_id)
    save_text(folder / PREDICTION, prediction.model_dump_json() + "\n")
    trace = result.run_dir / "trace.jsonl"
    if trace.is_file():  # the run lives in the worktree's .patchgate/, which goes with the worktree
        shutil.copyfile(trace, folder / "trace.jsonl")
    if task.samples == 1:
        return [(None, diffs[0], True)]
    return [(k, diff, k == chosen) for k, diff in enumerate(diffs)]


def saved_prediction(out: Path, instance_id: str) -> Prediction | None:
    """The prediction agent mode wrote for ``instance_id``, if it got that far."""
    try:
        return Prediction.model_validate(json.loads((instance_dir(out, instance_id) / PREDICTION).read_text("utf-8")))
    except (OSError, ValueError):
        return None
