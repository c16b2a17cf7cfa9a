"""`patchgate review` and `patchgate install-hook` as a user runs them: exit codes, JSON, SARIF, GitHub, hook."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import git, write_files

ROOT = Path(__file__).resolve().parents[2]
BASE = {"pkg/mod.py": "def f():\n    return 1\n", "pkg/__init__.py": ""}


def run_cli(cwd: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-P", "-m", "patchgate", *args], cwd=cwd, env=env, capture_output=True, text=True, input=stdin
    )


@pytest.fixture
def repo(make_repo) -> Path:
    return make_repo(BASE)


def test_staged_clean_change_exits_0_and_json_is_the_last_line(repo: Path) -> None:
    write_files(repo, {"pkg/mod.py": "def f():\n    return 2\n"})
    git(repo, "add", "-A")
    result = run_cli(repo, "review", "--staged", "--tests", "none", "--json")
    assert result.returncode == 0, result.stderr
    verdict = json.loads(result.stdout.strip().splitlines()[-1])
    assert verdict["passed"] is True
    assert [g["name"] for g in verdict["gates"]] == ["apply", "parse", "tests", "scope", "security", "license"]
    assert git(repo, "diff", "--cached", "--name-only").strip() == "pkg/mod.py"  # the index is untouched


def test_failed_gate_exits_1_and_writes_sarif_and_github(repo: Path, tmp_path: Path) -> None:
    write_files(repo, {"pkg/mod.py": "import yaml\n\ndef f(t):\n    return yaml.load(t)\n"})
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "risky")
    sarif_file, github_file = tmp_path / "out.sarif", tmp_path / "review.md"
    result = run_cli(
        repo, "review", "HEAD~1..HEAD", "--tests", "none", "--sarif", str(sarif_file), "--github", str(github_file)
    )
    assert result.returncode == 1
    assert "security.yaml-unsafe-load" in result.stdout
    assert result.stderr.strip().splitlines() == ["error: gates failed: security"]
    sarif = json.loads(sarif_file.read_text())
    assert sarif["version"] == "2.1.0" and sarif["$schema"].endswith("sarif-2.1.0.json")
    run = sarif["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["security.yaml-unsafe-load"]
    (hit,) = run["results"]
    assert hit["ruleId"] == "security.yaml-unsafe-load" and hit["level"] == "error"
    assert hit["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "pkg/mod.py", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 4},
    }
    markdown = github_file.read_text()
    assert "`pkg/mod.py:4`" in markdown
    assert "```suggestion\n    return yaml.safe_load(t)\n```" in markdown


def test_patch_from_stdin_and_file(repo: Path, tmp_path: Path) -> None:
    write_files(repo, {"pkg/mod.py": "def f():\n    return 3\n"})
    diff = git(repo, "diff")
    git(repo, "checkout", "--", ".")
    assert run_cli(repo, "review", "--patch", "-", "--tests", "none", stdin=diff).returncode == 0
    patch = tmp_path / "c.diff"
    patch.write_text(diff)
    assert run_cli(repo, "review", "--patch", str(patch), "--tests", "none").returncode == 0


@pytest.mark.parametrize(
    "args",
    [
        ("review", "nope..HEAD"),
        ("review", "--patch", "/no/such/file.diff"),
        ("review", "--patch", "-", "--base", "no-such-rev"),
        ("review", "--staged", "HEAD"),  # two changes at once (plain `review` reviews the uncommitted changes)
    ],
)
def test_bad_input_exits_2_with_one_line(repo: Path, args: tuple[str, ...]) -> None:
    result = run_cli(repo, *args, stdin="--- a/pkg/mod.py\n+++ b/pkg/mod.py\n@@ -1 +1 @@\n-x\n+y\n")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("error: ")


def test_not_a_git_repository_exits_2(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "review", "--staged")
    assert result.returncode == 2 and "not inside a git repository" in result.stderr


def test_install_hook_refuses_to_replace_without_force(repo: Path) -> None:
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.parent.mkdir(parents=True, exist_ok=True)
    hook.write_text("#!/bin/sh\necho mine\n")
    refused = run_cli(repo, "install-hook")
    assert refused.returncode == 2 and "--force" in refused.stderr
    assert hook.read_text() == "#!/bin/sh\necho mine\n"
    assert run_cli(repo, "install-hook", "--force").returncode == 0
    assert "review --staged" in hook.read_text() and os.access(hook, os.X_OK)


def test_pre_commit_hook_definition() -> None:
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "patchgate-review" and hook["entry"] == "patchgate review --staged"


def test_config_turns_tests_off_for_the_hook(repo: Path) -> None:
    write_files(repo, {".patchgate.toml": '[review]\ntests = "none"\n'})
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "config")  # settings apply once committed: a change is judged by its base's rules
    write_files(repo, {"pkg/mod.py": "def f():\n    return 2\n"})
    git(repo, "add", "-A")
    verdict = json.loads(run_cli(repo, "review", "--staged", "--json").stdout.splitlines()[-1])
    tests = next(g for g in verdict["gates"] if g["name"] == "tests")
    assert tests["passed"] and tests["detail"].startswith("tests off")  # no test ran; changed modules imported


def run_on_a_terminal(cwd: Path, *args: str) -> tuple[int, str]:
    """``patchgate`` with its stderr on a pseudo-terminal, as a person (or git running the hook) sees it: the
    exit code and everything written there."""
    import pty

    primary, secondary = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "200"}
    command = [sys.executable, "-P", "-m", "patchgate", *args]
    proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=secondary)
    os.close(secondary)
    shown = bytearray()
    while True:
        try:
            chunk = os.read(primary, 4096)
        except OSError:  # the terminal's other end closed: the process is done with it
            break
        if not chunk:
            break
        shown += chunk
    os.close(primary)
    return proc.wait(timeout=120), shown.decode("utf-8", "replace")


def test_a_review_on_a_terminal_says_what_runs_while_it_waits(make_repo) -> None:
    """XlsxWriter's review ran 1,250 test files for minutes with nothing on the screen, and a hook that says
    nothing looks hung. On a terminal the review says which gate runs, and which test files on which side;
    redirected it prints none of it (the other tests here read that stderr)."""
    test = "from pkg.mod import f\n\n\ndef test_f():\n    assert f() == 1\n"
    root = make_repo({**BASE, "tests/test_mod.py": test})
    write_files(root, {"pkg/mod.py": "def f():\n    return 2\n"})
    code, shown = run_on_a_terminal(root, "review", "--tests", "related")
    assert code == 1, shown
    # the line is drawn a dozen times a second: a step shorter than that (choosing the tests) may never be seen,
    # a pytest run (a second here) always is
    assert "tests: 1 test file on the change" in shown, shown
    assert "tests: 1 test file on the base, to compare" in shown, shown
    assert "error: gates failed: tests" in shown, shown
