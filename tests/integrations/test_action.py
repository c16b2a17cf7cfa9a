"""The composite GitHub Action (action.yml): its review step run as GitHub runs it, on a real pull-request branch."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

from tests.conftest import git, write_files

ACTION = Path(__file__).resolve().parents[2] / "action.yml"


def _steps() -> dict[str, dict]:
    action = yaml.safe_load(ACTION.read_text())
    assert action["runs"]["using"] == "composite"
    return {s.get("id") or s.get("name") or s.get("uses"): s for s in action["runs"]["steps"]}


def test_installs_from_its_own_checkout_and_never_splices_inputs_into_shell() -> None:
    steps = _steps()
    install = steps["install patchgate from the action's checkout"]
    assert 'bash "$ACTION_PATH/scripts/install.sh"' in install["run"]
    assert install["env"]["ACTION_PATH"] == "${{ github.action_path }}"
    for step in steps.values():
        assert "${{" not in step.get("run", ""), step  # inputs arrive as env, never as shell text
        assert "pip install patchgate" not in step.get("run", "")


def test_every_flag_the_action_passes_exists() -> None:
    steps = _steps()
    for command, step in (("review", steps["review"]), ("suggest", steps["suggest a gated fix"])):
        helptext = subprocess.run(
            [sys.executable, "-P", "-m", "patchgate", command, "--help"], capture_output=True, text=True, check=True
        ).stdout
        for flag in re.findall(r" (--[a-z-]+)", step["run"]):
            assert flag in helptext, (command, flag)


def _run_review(root: Path, tmp_path: Path) -> tuple[int, str]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    output, env_file = tmp_path / "output", tmp_path / "env"
    output.write_text("")
    env_file.write_text("")
    env = {
        **os.environ,
        "PATCHGATE_BIN": str(Path(sys.executable).parent / "patchgate"),
        "BASE": "main",
        "TESTS": "related",
        "FAIL": "true",
        "GITHUB_OUTPUT": str(output),
        "GITHUB_ENV": str(env_file),
    }
    run = subprocess.run(
        ["bash", "-e", "-c", _steps()["review"]["run"]], cwd=root, env=env, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr
    return int(env_file.read_text().partition("PATCHGATE_REVIEW_CODE=")[2] or 0), output.read_text()


def test_review_step_on_a_pull_request_branch(project: Path, tmp_path: Path) -> None:
    git(project, "checkout", "-q", "-b", "feature")
    write_files(project, {"pkg/calc.py": "def add(a, b):\n    return a - b\n"})
    git(project, "commit", "-qam", "break add")
    code, outputs = _run_review(project, tmp_path / "a")
    assert code == 1 and "passed=false" in outputs
    assert "test_add" in (project / "patchgate-review.md").read_text()
    write_files(project, {"pkg/calc.py": 'def add(a, b):\n    """The sum."""\n    return a + b\n'})
    git(project, "commit", "-qam", "document add")
    code, outputs = _run_review(project, tmp_path / "b")
    assert code == 0 and "passed=true" in outputs
