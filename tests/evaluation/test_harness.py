"""The harness package read as a library: every Lite repository has its command and parser; the spec's
tree edits run and its Docker-image commands do not; directives and grading are the harness's."""

from __future__ import annotations

from pathlib import Path

import pytest

from evaluation.dataset import Instance
from evaluation.harness import directives_of, grade, harness_spec, parse_log

LITE = (
    "django/django",
    "sympy/sympy",
    "scikit-learn/scikit-learn",
    "matplotlib/matplotlib",
    "astropy/astropy",
    "sphinx-doc/sphinx",
    "pydata/xarray",
    "pytest-dev/pytest",
    "pylint-dev/pylint",
    "psf/requests",
    "mwaskom/seaborn",
    "pallets/flask",
)


def instance(repo: str, test_patch: str, f2p: list[str], p2p: list[str] | None = None) -> Instance:
    return Instance(
        instance_id="x-1",
        repo=repo,
        base_commit="c",
        problem_statement="",
        patch="",
        test_patch=test_patch,
        FAIL_TO_PASS=f2p,
        PASS_TO_PASS=p2p or [],
    )


@pytest.mark.parametrize("repo", LITE)
def test_every_lite_repository_has_the_harness_s_spec_and_parser(repo: str, tmp_path: Path) -> None:
    from swebench.harness.constants import MAP_REPO_VERSION_TO_SPECS

    version = sorted(MAP_REPO_VERSION_TO_SPECS[repo])[-1]
    spec = harness_spec(repo, version, tmp_path)
    assert spec.known and spec.python and spec.test_cmd
    assert not any("apt-get" in e or "locale-gen" in e for e in spec.tree_edits)


def test_each_repository_runs_its_own_runner() -> None:
    assert "bin/test -C --verbose" in harness_spec("sympy/sympy", "1.1", Path(".")).test_cmd
    assert harness_spec("django/django", "3.0", Path(".")).test_cmd.startswith("./tests/runtests.py")
    sphinx = harness_spec("sphinx-doc/sphinx", "4.1", Path("."))
    assert (
        sphinx.test_cmd.startswith("tox --current-env") and "sed -i 's/pytest/pytest -rA/' tox.ini" in sphinx.tree_edits
    )
    assert harness_spec("acme/unknown", "1.0", Path(".")).test_cmd == "pytest -rA"


def test_directives_are_the_harness_s() -> None:
    patch = "diff --git a/tests/utils_tests/test_text.py b/tests/utils_tests/test_text.py\n"
    assert directives_of(instance("django/django", patch, [])) == ["utils_tests.test_text"]
    patch = "diff --git a/sympy/core/tests/test_x.py b/sympy/core/tests/test_x.py\ndiff --git a/data.json b/data.json\n"
    assert directives_of(instance("sympy/sympy", patch, [])) == ["sympy/core/tests/test_x.py"]


def test_logs_are_read_with_the_repository_s_parser_and_graded_by_its_rules() -> None:
    status = parse_log("sympy/sympy", "test_gcd ok\ntest_lcm F\ntest_new E\n")
    assert status == {"test_gcd": "PASSED", "test_lcm": "FAILED", "test_new": "ERROR"}
    django = parse_log("django/django", "test_wrap (utils_tests.test_text.TestUtilsText) ... ok\n")
    assert django == {"test_wrap (utils_tests.test_text.TestUtilsText)": "PASSED"}
    case = instance("sympy/sympy", "", ["test_new"], ["test_gcd", "test_gone"])
    # a missing PASS_TO_PASS test fails; the harness counts a skipped one as neither
    assert grade(case, {"test_new": "PASSED", "test_gcd": "PASSED"}) == (False, [], ["test_gone"])
    assert grade(case, {"test_new": "PASSED", "test_gcd": "PASSED", "test_gone": "SKIPPED"}) == (True, [], [])


def test_a_spec_s_conda_environment_becomes_pip_requirements(tmp_path: Path) -> None:
    """xarray's and matplotlib's specs install the repository's environment.yml (hypothesis, pytest plugins):
    conda's names and version prefixes read as pip's, the interpreter and pip left to the spec and uv."""
    conda_file = tmp_path / "ci" / "requirements" / "environment.yml"
    conda_file.parent.mkdir(parents=True)
    conda_file.write_text(
        "name: xarray-tests\nchannels:\n  - conda-forge\ndependencies:\n  - python=3.10\n  - python >=3.9\n  - pip\n"
        "  - hypothesis\n  - dask-core\n  - iris\n  - numpy=1.23\n  - conda-forge::pandas>=1.5\n  - h5py 3.7.0 nompi_h2\n"
        "  - pip:\n      - pytest-timeout==2.1\n      - -e .\n",
        encoding="utf-8",
    )
    spec = harness_spec("pydata/xarray", "2024.05", tmp_path)
    assert spec.conda_packages == (
        "hypothesis",
        "dask",
        "scitools-iris",
        "numpy==1.23.*",
        "pandas>=1.5",
        "h5py==3.7.0.*",
        "pytest-timeout==2.1",
    )
    assert any("-e ." in note for note in spec.notes) and "conda environment: 7 package(s)" in spec.describe()
    assert not any("python" in note for note in spec.notes), spec.notes  # the spec's own Python: not left out
    assert harness_spec("sympy/sympy", "1.1", tmp_path).conda_packages == ()


def test_the_spec_s_install_flags_say_how_the_project_is_built(tmp_path: Path) -> None:
    """scikit-learn's ``pip install --no-use-pep517 --no-build-isolation -e .``: built on the environment's numpy
    and installed with setup.py develop; matplotlib 3.9 without isolation, editable; django as pip does by default."""
    read = {
        (repo, version): (spec.build_isolation, spec.develop)
        for repo, version in (
            ("scikit-learn/scikit-learn", "0.22"),
            ("matplotlib/matplotlib", "3.9"),
            ("django/django", "5.0"),
        )
        if (spec := harness_spec(repo, version, tmp_path))
    }
    assert read == {
        ("scikit-learn/scikit-learn", "0.22"): (False, True),
        ("matplotlib/matplotlib", "3.9"): (False, False),
        ("django/django", "5.0"): (True, False),
    }
