"""A built environment holds the packages of the base commit's day, where they install and run on this Python.

Each test here builds a real environment with uv from the package registry.
"""

from __future__ import annotations

import pytest

from tests.conftest import diff_of, review_as_configured
from tests.gates.test_environments import BUILT, TIMEOUT, gate_of

SETUP = (
    "from setuptools import setup\n\n"
    "setup(name='old', version='0.1', py_modules=['old'], install_requires={needs}{extras})\n"
)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("written", "needs", "tomli_w"),
    [
        ("2022-06-15", "tomli-w", "== '1.0.0'"),
        ("2020-01-15", "tomli-w", "== '1.0.0'"),
        ("2023-06-15", "tomli-w>=1.1", "> '1.0.0'"),
    ],
)
def test_a_built_environment_has_the_packages_of_the_commits_month(
    make_repo, tmp_path, monkeypatch, written: str, needs: str, tomli_w: str
) -> None:
    """A July 2026 nox commit's new tests expect the python-discovery of July 2026; today's parses "3.14t"
    otherwise, and the commit was blocked. Packages are those of the commit's month (tomli-w 1.0.0 in June 2022);
    where nothing installed then (tomli-w's first release is of 2021), those of the Python's release month, for a
    commit older than the Python (1.0.0 in October 2022), else today's (1.1 is of 2024). Needs the package
    registry."""
    monkeypatch.setenv("PATCHGATE_CACHE", str(tmp_path / "cache"))
    for name in ("GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE"):
        monkeypatch.setenv(name, f"{written}T12:00:00")
    pyproject = BUILT["pyproject.toml"].replace("setuptools>=68", "setuptools>=61").replace('"tomli-w"', f'"{needs}"')
    root = make_repo({**BUILT, "pyproject.toml": pyproject})
    test = f"from importlib.metadata import version\n\n\ndef test_era():\n    assert version('tomli-w') {tomli_w}\n"
    report = gate_of(review_as_configured(root, diff_of(root, {"tests/test_era.py": test}), tests=TIMEOUT))
    assert report.passed and report.detail == "1 passed in 1 file(s) (built environment)", report


@pytest.mark.slow
@pytest.mark.parametrize(("written", "six"), [("2020-01-15", "1.14.0"), ("2018-10-15", "1.11.0")])
def test_an_old_commit_gets_the_packages_of_its_day_and_a_pytest_that_runs_here(
    make_repo, tmp_path, monkeypatch, written: str, six: str
):
    """A January 2020 jinja's environment held py at 1.8.1, so uv chose pytest 5.4, which fails on Python 3.11;
    the attempt of its era never counted, and today's installed markupsafe 3, which its code cannot import. pytest
    and the packages only it needs take the Python's date, the rest stay of the era (six 1.14.0). A 2018 webob's
    build met the setuptools of its day, 40.5, which uv's build of a setup.py refuses: the build tools take the
    Python's date too. Needs the package registry."""
    monkeypatch.setenv("PATCHGATE_CACHE", str(tmp_path / "cache"))
    for name in ("GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE"):
        monkeypatch.setenv(name, f"{written}T12:00:00")
    root = make_repo(
        {
            ".patchgate.toml": '[tests]\nenv = "build"\n',
            "setup.py": SETUP.format(needs="['six']", extras=""),
            "old.py": "import six\n\n\ndef text(value):\n    return six.text_type(value)\n",
            "tests/test_old.py": "from old import text\n\n\ndef test_text():\n    assert text(1) == '1'\n",
        }
    )
    test = f"from importlib.metadata import version\n\n\ndef test_era():\n    assert version('six') == '{six}'\n"
    report = gate_of(review_as_configured(root, diff_of(root, {"tests/test_era.py": test}), tests=TIMEOUT))
    assert report.passed and report.detail == "1 passed in 1 file(s) (built environment)", report


@pytest.mark.slow
def test_packages_of_the_pythons_release_where_neither_the_commits_day_nor_today_works(
    make_repo, tmp_path, monkeypatch
) -> None:
    """A 2021 dictdiffer's numpy of its day has no wheel for Python 3.11 (its build failed), and today's pytest no
    longer loads the pytest-pycodestyle of its test extra (``import py.io``): with neither, its environment held
    pytest alone, and no test ran on any commit. Between them, the packages of the Python's release month: here
    tomli-w, first released in 2021, is not of the commit's January 2020, and pytest-pycodestyle 2.2.0 does not load
    in today's pytest; in October 2022's it does, and the test runs. Needs the package registry."""
    monkeypatch.setenv("PATCHGATE_CACHE", str(tmp_path / "cache"))
    for name in ("GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE"):
        monkeypatch.setenv(name, "2020-01-15T12:00:00")
    extras = ", extras_require={'test': ['pytest-pycodestyle==2.2.0']}"
    root = make_repo(
        {
            ".patchgate.toml": '[tests]\nenv = "build"\n',
            "setup.py": SETUP.format(needs="['tomli-w']", extras=extras),
            "old.py": "import tomli_w\n\n\ndef dump(value):\n    return tomli_w.dumps({'v': value})\n",
            "tests/test_old.py": "from old import dump\n\n\ndef test_dump():\n    assert dump(1) == 'v = 1\\n'\n",
        }
    )
    change = diff_of(root, {"old.py": '"""Dumps."""\n' + root.joinpath("old.py").read_text()})
    report = gate_of(review_as_configured(root, change, tests=TIMEOUT))
    assert report.passed and report.detail == "1 passed in 1 file(s) (built environment)", report
