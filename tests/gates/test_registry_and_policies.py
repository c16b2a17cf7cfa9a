"""The gate registry and the typed policy packs: shipped files validate, broken ones fail in one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.errors import ConfigError
from core.paths import POLICY_DIR
from tests.conftest import git, write_files
from tools.gate import GATES, gate_names, load_gate
from tools.options import ReviewOptions, check_gates, switchable_gates
from tools.policy import Policies


def test_every_shipped_policy_validates() -> None:
    policies = Policies()
    assert policies.default.scope.limits.max_files > 0
    assert policies.security.code.rules and policies.security.secrets.plugins
    assert policies.models.models and policies.kubernetes.kubernetes.workload_kinds
    assert {p.stem for p in POLICY_DIR.glob("*.yaml")} == {"default", "security", "models", "kubernetes"}


def test_every_registered_gate_loads_under_its_name() -> None:
    for name in gate_names():
        gate = load_gate(name)
        assert gate.name == name and gate.needs in ("nothing", "applied", "green")
    with pytest.raises(ConfigError, match=r"unknown gate 'lint'; valid: apply, parse"):
        load_gate("lint")


def test_options_reject_an_unknown_gate_and_derive_choices_from_the_registry() -> None:
    assert switchable_gates() == tuple(g for g in GATES if g != "apply")
    with pytest.raises(ConfigError, match="unknown gate 'lnt'"):
        check_gates(ReviewOptions(disabled=["lnt"]))


def _commit_config(root: Path, text: str) -> None:
    """Settings count once committed: a review reads them from the base commit, never the working tree."""
    write_files(root, {".patchgate.toml": text})
    git(root, "add", ".patchgate.toml")
    git(root, "commit", "-qm", "config")


def _review_json(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-P", "-m", "patchgate", "review", "--staged", "--tests", "none", "--json"],
        cwd=root,
        env=dict(os.environ),
        capture_output=True,
        text=True,
    )


def test_a_policy_with_a_misspelt_key_is_one_line_naming_file_and_key(make_repo, tmp_path: Path) -> None:
    root = make_repo({"a.py": "x = 1\n"})
    policies = tmp_path / "pol"
    policies.mkdir()
    text = (POLICY_DIR / "default.yaml").read_text().replace("max_hunks:", "max_hunkz:")
    (policies / "default.yaml").write_text(text)
    _commit_config(root, f'[review]\npolicy_dir = "{policies}"\nmodel_rules = "all"\n')  # limits bind own commits
    write_files(root, {"a.py": "x = 2\n"})
    git(root, "add", "a.py")
    result = _review_json(root)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: policy ")
    assert "default.yaml" in lines[0] and "scope.limits.max_hunkz" in lines[0]


def test_a_missing_policy_dir_is_an_error_not_ignored(make_repo, tmp_path: Path) -> None:
    root = make_repo({"a.py": "x = 1\n"})
    _commit_config(root, f'[review]\npolicy_dir = "{tmp_path / "nowhere"}"\n')
    write_files(root, {"a.py": "x = 2\n"})
    git(root, "add", "a.py")
    result = _review_json(root)
    assert result.returncode == 2 and "is not a folder" in result.stderr


def test_a_repository_policy_dir_replaces_one_pack_and_is_applied(make_repo, tmp_path: Path) -> None:
    root = make_repo({"a.py": "x = 1\n", "b.py": "y = 0\n"})  # b.py exists: a new root script is its own rule
    policies = tmp_path / "pol"
    policies.mkdir()
    text = (POLICY_DIR / "default.yaml").read_text().replace("max_files: 30", "max_files: 1")
    (policies / "default.yaml").write_text(text)
    _commit_config(root, f'[review]\npolicy_dir = "{policies}"\nmodel_rules = "all"\n')  # limits bind own commits
    write_files(root, {"a.py": "x = 2\n", "b.py": "y = 1\n"})
    git(root, "add", "a.py", "b.py")
    result = _review_json(root)
    assert result.returncode == 1, result.stderr
    verdict = json.loads(result.stdout.strip().splitlines()[-1])
    scope = next(g for g in verdict["gates"] if g["name"] == "scope")
    assert [f["rule"] for f in scope["findings"]] == ["scope.too-many-files"]
