"""The published ``.pre-commit-hooks.yaml`` under the real ``pre-commit`` tool, on a real repository.

The hook repository is a git repository holding this checkout's ``.pre-commit-hooks.yaml`` (pre-commit
clones it as it would clone GitHub); ``language: system`` means pre-commit installs nothing and runs the
``patchgate`` on PATH, so the run needs no network and never downloads torch.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import git, write_files
from tests.gates.test_hook import BASE, bare_env, head_count

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def test_the_published_hook_installs_nothing() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert [h["language"] for h in hooks] == ["system"]
    assert hooks[0]["entry"].startswith("patchgate review --staged") and hooks[0]["pass_filenames"] is False


@pytest.mark.slow
def test_pre_commit_runs_the_hook_a_good_commit_passes_a_bad_one_is_blocked(make_repo, tmp_path: Path) -> None:
    if not (BIN / "pre-commit").is_file():
        pytest.fail("pre-commit is not installed: scripts/install.sh installs the test extra, which has it")
    hooks = make_repo(
        {".pre-commit-hooks.yaml": (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")}, name="hooks"
    )
    rev = git(hooks, "rev-parse", "HEAD").strip()
    config = {"repos": [{"repo": str(hooks), "rev": rev, "hooks": [{"id": "patchgate-review"}]}]}
    project = make_repo({**BASE, ".pre-commit-config.yaml": yaml.safe_dump(config)})
    env = {**bare_env(), "PATH": f"{BIN}:/usr/local/bin:/usr/bin:/bin", "PRE_COMMIT_HOME": str(tmp_path / "pc")}
    installed = subprocess.run(
        [str(BIN / "pre-commit"), "install"], cwd=project, env=env, capture_output=True, text=True
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr

    write_files(project, {"pkg/mod.py": 'def f():\n    """One."""\n    return 1\n'})
    git(project, "add", "-A")
    good = subprocess.run(
        ["git", "commit", "-q", "-m", "docstring"], cwd=project, env=env, capture_output=True, text=True
    )
    assert good.returncode == 0, good.stdout + good.stderr
    assert "patchgate review" in good.stdout + good.stderr and head_count(project) == 2

    write_files(project, {"pkg/mod.py": "def f(:\n    return 1\n"})
    git(project, "add", "-A")
    bad = subprocess.run(["git", "commit", "-q", "-m", "broken"], cwd=project, env=env, capture_output=True, text=True)
    assert bad.returncode != 0
    assert "parse.syntax" in bad.stdout + bad.stderr and head_count(project) == 2
