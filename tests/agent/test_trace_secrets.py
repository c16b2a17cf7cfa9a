"""A secret pasted into an issue reaches neither the model, nor the run trace, nor `patchgate runs show`."""

from __future__ import annotations

import json
from pathlib import Path

from agentkit import GOOD_EDIT, ISSUE, run_cli

TOKEN = "sk-proj-" + "Q9w8E7r6T5y4U3i2O1p0A9s8D7f6"


def test_a_secret_in_the_issue_is_redacted_everywhere(scripted, calc_repo: Path) -> None:
    scripted.edits = [GOOD_EDIT]
    issue = f"{ISSUE}\nMy config has api_key = {TOKEN} in case it matters."
    result = run_cli("solve", "-", "--model", scripted.spec, cwd=calc_repo, stdin=issue)
    assert result.returncode == 0, result.stdout + result.stderr
    assert scripted.requests and TOKEN not in json.dumps(scripted.requests)
    assert "add(2, 3) gives -1" in json.dumps(scripted.requests[0])  # the rest of the issue did arrive
    (run,) = list((calc_repo / ".patchgate" / "runs").iterdir())
    trace = (run / "trace.jsonl").read_text()
    assert trace and "Q9w8E7r6" not in trace
    shown = run_cli("runs", "show", run.name, cwd=calc_repo)
    assert shown.returncode == 0 and "add() returns the wrong result" in shown.stdout
    assert "Q9w8E7r6" not in shown.stdout + result.stdout + result.stderr
