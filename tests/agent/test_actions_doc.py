"""The GitHub Actions examples in docs/ are valid YAML and call `patchgate suggest` only with flags it has."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

from patchgate.commands.suggest import suggest_command

DOCS = Path(__file__).resolve().parents[2] / "docs"


def workflows() -> list[tuple[str, dict]]:
    guide = (DOCS / "github-actions.md").read_text(encoding="utf-8")
    inline = re.findall(r"```yaml\n(.*?)```\n", guide, flags=re.S)
    return [
        ("patchgate-suggest.yml", yaml.safe_load((DOCS / "patchgate-suggest.yml").read_text(encoding="utf-8"))),
        *((f"github-actions.md#{i}", yaml.safe_load(text)) for i, text in enumerate(inline)),
    ]


@pytest.mark.parametrize(("name", "workflow"), workflows(), ids=lambda v: v if isinstance(v, str) else "")
def test_workflow_calls_suggest_with_real_flags_and_never_asks_to_write_code(name: str, workflow: dict) -> None:
    assert workflow["permissions"]["contents"] == "read", name  # it never pushes
    (job,) = workflow["jobs"].values()
    (run,) = [s["run"] for s in job["steps"] if "patchgate suggest" in s.get("run", "")]
    argv = shlex.split(re.sub(r"\$\{\{[^}]*\}\}", "X", run).replace("\\\n", " "))[2:]
    known = {opt for param in suggest_command.params for opt in param.opts}
    flags = [a for a in argv if a.startswith("--")]
    assert flags and set(flags) <= known, set(flags) - known
    ctx = suggest_command.make_context("suggest", argv)  # raises on a missing value or an unknown option
    assert ctx.params["base"] == "origin/X" and ctx.params["junit"] == Path("junit.xml")
