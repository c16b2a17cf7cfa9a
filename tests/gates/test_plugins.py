"""Third parties' gates and model providers, installed as distributions with entry points, run for real."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import git, write_files

PLUGIN = '''
from tools.findings import Finding, GateReport


class NoTodoGate:
    """Refuses a change that adds a TODO."""

    name = "no-todo"
    needs = "nothing"

    def run(self, ctx):
        found = [Finding(rule="no-todo.added", path=f.path, line=line, message=f"TODO added: {text.strip()}")
                 for f in ctx.candidate.files for line, text in f.added if "TODO" in text]
        return GateReport(name=self.name, passed=not found, findings=found)
'''


def install(site: Path, dist: str, entry_points: str, modules: dict[str, str]) -> None:
    """What pip leaves behind for a distribution: its modules and a .dist-info with entry_points.txt."""
    info = site / f"{dist}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(entry_points)
    write_files(site, modules)


def review(repo: Path, site: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(site), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-P", "-m", "patchgate", "review", "HEAD~1..HEAD", "--tests", "none", "--json"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
    )


def changed_repo(make_repo) -> Path:
    repo = make_repo({"pkg/__init__.py": "", "pkg/mod.py": "def f():\n    return 1\n"})
    write_files(repo, {"pkg/mod.py": "def f():\n    # TODO: handle zero\n    return 2\n"})
    git(repo, "commit", "-qam", "change")
    return repo


def test_an_installed_gate_runs_after_the_built_in_ones_and_its_finding_fails_the_review(
    make_repo, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    install(site, "pg_no_todo", "[patchgate.gates]\nno-todo = pg_no_todo:NoTodoGate\n", {"pg_no_todo.py": PLUGIN})
    result = review(changed_repo(make_repo), site)
    assert result.returncode == 1, result.stderr
    verdict = json.loads(result.stdout.strip().splitlines()[-1])
    assert [g["name"] for g in verdict["gates"]] == [
        "apply",
        "parse",
        "tests",
        "scope",
        "security",
        "license",
        "no-todo",
    ]
    (gate,) = [g for g in verdict["gates"] if g["name"] == "no-todo"]
    assert gate["passed"] is False
    assert [(f["rule"], f["path"], f["line"]) for f in gate["findings"]] == [("no-todo.added", "pkg/mod.py", 2)]
    assert result.stderr.strip().splitlines() == ["error: gates failed: no-todo"]


def test_a_broken_plugin_is_one_line_naming_its_distribution(make_repo, tmp_path: Path) -> None:
    site = tmp_path / "site"
    install(site, "pg_broken", "[patchgate.gates]\nbroken = pg_broken:Gate\n", {"pg_broken.py": "import nowhere\n"})
    result = review(changed_repo(make_repo), site)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: gate 'broken' from pg_broken 1.0") and "No module named 'nowhere'" in line


def test_a_plugin_cannot_replace_a_built_in_gate(make_repo, tmp_path: Path) -> None:
    site = tmp_path / "site"
    install(site, "pg_shadow", "[patchgate.gates]\nsecurity = pg_shadow:Gate\n", {"pg_shadow.py": "Gate = None\n"})
    result = review(changed_repo(make_repo), site)
    assert result.returncode == 0, result.stderr
    verdict = json.loads(result.stdout.strip().splitlines()[-1])
    assert [g["name"] for g in verdict["gates"]].count("security") == 1 and verdict["passed"] is True


PROVIDER = '''
from agent.models.base import Completion, Usage


class EchoModel:
    """Answers every prompt with the same JSON document."""

    def __init__(self, name):
        self.name = f"echo:{name}"

    @classmethod
    def from_spec(cls, spec, *, settings, on_call=None):
        return cls(spec.name)

    def complete(self, messages, *, max_tokens=1024, temperature=0.0, seed=None):
        return Completion(\'{"greeting": "hello"}\', Usage(prompt_tokens=1, completion_tokens=1))
'''


def test_an_installed_model_provider_is_chosen_by_its_name(tmp_path: Path) -> None:
    site = tmp_path / "site"
    install(site, "pg_echo", "[patchgate.providers]\necho = pg_echo:EchoModel\n", {"pg_echo.py": PROVIDER})
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("PATCHGATE_MODEL", None)
    result = subprocess.run(
        [
            sys.executable,
            "-P",
            "-m",
            "patchgate",
            "generate",
            "a greeting",
            "--grammar",
            "json",
            "--model",
            "echo:v1",
            "--json",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout.strip().splitlines()[-1])
    assert (document["model"], json.loads(document["text"])) == ("echo:v1", {"greeting": "hello"})
    unknown = subprocess.run(
        [sys.executable, "-P", "-m", "patchgate", "generate", "x", "--grammar", "json", "--model", "nope:v1"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert unknown.returncode == 2
    assert unknown.stderr.strip() == "error: unknown model provider 'nope'; valid: openai, hf, scripted, echo"
