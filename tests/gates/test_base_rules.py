"""A candidate is reviewed under its base commit's settings and policies, never under the ones it brings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from core.git import open_repo
from core.settings import resolve
from tests.conftest import git, write_files

ROOT = Path(__file__).resolve().parents[2]
RISKY = "import yaml\n\n\ndef load(text):\n    return yaml.load(text)\n"


def run_cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-P", "-m", "patchgate", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def gates_of(result: subprocess.CompletedProcess[str]) -> dict[str, dict]:
    return {g["name"]: g for g in json.loads(result.stdout.strip().splitlines()[-1])["gates"]}


def test_staged_config_that_turns_gates_off_does_not_apply_to_its_own_review(make_repo) -> None:
    repo = make_repo({"pkg/__init__.py": "", "pkg/mod.py": "x = 1\n"})
    write_files(repo, {".patchgate.toml": '[review]\ndisabled = ["security", "scope", "tests"]\n', "pkg/mod.py": RISKY})
    git(repo, "add", "-A")
    result = run_cli(repo, "review", "--staged", "--json")
    assert result.returncode == 1
    gates = gates_of(result)
    assert not gates["security"]["skipped"] and not gates["security"]["passed"]
    assert not gates["scope"]["skipped"]


def test_staged_policy_edit_is_not_used_to_judge_itself(make_repo) -> None:
    shipped = yaml.safe_load((ROOT / "policies" / "default.yaml").read_text())
    repo = make_repo(
        {
            "pkg/__init__.py": "",
            ".github/workflows/ci.yml": "on: push\n",
            "pyproject.toml": '[tool.patchgate.review]\npolicy_dir = "ci/policies"\n',
            "ci/policies/default.yaml": yaml.safe_dump(shipped),
        }
    )
    loosened = {**shipped, "scope": {**shipped["scope"], "protected": []}}
    write_files(
        repo, {"ci/policies/default.yaml": yaml.safe_dump(loosened), ".github/workflows/ci.yml": "on: push\njobs: {}\n"}
    )
    git(repo, "add", "-A")
    result = run_cli(repo, "review", "--staged", "--tests", "none", "--json")
    assert result.returncode == 1
    paths = {f["path"] for f in gates_of(result)["scope"]["findings"] if f["rule"] == "scope.protected-path"}
    assert ".github/workflows/ci.yml" in paths


def test_options_come_from_the_base_commit_not_the_working_tree(make_repo) -> None:
    repo = make_repo({"pyproject.toml": "[tool.patchgate.tests]\ntimeout = 42\n"})
    write_files(
        repo,
        {"pyproject.toml": '[tool.patchgate.tests]\ntimeout = 7\n\n[tool.patchgate.review]\ndisabled = ["security"]\n'},
    )
    settings = resolve(repo, base="HEAD")
    assert settings.tests.timeout == 42 and settings.review.disabled == []


def test_a_timeout_still_written_under_review_is_read_as_the_tests_one_with_a_note(make_repo, capsys) -> None:
    repo = make_repo({"pyproject.toml": '[tool.patchgate.review]\ntimeout = 42\ntests_env = "build"\n'})
    settings = resolve(repo, base="HEAD", tests={"env": None})
    assert (settings.tests.timeout, settings.tests.env) == (42, "build")
    assert "[tool.patchgate.review] timeout is now [tool.patchgate.tests] timeout" in capsys.readouterr().err


def test_changes_to_patchgate_settings_and_policies_are_protected_path_findings(make_repo) -> None:
    from tests.conftest import diff_of
    from tools.baserules import rule_change_findings
    from tools.candidate import parse_diff

    pyproject = "[project]\nname = 'x'\n\n[tool.patchgate.review]\npolicy_dir = 'ci/policies'\n"
    repo = make_repo({"pyproject.toml": pyproject, "ci/policies/default.yaml": "version: 1\n", "a.py": ""})
    diff = diff_of(
        repo,
        {
            "pyproject.toml": pyproject + "disabled = ['security']\n",
            "ci/policies/default.yaml": "version: 2\n",
            ".patchgate.toml": "[review]\n",
            "a.py": "x = 1\n",
        },
    )
    repo_obj = open_repo(repo)
    declared = resolve(repo, base="HEAD").review.policy_dir
    findings = rule_change_findings(parse_diff(diff), repo_obj, "HEAD", None, declared)
    assert {f.path for f in findings} == {"pyproject.toml", "ci/policies/default.yaml", ".patchgate.toml"}
    assert all(f.rule == "scope.protected-path" for f in findings)
    renamed = pyproject.replace("name = 'x'", "name = 'y'")  # only project metadata changes
    only_metadata = diff_of(repo, {"pyproject.toml": renamed})
    write_files(repo, {"pyproject.toml": renamed})  # the patched tree the finding reads
    assert rule_change_findings(parse_diff(only_metadata), repo_obj, "HEAD", repo, declared) == []


def test_a_staged_change_to_the_patchgate_table_is_a_protected_path_finding(make_repo) -> None:
    pyproject = "[project]\nname = 'x'\n\n[tool.patchgate.review]\nmax_files = 5\n"
    repo = make_repo({"pyproject.toml": pyproject, "a.py": "x = 1\n"})
    write_files(repo, {"pyproject.toml": pyproject.replace("max_files = 5", "max_files = 500")})
    git(repo, "add", "-A")
    result = run_cli(repo, "review", "--staged", "--tests", "none", "--json")
    assert result.returncode == 1
    (finding,) = gates_of(result)["scope"]["findings"]
    assert finding["rule"] == "scope.protected-path" and finding["path"] == "pyproject.toml"
    assert "[tool.patchgate]" in finding["message"]


def test_a_config_file_with_windows_line_endings_is_read_at_the_base_and_in_the_index(make_repo) -> None:
    """terminaltables' pyproject.toml ends its lines with CRLF. Read through git it lost its last newline, and a lone
    CR ends no TOML line: the review of its next commit stopped with "cannot read pyproject.toml" (exit 2), and so
    did the hook on every staged change."""
    crlf = '[project]\r\nname = "tables"\r\n\r\n[tool.patchgate.tests]\r\ntimeout = 77\r\n'
    repo = make_repo({"pyproject.toml": crlf, "tables.py": "X = 1\n"})
    assert resolve(repo, base="HEAD").tests.timeout == 77
    write_files(repo, {"tables.py": "X = 2\n"})
    git(repo, "add", "-A")
    staged = run_cli(repo, "review", "--staged", "--json", "--tests", "none")
    assert staged.returncode == 0 and gates_of(staged)["parse"]["passed"], staged.stderr
    git(repo, "commit", "-qm", "two")
    committed = run_cli(repo, "review", "HEAD", "--json", "--tests", "none")
    assert committed.returncode == 0, committed.stderr
