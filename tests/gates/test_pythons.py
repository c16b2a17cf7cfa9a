"""A project's tests run on a Python its ``requires-python`` admits, where this machine has one."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.conftest import diff_of, review_as_configured, write_files
from tools.pythons import admitted_python, find_python, version_of

OURS = f"{sys.version_info[0]}.{sys.version_info[1]}"
NEXT = f"{sys.version_info[0]}.{sys.version_info[1] + 1}"  # the first release a ">=" excluding this Python names
NEWER = next((v for v in ("3.14", "3.13", "3.12") if v > OURS and find_python(v)), None)


@pytest.mark.parametrize(
    ("files", "ours"),
    [
        ({"pyproject.toml": f'[project]\nname = "p"\nrequires-python = ">={OURS}"\n'}, True),
        ({"setup.cfg": f"[options]\npython_requires = >={OURS}, <4\n"}, True),
        ({"pyproject.toml": '[project]\nname = "p"\nrequires-python = "not a specifier"\n'}, True),
        ({"pyproject.toml": '[project]\nname = "p"\n'}, True),
        ({"pyproject.toml": '[project]\nname = "p"\nrequires-python = ">=3.99"\n'}, True),  # none admitted here
    ],
)
def test_this_python_runs_the_tests_it_is_admitted_for_or_when_no_other_is(tmp_path: Path, files, ours) -> None:
    write_files(tmp_path, files)
    assert (admitted_python(tmp_path) == sys.executable) is ours


@pytest.mark.skipif(NEWER is None, reason=f"no Python newer than {OURS} on PATH or in pyenv")
def test_a_project_that_excludes_this_python_runs_on_the_newest_it_admits(tmp_path: Path) -> None:
    write_files(tmp_path, {"setup.cfg": f"[options]\npython_requires = >={NEXT}\n"})
    chosen = admitted_python(tmp_path)
    assert chosen != sys.executable and version_of(chosen) == NEWER


@pytest.mark.slow
@pytest.mark.skipif(NEWER is None, reason=f"no Python newer than {OURS} on PATH or in pyenv")
def test_the_tests_of_a_project_written_for_a_newer_python_run_and_judge_the_change(
    make_repo, tmp_path, monkeypatch
) -> None:
    """A 2026 pint requires Python 3.12, and its code uses what 3.11 cannot parse: on 3.11 no test file imported,
    on the base either, and every commit was "passed, but not checked". Its environment is built on a Python it
    admits; a docstring fix passes, and a break is refused. Needs the package registry (uv installs pytest)."""
    monkeypatch.setenv("PATCHGATE_CACHE", str(tmp_path / "cache"))
    code = 'import sys\n\n\ndef running():\n    return f"{sys.version_info[0]}.{sys.version_info[1]}"\n'
    root = make_repo(
        {
            "pyproject.toml": f'[project]\nname = "newer"\nversion = "0.1"\nrequires-python = ">={NEXT}"\n\n'
            '[build-system]\nrequires = ["setuptools>=68"]\nbuild-backend = "setuptools.build_meta"\n\n'
            '[tool.patchgate.tests]\nenv = "build"\n',
            "newer/__init__.py": "",
            "newer/run.py": code,
            "tests/test_run.py": f"from newer.run import running\n\n\ndef test_running():\n"
            f"    assert running() == {NEWER!r}\n",
        }
    )
    docstring = review_as_configured(root, diff_of(root, {"newer/run.py": '"""Which Python."""\n' + code}))
    tests = next(g for g in docstring.gates if g.name == "tests")
    assert tests.passed and not tests.skipped and tests.checked.startswith("1 test(s) ran"), tests
    broken = review_as_configured(root, diff_of(root, {"newer/run.py": code.replace("[1]", "[0]")}))
    tests = next(g for g in broken.gates if g.name == "tests")
    assert not tests.passed and [f.rule for f in tests.findings] == ["tests.new-failure"], tests
