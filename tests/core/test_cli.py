"""The CLI's contract: a version, one-line errors, exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

from agent import __version__, cli
from agent.errors import InputError

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "agent", *args], cwd=cwd, env=env, capture_output=True, text=True)


def test_version_is_printed() -> None:
    result = run_cli("--version")
    assert result.returncode == 0
    assert __version__ in result.stdout


def test_unknown_command_is_a_usage_error() -> None:
    result = run_cli("no-such-command")
    assert result.returncode == 2
    assert "No such command" in result.stderr


def test_patchgate_error_becomes_one_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    @click.command()
    def boom() -> None:
        raise InputError("no such revision: nope")

    monkeypatch.setitem(cli.COMMANDS, "boom", "tests_boom:boom")
    monkeypatch.setattr(cli.LazyGroup, "get_command", lambda self, ctx, name: boom)
    monkeypatch.setattr(sys, "argv", ["patchgate", "boom"])
    with pytest.raises(SystemExit) as exc:
        cli.main()
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.strip() == "error: no such revision: nope"
