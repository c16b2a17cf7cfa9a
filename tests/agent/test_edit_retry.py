"""A search/replace block that matches nothing: the model is told which file and the closest real lines."""

from __future__ import annotations

import json
from pathlib import Path

from agentkit import ISSUE, run_cli, tree_state

WRONG = "calc.py\n<<<<<<< SEARCH\ndef add(x, y):\n    return x - y\n=======\ndef add(x, y):\n    return x + y\n>>>>>>> REPLACE\n"


KEY = "sk-proj-" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4"


def test_unmatched_block_gets_the_closest_lines_and_nothing_changes(scripted, calc_repo: Path) -> None:
    scripted.edits = [WRONG] * 2
    before = tree_state(calc_repo)
    result = run_cli(
        "solve", f"{ISSUE}\nmy key is {KEY}", "--model", scripted.spec, "--rounds", "1", "--json", cwd=calc_repo
    )
    assert result.returncode == 1, result.stderr
    retry = scripted.edit_requests()[1][-1]["content"]
    assert "calc.py: the SEARCH text matches nothing" in retry
    assert "    1 | def add(a, b):" in retry and "    3 |     return a - b" in retry
    payload = json.loads(result.stdout.strip().splitlines()[-1])
    assert payload["passed"] is False and payload["diff"] == "" and payload["model_calls"] == 3
    assert tree_state(calc_repo) == before
    assert KEY not in json.dumps(scripted.requests)  # secrets never reach the model...
    (run,) = (calc_repo / ".patchgate" / "runs").iterdir()
    trace = (run / "trace.jsonl").read_text()
    assert KEY not in trace and '"event": "edit_mismatch"' in trace  # ...nor the trace
