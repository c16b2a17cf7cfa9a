"""Changes that reach every test through no import: the packages the code runs on, and pytest's settings.

They change no module, so no test was related to them: a hook user who dropped a dependency the package imports,
pinned one to a release without the API it uses, or gave pytest an option no installed plugin knows, was told "all
gates passed". The dependency cases build real environments with uv from the package registry.
"""

from __future__ import annotations

import pytest

from tests.conftest import diff_of, review_as_configured
from tests.gates.test_environments import BUILT, TIMEOUT, errors, gate_of


@pytest.mark.slow
def test_a_dependency_change_runs_every_test_against_the_bases_environment(make_repo, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PATCHGATE_CACHE", str(tmp_path / "cache"))
    root = make_repo(BUILT)
    pyproject = BUILT["pyproject.toml"]

    # say no: the package imports tomli_w, which the change no longer installs. Its tests run in the change's
    # environment and fail; on the base, in the base's, they pass (in one environment they failed on both sides)
    dropped = diff_of(root, {"pyproject.toml": pyproject.replace('dependencies = ["tomli-w"]', "dependencies = []")})
    report = gate_of(review_as_configured(root, dropped, tests=TIMEOUT))
    assert not report.passed, report
    assert "No module named 'tomli_w'" in errors(report)["tests.new-failure"]
    assert "(the change's packages: tomli-w " in report.checked and " removed)" in report.checked

    # say yes: a release (the version bumped) changes the files but not the packages, and selects nothing
    release = diff_of(root, {"pyproject.toml": pyproject.replace('version = "0.1"', 'version = "0.2"')})
    report = gate_of(review_as_configured(root, release, tests=TIMEOUT))
    assert report.passed and report.checked == "no related tests", report

    # say yes: a dependency added runs every test, in an environment that has it, and they pass
    added = diff_of(root, {"pyproject.toml": pyproject.replace('["tomli-w"]', '["tomli-w", "six"]')})
    report = gate_of(review_as_configured(root, added, tests=TIMEOUT))
    assert report.passed, report
    assert report.checked.startswith("1 test(s) ran from 1 file(s) in the built environment: tests/test_core.py")
    assert "(the change's packages: six " in report.checked and " added)" in report.checked


@pytest.mark.slow
def test_the_bases_environment_holds_the_packages_of_the_date_the_changes_was_built_with(
    make_repo, tmp_path, monkeypatch
) -> None:
    """Box's release commit asked for a coverage newer than its commit's month had, so its environment took
    today's packages; the base's, of that month, held an older ruamel.yaml, whose line breaks its test expected,
    and the difference blocked the release as a break. Here a 2023 commit asks for a tomli-w of 2024: of one date,
    the base's and the change's environments hold the same packages, and nothing is the change's."""
    monkeypatch.setenv("PATCHGATE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("GIT_COMMITTER_DATE", "2023-03-10T12:00:00")  # its packages: March 2023's (tomli-w 1.0)
    era = "import importlib.metadata\n\n\ndef test_the_writer_of_its_day():\n"
    era += "    assert importlib.metadata.version('tomli-w') == '1.0.0'\n"
    of_its_day = BUILT["pyproject.toml"].replace("setuptools>=68", "setuptools>=61")  # 68 is of June 2023
    root = make_repo({**BUILT, "pyproject.toml": of_its_day, "tests/test_era.py": era})
    pyproject = of_its_day.replace('["tomli-w"]', '["tomli-w>=1.1"]')  # released in October 2024
    report = gate_of(review_as_configured(root, diff_of(root, {"pyproject.toml": pyproject}), tests=TIMEOUT))
    assert report.passed and report.checked == "no related tests", report


def test_a_change_to_pytests_settings_runs_every_test(make_repo) -> None:
    """Tests in patchgate's own environment (the project declares no dependencies): no build, so not slow."""
    files = {
        "pytest.ini": "[pytest]\ntestpaths = tests\n",
        "calc/__init__.py": "",
        "calc/ops.py": "def add(a, b):\n    return a + b\n",
        "tests/test_ops.py": "from calc.ops import add\n\n\ndef test_add():\n    assert add(2, 2) == 4\n",
    }
    root = make_repo(files)
    # say no: an option no installed plugin knows stops every run of pytest, and not on the base
    unknown = diff_of(root, {"pytest.ini": files["pytest.ini"] + "addopts = --no-such-option\n"})
    report = gate_of(review_as_configured(root, unknown, tests=TIMEOUT))
    assert not report.passed and "unrecognized arguments: --no-such-option" in errors(report)["tests.not-run"]
    # say yes: a harmless one (a summary of skips) runs every test, which passes
    summary = diff_of(root, {"pytest.ini": files["pytest.ini"] + "addopts = -rs\n"})
    report = gate_of(review_as_configured(root, summary, tests=TIMEOUT))
    assert report.passed, report
    assert report.checked.startswith("1 test(s) ran from 1 file(s)")
    assert report.checked.endswith("tests/test_ops.py (the change's pytest settings (pytest.ini))")


PLUGGED = {
    **BUILT,
    "pyproject.toml": BUILT["pyproject.toml"].replace(
        'packages = ["greeter"]', 'packages = ["greeter", "greeter.testing"]'
    )
    + '\n[project.entry-points.pytest11]\ngreeter = "greeter.testing.plugin"\n',
    "greeter/testing/__init__.py": "",
    "greeter/testing/plugin.py": "import pytest\n\n\n@pytest.fixture\ndef person():\n    return 'ann'\n",
    "tests/test_core.py": "from greeter.core import dump\n\n\ndef test_dump(person):\n"
    "    assert dump(person) == 'name = \"ann\"\\n'\n",
}


@pytest.mark.slow
def test_a_package_that_leaves_out_its_own_pytest_plugin_is_refused_and_says_so(make_repo, tmp_path, monkeypatch):
    """requests-mock's move to setup.cfg listed its top package only: the wheel lost the subpackage its pytest
    plugin lives in, and pytest with it installed stopped at start. Its review blocked on a missing fixture alone."""
    monkeypatch.setenv("PATCHGATE_CACHE", str(tmp_path / "cache"))
    root = make_repo(PLUGGED)
    pyproject = PLUGGED["pyproject.toml"]
    # say no: the plugin's subpackage is no longer packaged
    narrowed = diff_of(root, {"pyproject.toml": pyproject.replace(', "greeter.testing"]', "]")})
    report = gate_of(review_as_configured(root, narrowed, tests=TIMEOUT))
    assert not report.passed, report
    said = errors(report)
    assert said["tests.package-incomplete"].startswith(
        "the package the change builds leaves out greeter.testing, which the tree has: installed, it stops pytest "
        "(No module named 'greeter.testing')"
    )
    assert report.findings[0].rule == "tests.package-incomplete"  # the cause before the failures it makes
    # say yes: the same packages found by a pattern, as a project moving to find: writes it
    found = pyproject.replace(
        'packages = ["greeter", "greeter.testing"]', '[tool.setuptools.packages.find]\ninclude = ["greeter*"]'
    )
    found = found.replace("[tool.setuptools]\n[tool.setuptools.packages.find]", "[tool.setuptools.packages.find]")
    report = gate_of(review_as_configured(root, diff_of(root, {"pyproject.toml": found}), tests=TIMEOUT))
    assert report.passed and not errors(report), report
