"""One run's settings: resolved once from flags, environment and files, frozen, and strict about keys."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from core.errors import ConfigError
from core.settings import cache_root, resolve
from tests.conftest import git, write_files


def test_flags_win_over_the_file_and_review_and_tests_come_from_the_base(make_repo) -> None:
    repo = make_repo(
        {".patchgate.toml": '[agent]\nrounds = 5\ncandidates = 2\n[review]\ntests = "all"\n[tests]\ntimeout = 30\n'}
    )
    write_files(repo, {".patchgate.toml": '[agent]\nrounds = 5\ncandidates = 2\n[review]\ntests = "none"\n'})
    settings = resolve(repo, base="HEAD", agent={"rounds": 1, "candidates": None}, tests={"timeout": None})
    assert (settings.agent.rounds, settings.agent.candidates) == (1, 2)  # None: the flag was not given
    assert settings.review.tests == "all" and settings.tests.timeout == 30  # the commit's, not the working tree's
    assert settings.base == git(repo, "rev-parse", "HEAD").strip()
    with pytest.raises(ValidationError):
        settings.agent.rounds = 9  # type: ignore[misc]  # frozen: nothing below the edge changes it


def test_a_command_that_never_gates_reads_no_commit(tmp_path: Path) -> None:
    (tmp_path / ".patchgate.toml").write_text('[index]\ndense = "none"\n')
    settings = resolve(tmp_path)  # not even a git repository
    assert settings.base is None and settings.index.dense == "none" and settings.tests.timeout == 300


def test_a_misspelt_key_is_one_line_naming_the_table(make_repo) -> None:
    repo = make_repo({".patchgate.toml": "[tests]\ntimout = 30\n", "a.py": "x = 1\n"})
    write_files(repo, {"a.py": "x = 2\n"})
    git(repo, "add", "-A")
    result = subprocess.run(
        [sys.executable, "-P", "-m", "patchgate", "review", "--staged"], cwd=repo, capture_output=True, text=True
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: invalid [tool.patchgate.tests] setting 'timout': Extra inputs are not permitted"
    )
    with pytest.raises(ConfigError, match="timout"):
        resolve(repo, base="HEAD")


def test_one_cache_variable_and_the_old_name_still_works_with_a_note(monkeypatch, tmp_path: Path, capsys) -> None:
    monkeypatch.delenv("PATCHGATE_CACHE", raising=False)
    monkeypatch.delenv("PATCHGATE_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_root() == tmp_path / "xdg" / "patchgate"
    monkeypatch.setenv("PATCHGATE_CACHE_DIR", str(tmp_path / "old"))
    assert cache_root() == tmp_path / "old"
    assert "PATCHGATE_CACHE_DIR is deprecated; set PATCHGATE_CACHE=" in capsys.readouterr().err
    monkeypatch.setenv("PATCHGATE_CACHE", str(tmp_path / "new"))
    assert cache_root() == tmp_path / "new"
    assert resolve(tmp_path).cache.environments == tmp_path / "new" / "envs"
