"""What one instance's evaluation leaves in ``--out``, and how a rerun finds it again.

    out/predictions.jsonl                    the predictions evaluated (harness format)
    out/logs/<instance_id>/patch.diff        the prediction as applied
    out/logs/<instance_id>/test_output.txt   pytest's output
    out/logs/<instance_id>/environment.txt   how the environment was built (or why not)
    out/logs/<instance_id>/result.json       status, per-test outcomes, timing, the gates' verdict
    out/report.json                          the run's report (see report.py)

With ``--samples K`` every candidate has its own ``logs/<instance_id>/sample-<k>/``.
``result.json`` is written last and atomically, so its presence means "finished":
a rerun skips exactly those, and a Ctrl-C never leaves a half-written one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.atomic import atomic_write_text

Status = Literal["resolved", "unresolved", "patch_failed", "env_failed", "error"]
RESULT = "result.json"


class InstanceResult(BaseModel):
    """The outcome of one prediction on one instance."""

    model_config = ConfigDict(extra="forbid")

    instance_id: str
    sample: int | None = Field(default=None, description="Candidate index with --samples; None for the prediction.")
    status: Status
    reason: str = Field(default="", description="Why it is not resolved/unresolved, in one line.")
    empty_patch: bool = False
    tests: dict[str, str] = Field(default_factory=dict, description="FAIL_TO_PASS/PASS_TO_PASS id -> outcome.")
    fail_to_pass_failed: list[str] = Field(default_factory=list)
    pass_to_pass_failed: list[str] = Field(default_factory=list)
    gates_passed: bool | None = Field(default=None, description="patchgate review (tests off) accepted the patch.")
    gates_failed: list[str] = Field(default_factory=list, description="Gates that rejected it.")
    chosen: bool = Field(default=False, description="With --samples: the candidate the gates chose.")
    seconds: dict[str, float] = Field(
        default_factory=dict, description="Wall time per step (env, apply, tests, gates)."
    )

    @property
    def evaluated(self) -> bool:
        return self.status in ("resolved", "unresolved")


def instance_dir(out: Path, instance_id: str, sample: int | None = None) -> Path:
    """``out/logs/<instance_id>[/sample-<k>]``; ids are file names in the harness too, but never paths."""
    safe = instance_id.replace("/", "_").replace("\\", "_")
    if safe in ("", ".", ".."):
        safe = f"_{safe}"
    folder = out / "logs" / safe
    return folder / f"sample-{sample}" if sample is not None else folder


def save_text(path: Path, text: str) -> None:
    """Write ``text`` so that a reader (or a rerun after Ctrl-C) never sees half of it."""
    atomic_write_text(path, text)


def save_result(out: Path, result: InstanceResult) -> None:
    save_text(instance_dir(out, result.instance_id, result.sample) / RESULT, result.model_dump_json(indent=1) + "\n")


def load_results(out: Path, instance_id: str, samples: list[int | None]) -> list[InstanceResult] | None:
    """Every sample's finished result, or None unless all are there (unreadable ones are run again)."""
    found = []
    for sample in samples:
        path = instance_dir(out, instance_id, sample) / RESULT
        try:
            found.append(InstanceResult.model_validate(json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError, ValidationError):
            return None
    return found
