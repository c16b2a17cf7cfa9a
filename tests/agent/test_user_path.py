"""What a new user meets first: text printed as written, one-line errors, no run left by a typo, quick failures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from agentkit import GOOD_EDIT, ROOT, ScriptedModel, git, run_cli

HOSTILE = "add() is wrong [/] :x: \x1b[31mred\x1b[0m [bold]not bold[/bold]"


def test_an_issue_with_markup_and_escapes_is_shown_as_written(scripted: ScriptedModel, calc_repo: Path) -> None:
    scripted.edits = [GOOD_EDIT]
    solved = run_cli("solve", HOSTILE, "--model", scripted.spec, cwd=calc_repo)
    assert solved.returncode == 0, solved.stderr
    listed = run_cli("runs", cwd=calc_repo)
    assert listed.returncode == 0, listed.stderr
    assert "[/]" in listed.stdout and ":x:" in listed.stdout and "\x1b" not in listed.stdout
    run_id = json.loads(run_cli("runs", "--json", cwd=calc_repo).stdout)[0]["run_id"]
    shown = run_cli("runs", "show", run_id, cwd=calc_repo)
    assert shown.returncode == 0, shown.stderr
    assert "[bold]not bold[/bold]" in shown.stdout and ":x:" in shown.stdout and "❌" not in shown.stdout
    assert "\x1b" not in shown.stdout and "\\x1b[31mred" in shown.stdout  # the escape is visible, not obeyed
    assert f"openai:scripted@{scripted.server.url_for('/v1')}" in shown.stdout
    narrow = subprocess.run(
        [sys.executable, "-P", "-m", "patchgate", "runs"],
        cwd=calc_repo,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "80", "NO_COLOR": "1"},
    )
    assert run_id in narrow.stdout and max(map(len, narrow.stdout.splitlines())) <= 80  # ids are never cut


def test_a_configuration_error_leaves_no_run_behind(calc_repo: Path) -> None:
    result = run_cli("solve", "fix add", "--model", "nonsense:x", cwd=calc_repo)
    assert result.returncode == 2 and result.stderr.startswith("error: unknown model provider 'nonsense'")
    assert not (calc_repo / ".patchgate" / "runs").exists() or not any((calc_repo / ".patchgate" / "runs").iterdir())
    listed = run_cli("runs", cwd=calc_repo)
    assert listed.stdout == "" and "no runs yet" in listed.stderr


def test_solve_json_prints_an_error_object_when_it_fails(calc_repo: Path) -> None:
    result = run_cli("solve", "fix add", "--json", "--model", "nonsense:x", cwd=calc_repo)
    assert result.returncode == 2
    payload = json.loads(result.stdout)
    assert payload["exit_code"] == 2 and "unknown model provider" in payload["error"]


def test_a_usage_error_is_one_line_with_exit_2(calc_repo: Path) -> None:
    result = run_cli("review", "--bogus", cwd=calc_repo)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: No such option '--bogus'")
    assert "patchgate review --help" in result.stderr


def test_review_with_nothing_staged_says_there_is_nothing_to_review(calc_repo: Path) -> None:
    result = run_cli("review", "--staged", cwd=calc_repo)
    assert result.returncode == 0
    assert "nothing to review" in result.stderr and "all gates passed" not in result.stdout + result.stderr
    assert json.loads(run_cli("review", "--staged", "--json", cwd=calc_repo).stdout)["nothing_to_review"] is True


def test_complete_with_a_hosted_model_says_it_takes_local_models(calc_repo: Path) -> None:
    result = run_cli("complete", "calc.py:1", "--model", "openai:gpt-4.1", cwd=calc_repo)
    assert result.returncode == 2 and "complete takes a local model" in result.stderr
    assert "OPENAI_API_KEY" not in result.stderr


def test_a_missing_local_model_fails_before_transformers_is_imported(calc_repo: Path) -> None:
    probe = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('transformers imported:', 'transformers' in sys.modules, file=sys.stderr))\n"
        "from patchgate.cli import main\nmain()\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", probe, "generate", "--grammar", "json", "--model", "hf:/nonexistent", "x"],
        cwd=calc_repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "hf model path /nonexistent does not exist" in result.stderr
    assert "transformers imported: False" in result.stderr
    assert time.monotonic() - started < 10


def test_an_unreachable_server_fails_quickly_and_clearly(calc_repo: Path) -> None:
    git(calc_repo, "status")  # a real repository: the failure is the model's, not the setup's
    started = time.monotonic()
    result = run_cli("solve", "fix add", "--model", "openai:x@http://127.0.0.1:9/v1", cwd=calc_repo)
    assert time.monotonic() - started < 10
    assert result.returncode == 2, result.stderr
    assert "cannot connect to http://127.0.0.1:9/v1 (connection refused)" in result.stderr
    assert "is the server running" in result.stderr
