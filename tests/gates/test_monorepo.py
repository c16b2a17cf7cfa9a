"""A repository whose Python project lives in a folder (``python/``, ``libs/*``), with nothing Python at its root.

A developer's ``python/.venv`` holds the project installed editable from their working copy: before, it was not
found, the tests imported nothing (or, with it configured, imported the working copy's code on both sides), and a
break committed through the hook as "passed, but not checked". Its tests run from its folder, as its own commands
run them there. Each gate here is asked both ways: the break is
refused, the docstring fix passes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from core.projects import member_projects, project_folder
from core.pymodules import import_roots
from tests.conftest import diff_of, git, review_as_configured, write_files
from tests.gates.test_environments import make_venv
from tests.gates.test_hook_projects import commit, install, said, user_env  # noqa: F401  (a fixture)
from tools.venvs import own_venvs

CORE = 'RATE = 2\n\n\ndef convert(amount):\n    """Convert an amount at the rate."""\n    return amount * RATE\n'
PROJECT = {
    "web/README.md": "# the web app\n",
    "python/pyproject.toml": '[project]\nname = "rates"\nversion = "0.1.0"\n\n[build-system]\n'
    'requires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n\n'
    '[tool.pytest.ini_options]\ntestpaths = ["tests"]\n',
    "python/src/rates/__init__.py": "from .core import convert\n\n__all__ = ['convert']\n",
    "python/src/rates/core.py": CORE,
    # run from python/ as its own `cd python && pytest` runs it, the way langgraph's SDK imports its test helpers
    "python/tests/helpers.py": "THREE = 3\n",
    "python/tests/test_api.py": "from rates import convert\nfrom tests.helpers import THREE\n\n\n"
    "def test_convert():\n    assert convert(THREE) == 6\n",
    ".gitignore": "python/.venv/\n",
}
BREAK = {"python/src/rates/core.py": CORE.replace("return amount * RATE", "return amount * RATE + 1")}
DOCSTRING = {"python/src/rates/core.py": CORE.replace("at the rate.", "at the fixed rate.")}
TIMEOUT = {"timeout": 120}


def test_the_projects_in_folders_are_found_where_the_root_holds_none(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "pyproject.toml": "[tool.ruff]\nline-length = 100\n",  # a monorepo's root keeps tools' settings
            "libs/core/pyproject.toml": '[project]\nname = "core"\n',
            "libs/sdk/setup.py": "from setuptools import setup\nsetup()\n",
            "libs/pytest-plugin/pyproject.toml": '[project]\nname = "pytest-plugin"\n',  # a word begins "pytest"
            "libs/core/tests/data/pyproject.toml": '[project]\nname = "fixture"\n',  # inside a project
            "libs/cli/examples/app/pyproject.toml": '[project]\nname = "example"\n',
            "docs/plugin/pyproject.toml": '[project]\nname = "docs"\n',
            ".venv/lib/pkg/pyproject.toml": '[project]\nname = "installed"\n',
        },
    )
    assert member_projects(tmp_path) == [tmp_path / "libs/core", tmp_path / "libs/pytest-plugin", tmp_path / "libs/sdk"]
    assert project_folder(tmp_path, ["libs/sdk/sdk/client.py", "libs/core/x.py", "libs/sdk/y.py"]) == "libs/sdk"
    assert project_folder(tmp_path, ["README.md"]) == ""
    (tmp_path / "requirements.txt").write_text("django\n")  # a Django site's root: the project, as before
    assert member_projects(tmp_path) == [] and project_folder(tmp_path, ["libs/sdk/y.py"]) == ""
    (tmp_path / "requirements.txt").unlink()
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "root"\n')  # the root is the project: as before
    assert member_projects(tmp_path) == [] and project_folder(tmp_path, ["libs/sdk/y.py"]) == ""


def test_the_only_project_in_a_folder_is_the_project_its_imports_and_its_venv(make_repo) -> None:
    root = make_repo(PROJECT)
    assert project_folder(root) == "python"
    assert root / "python/src" in import_roots(root)
    python = make_venv(root / "python")
    assert own_venvs(root, "python")[0] == (python, "the repository's python/.venv/")


@pytest.fixture
def monorepo(make_repo) -> Path:
    """The project with the developer's ``python/.venv``: pytest, greetlib (which the code imports, and patchgate's
    own Python lacks) and the project installed editable from their working copy."""
    root = make_repo({**PROJECT, "python/src/rates/core.py": "import greetlib\n\n" + CORE})
    make_venv(root / "python")
    return root


def reviewed(root: Path, files: dict[str, str]):
    """The review of writing ``files`` (the code importing greetlib), and its tests gate."""
    diff = diff_of(root, {path: "import greetlib\n\n" + text for path, text in files.items()})
    result = review_as_configured(root, diff, tests=TIMEOUT)
    return result, next(g for g in result.gates if g.name == "tests")


def test_a_break_in_the_folder_is_refused_in_its_venv_and_a_docstring_fix_passes(monorepo: Path) -> None:
    _, broken = reviewed(monorepo, BREAK)
    assert not broken.passed
    assert any(f.rule == "tests.new-failure" and "assert 7 == 6" in f.message for f in broken.findings), broken
    fixed, report = reviewed(monorepo, DOCSTRING)
    assert fixed.passed and not report.skipped, report
    assert report.checked.startswith("1 test(s) ran from 1 file(s) in the repository environment"), report.checked


@pytest.mark.slow
def test_the_hook_builds_the_folders_project_and_refuses_a_break(make_repo, user_env: dict[str, str]) -> None:  # noqa: F811
    """No venv at all: the environment is built from ``python/pyproject.toml``, not from a root that has none."""
    repo = make_repo(PROJECT)
    install(repo, user_env)
    write_files(repo, BREAK)
    git(repo, "add", "-A")
    refused = commit(repo, user_env, "wrong rate")
    assert refused.returncode != 0, said(refused)
    assert "tests.new-failure" in said(refused) and "assert 7 == 6" in said(refused)
    git(repo, "reset", "-q", "--hard")
    write_files(repo, DOCSTRING)
    git(repo, "add", "-A")
    done = commit(repo, user_env, "docstring")
    assert done.returncode == 0, said(done)
    assert "1 test(s) ran from 1 file(s) in the built environment" in said(done)


TWO = {  # langgraph's shape: each project a tests package with its conftest, the second importing the first
    "libs/alpha/pyproject.toml": '[project]\nname = "alpha"\nversion = "1"\n',
    "libs/alpha/alpha/__init__.py": "def one():\n    return 1\n",
    "libs/alpha/tests/__init__.py": "",
    "libs/alpha/tests/conftest.py": "ONE = 1\n",
    "libs/alpha/tests/test_alpha.py": "from alpha import one\n\n\ndef test_one():\n    assert one() == 1\n",
    "libs/beta/pyproject.toml": '[project]\nname = "beta"\nversion = "1"\n',
    "libs/beta/beta/__init__.py": "from alpha import one\n\n\ndef two():\n    return one() + 1\n",
    "libs/beta/tests/__init__.py": "",
    "libs/beta/tests/conftest.py": "TWO = 2\n",
    "libs/beta/tests/test_beta.py": "from beta import two\n\n\ndef test_two():\n    assert two() == 2\n",
}


def test_a_change_to_one_project_runs_that_projects_tests(make_repo) -> None:
    """Both projects' tests in one pytest run stopped at the second ``tests.conftest`` (a different file under the
    same name): nothing was checked. The project the change is in runs its own."""
    root = make_repo(TWO)
    own = {"python": sys.executable, **TIMEOUT}  # a Python with pytest; the projects' code comes from the tree
    for change, code in [
        ("break", "def one():\n    return 2\n"),
        ("docstring", 'def one():\n    """One."""\n    return 1\n'),
    ]:
        result = review_as_configured(root, diff_of(root, {"libs/alpha/alpha/__init__.py": code}), tests=own)
        report = next(g for g in result.gates if g.name == "tests")
        assert report.checked.startswith("1 test(s) ran from 1 file(s)"), report
        assert "libs/alpha/tests/test_alpha.py" in report.checked and "test_beta" not in report.checked
        assert result.passed == (change == "docstring"), report
