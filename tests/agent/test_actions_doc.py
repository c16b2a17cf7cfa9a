"""The GitHub Actions example in docs/ is valid YAML and calls `patchgate suggest` only with flags it has."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import yaml

from agent.commands.suggest import suggest_command

WORKFLOW = Path(__file__).resolve().parents[2] / "docs" / "patchgate-suggest.yml"


def test_workflow_calls_suggest_with_real_flags_and_the_permissions_it_needs() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert workflow["permissions"]["contents"] == "read"  # it never pushes
    steps = workflow["jobs"]["suggest"]["steps"]
    (run,) = [s["run"] for s in steps if "patchgate suggest" in s.get("run", "")]
    argv = shlex.split(re.sub(r"\$\{\{[^}]*\}\}", "X", run))[2:]
    known = {opt for param in suggest_command.params for opt in param.opts}
    flags = [a for a in argv if a.startswith("--")]
    assert flags and set(flags) <= known, set(flags) - known
    ctx = suggest_command.make_context("suggest", argv)  # raises on a missing value or a bad option
    assert ctx.params["base"] == "origin/X" and ctx.params["junit"] == Path("junit.xml")
