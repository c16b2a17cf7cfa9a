"""Tests that need what no build here made judge nothing: the project itself, where its environment could not
install it. The project's build needs a Rust toolchain this machine lacks (its setup.py says so and stops, as
pipdeptree's meson and cargo build does offline), so its built environment holds its test dependencies (a
dependency group, as pipdeptree's are) without it.
Needs the package registry (uv installs pytest into a fresh venv)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import diff_of, review_as_configured

CALC = {
    "pyproject.toml": '[build-system]\nrequires = ["setuptools>=68"]\nbuild-backend = "setuptools.build_meta"\n\n'
    '[project]\nname = "calc"\nversion = "0.1"\n\n[dependency-groups]\ntest = ["pytest"]\n\n'
    '[tool.patchgate.tests]\nenv = "build"\n',
    "setup.py": "raise SystemExit('error: cargo is needed to build the engine')\n",
    "calc/__init__.py": "",
    "calc/ops.py": "def add(a, b):\n    return a + b\n",
    "tests/test_ops.py": "from calc.ops import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n",
}
ABOUT = "from importlib.metadata import version\n\n\ndef test_version():\n    assert version({name!r})\n"


def gate_of(root: Path, files: dict[str, str]):
    result = review_as_configured(root, diff_of(root, files), tests={"timeout": 120})
    return next(g for g in result.gates if g.name == "tests")


@pytest.mark.slow
def test_a_new_test_of_the_projects_own_metadata_judges_nothing_where_the_project_could_not_be_installed(
    make_repo, tmp_path, monkeypatch
) -> None:
    """pipdeptree's switch to a Rust build added tests that ask ``importlib.metadata`` for pipdeptree's version;
    its environment could not install pipdeptree, so they failed there as on any commit, and the change was
    blocked. Such a failure is said, and judges nothing; another distribution's metadata, and a break in the
    project's code, still do."""
    monkeypatch.setenv("PATCHGATE_CACHE", str(tmp_path / "cache"))
    root = make_repo(CALC)
    own = gate_of(root, {"tests/test_about.py": ABOUT.format(name="calc")})
    assert own.passed and own.skipped, own  # "passed, but not checked"
    (finding,) = own.findings
    assert finding.rule == "tests.project-not-installed" and finding.severity == "warning"
    assert "No package metadata was found for calc" in finding.message
    assert "cargo is needed to build the engine" in finding.message  # why the environment lacks it
    (home,) = (tmp_path / "cache" / "envs").iterdir()
    assert "cargo is needed" in (home / "project-failed").read_text()

    beside = {"tests/test_about.py": ABOUT.format(name="calc"), "tests/test_ops.py": CALC["tests/test_ops.py"] + "\n"}
    checked = gate_of(root, beside)
    assert checked.passed and not checked.skipped, checked  # test_add ran and passed: the change was checked
    assert [f.rule for f in checked.findings] == ["tests.project-not-installed"]

    other = gate_of(root, {"tests/test_about.py": ABOUT.format(name="calc-plugins")})
    assert not other.passed and [f.rule for f in other.findings] == ["tests.new-failure"], other
    broken = gate_of(root, {"calc/ops.py": "def add(a, b):\n    return a - b\n"})
    assert not broken.passed and [f.rule for f in broken.findings] == ["tests.new-failure"], broken
