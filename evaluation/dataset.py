"""SWE-bench instances and predictions, as the official harness reads and writes them.

A dataset is a JSON list or JSONL of instances; FAIL_TO_PASS and PASS_TO_PASS
may be lists or JSON-encoded strings (both occur in published files). A
predictions file is JSONL or a JSON list of ``{instance_id, model_name_or_path,
model_patch}``; ``gold`` and ``empty`` are the harness's own controls.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from core.errors import InputError
from retrieval.evaluate import load_dataset

CONTROLS = ("gold", "empty")


class Instance(BaseModel):
    """One task: a repository at a commit, the issue, the reference fix and the tests that judge a fix."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    instance_id: str
    repo: str = Field(description="owner/name; the checkout is <repos>/<owner>__<name>.")
    base_commit: str
    problem_statement: str
    patch: str = Field(description="The reference (gold) fix.")
    test_patch: str = Field(default="", description="Tests added by the fix; applied after the prediction.")
    FAIL_TO_PASS: list[str]
    PASS_TO_PASS: list[str] = Field(default_factory=list)
    version: str = ""
    environment_setup_commit: str = Field(default="", description="Commit the environment is built from.")

    @field_validator("FAIL_TO_PASS", "PASS_TO_PASS", mode="before")
    @classmethod
    def _decoded(cls, value: object) -> object:
        return json.loads(value) if isinstance(value, str) else value

    @property
    def repo_key(self) -> str:
        return self.repo.replace("/", "__")

    @property
    def env_commit(self) -> str:
        return self.environment_setup_commit or self.base_commit


class Prediction(BaseModel):
    """One row of a SWE-bench predictions file."""

    model_config = ConfigDict(extra="ignore")

    instance_id: str
    model_name_or_path: str
    model_patch: str | None = ""

    @property
    def empty(self) -> bool:
        return not (self.model_patch or "").strip()


def load_instances(path: Path, only: list[str] | None = None) -> list[Instance]:
    """The dataset's instances (those named in ``only``, when given), in file order."""
    rows = load_dataset(path)
    try:
        instances = [Instance.model_validate(row) for row in rows]
    except (ValidationError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not a SWE-bench dataset ({_first_error(exc)})") from None
    if only:
        known = {i.instance_id for i in instances}
        unknown = [i for i in only if i not in known]
        if unknown:
            raise InputError(f"--instances: not in {path}: {', '.join(unknown[:5])}")
        wanted = set(only)
        instances = [i for i in instances if i.instance_id in wanted]
    return instances


def load_predictions(source: str, instances: list[Instance]) -> dict[str, Prediction]:
    """Predictions by instance id: ``gold``, ``empty``, or a predictions file (JSONL or JSON list)."""
    if source in CONTROLS:
        return {
            i.instance_id: Prediction(
                instance_id=i.instance_id, model_name_or_path=source, model_patch=i.patch if source == "gold" else ""
            )
            for i in instances
        }
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read predictions {path}: {exc.strerror}") from None
    try:
        rows = (
            json.loads(text)
            if text.lstrip().startswith("[")
            else [json.loads(line) for line in text.splitlines() if line.strip()]
        )
        if isinstance(rows, dict):  # the harness also accepts {instance_id: prediction}
            rows = list(rows.values())
        predictions = [Prediction.model_validate(row) for row in rows]
    except (json.JSONDecodeError, ValidationError, TypeError) as exc:
        raise InputError(f"{path}: not a SWE-bench predictions file ({_first_error(exc)})") from None
    return {p.instance_id: p for p in predictions}


def write_predictions(path: Path, predictions: list[Prediction]) -> None:
    """JSONL in the harness's format, one line per instance, in the order given."""
    from evaluation.store import save_text

    save_text(path, "".join(p.model_dump_json() + "\n" for p in predictions))


def _first_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
    return str(exc).splitlines()[0]
