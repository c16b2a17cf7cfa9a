"""The CLI's contract: a version, one-line errors, exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

from core import __version__
from core.errors import InputError
from patchgate import cli

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    return subprocess.run(
        [sys.executable, "-P", "-m", "patchgate", *args], cwd=cwd, env=env, capture_output=True, text=True
    )


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


def test_doctor_reports_missing_index_and_model_without_failing(make_repo) -> None:
    import json

    root = make_repo({"a.py": "x = 1\n"})
    env_free = {k: v for k, v in os.environ.items() if k != "PATCHGATE_MODEL"}
    result = subprocess.run(
        [sys.executable, "-P", "-m", "patchgate", "doctor", "--json"],
        cwd=root,
        env=env_free,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["python"]["ok"] and report["torch"]["ok"]
    assert not report["index"]["ok"] and "patchgate index" in report["index"]["detail"]
    assert not report["model"]["ok"] and "[tool.patchgate]" in report["model"]["detail"]
    tests_env = report["tests environment"]
    assert not tests_env["ok"] and "patchgate's own Python" in tests_env["detail"]
    assert "--tests-env build" in tests_env["detail"]


def test_doctor_says_which_environment_runs_the_tests_and_why(make_repo) -> None:
    import json

    def doctor(root: Path) -> dict:
        result = subprocess.run(
            [sys.executable, "-P", "-m", "patchgate", "doctor", "--json"],
            cwd=root,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout.strip().splitlines()[-1])["tests environment"]

    root = make_repo({"a.py": "x = 1\n", ".gitignore": ".venv/\n"})
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / ".venv")], check=True)
    found = doctor(root)
    assert found["ok"] and found["detail"] == f"{root / '.venv' / 'bin' / 'python'}: the repository's .venv/"
    (root / "pyproject.toml").write_text('[project]\nname = "a"\n\n[tool.patchgate.tests]\nenv = "build"\n')
    subprocess.run(["git", "add", "pyproject.toml"], cwd=root, check=True)
    subprocess.run(
        ["git", "-c", "user.name=T", "-c", "user.email=t@e", "commit", "-qm", "config"], cwd=root, check=True
    )  # test settings count once committed: reviews read the base commit's
    built = doctor(root)
    assert built["ok"] and "an isolated environment from pyproject.toml" in built["detail"]
    assert "built with uv on the first review that runs tests" in built["detail"]


@pytest.mark.parametrize("started_as", ["script", "module"])
def test_ctrl_c_while_the_cli_imports_is_one_line(tmp_path: Path, started_as: str) -> None:
    # pressed at once after Enter, it landed in the CLI's own imports (click, rich: a tenth of a second) and
    # printed their traceback; the Ctrl-C is sent here the moment click starts to import, every time
    (tmp_path / "sitecustomize.py").write_text(
        "import os, signal, sys, time\n"
        "class CtrlC:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'click':\n"
        "            sys.meta_path.remove(self)\n"
        "            os.kill(os.getpid(), signal.SIGINT)\n"
        "            time.sleep(1)\n"
        "sys.meta_path.insert(0, CtrlC())\n"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    script = Path(sys.executable).with_name("patchgate")  # the console script the install made
    command = [str(script)] if started_as == "script" else [sys.executable, "-P", "-m", "patchgate"]
    result = subprocess.run([*command, "--version"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 130 and result.stderr == "error: interrupted\n", result.stderr
