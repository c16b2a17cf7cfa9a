"""Test scripts: a program the project's commands run as its tests, judged by its exit status."""

from __future__ import annotations

import pytest

from tests.conftest import diff_of
from tools import testscripts
from tools.gates import review

CHECKS = '"""Name checks."""\n\n\ndef lower(name):\n    """Whether a name is lower case."""\n    return name == name.lower()\n'
PROJECT = {
    "tox.ini": "[testenv]\ncommands = python run_tests.py\n\n[testenv:publish]\ncommands = python release_to_testpypi.py\n",
    # as python-pathspec's testpypi_prepublish.py: rewrites pyproject.toml before an upload, importing nothing of ours
    "release_to_testpypi.py": "from pathlib import Path\n\nPath('pyproject.toml').write_text('')\n",
    "checks.py": CHECKS,
    "other.py": "def one():\n    return 1\n",
    # pep8-naming's run_tests.py: a helper named test_* that takes the case, a loop, and an exit status
    "run_tests.py": "import sys\n\nfrom checks import lower\n\nCASES = [('ok', True), ('Bad', False)]\n\n\n"
    "def test_case(name, expected):\n    return lower(name) == expected\n\n\n"
    "def main():\n    failed = sum(not test_case(n, e) for n, e in CASES)\n"
    "    print(f'{failed} of {len(CASES)} checks failed' if failed else 'all checks passed')\n"
    "    sys.exit(1 if failed else 0)\n\n\nif __name__ == '__main__':\n    main()\n",
}


def gate_of(result):  # not test*: pytest would collect it
    return next(g for g in result.gates if g.name == "tests")


def test_a_test_script_the_project_runs_is_a_test_its_exit_status_judges(make_repo) -> None:
    """pep8-naming's tox and CI run ``python run_tests.py``, from which pytest collects no test: every review of
    its plugin said "no related tests". The script runs as one test: a docstring fix passes with it run, a change
    that makes it exit 1 is refused with its last line, and a module it does not import runs nothing; nor does a
    change to a script that imports nothing of the project (like python-pathspec's testpypi_prepublish.py)."""
    root = make_repo(PROJECT)
    prose = review(root, diff_of(root, {"checks.py": CHECKS.replace("Whether a name", "Whether the name")}))
    assert prose.passed and gate_of(prose).checked == (
        "1 test(s) ran from 1 file(s) in the patchgate environment: run_tests.py (a test script: imports checks "
        "(changed))"
    ), gate_of(prose)
    broken = review(root, diff_of(root, {"checks.py": CHECKS.replace("name.lower()", "name.upper()")}))
    (failure,) = gate_of(broken).findings
    assert not broken.passed and failure.rule == "tests.new-failure"
    assert failure.message == "run_tests::script fails: run_tests.py exits 1: 1 of 2 checks failed"
    elsewhere = review(root, diff_of(root, {"other.py": "def one():\n    return 2 - 1\n"}))
    assert elsewhere.passed and gate_of(elsewhere).checked.startswith("no related tests")
    publish = "from pathlib import Path\n\nPath('pyproject.toml').write_text('x')\n"
    assert gate_of(review(root, diff_of(root, {"release_to_testpypi.py": publish}))).checked.startswith("no related")


def test_a_script_that_holds_tests_pytest_collects_is_no_script(make_repo) -> None:
    """python-slugify's ``coverage run test.py`` runs unittest classes, which pytest runs one by one; a file the
    commands never run, a script whose name does not say test, or one the command hands arguments (autoflake's
    ``python test_fuzz.py ./*.py``) is no test script; one that calls
    ``unittest.main()`` as it is imported (ply's) is one, as pytest cannot collect it, and so is one whose
    ``__main__`` runs a runner of its own (feedparser's ``{envpython} -Wd tests/runtests.py``)."""
    root = make_repo(
        {
            **PROJECT,
            "tox.ini": "[testenv]\ncommands =\n    python run_tests.py\n    coverage run test.py\n    python tests/testlex.py\n"
            "    {envpython} -Wd tests/runtests.py {posargs}\n    python build_docs.py\n"
            "    python test_fuzz.py ./*.py\n",
            # autoflake's fuzzer, which its CI hands files to: run bare, it walks every folder on sys.path
            "test_fuzz.py": "import sys\n\n\ndef main():\n    return 0\n\n\nif __name__ == '__main__':\n"
            "    sys.exit(main())\n",
            "test.py": "import unittest\n\n\nclass T(unittest.TestCase):\n    def test_one(self):\n        pass\n\n\n"
            "if __name__ == '__main__':\n    unittest.main()\n",
            # feedparser's: TestCase classes, and a runner of its own that adds a test per feed file
            "tests/runtests.py": "import unittest\n\n\nclass T(unittest.TestCase):\n    def test_one(self):\n"
            "        pass\n\n\ndef runtests():\n    unittest.TextTestRunner().run(unittest.TestSuite())\n\n\n"
            "if __name__ == '__main__':\n    runtests()\n",
            "build_docs.py": "print('docs')\n",
            # ply's: unittest.main() as it is imported stops pytest's collection; only running it tells
            "tests/testlex.py": "import unittest\n\n\nclass T(unittest.TestCase):\n    def test_one(self):\n"
            "        pass\n\n\nunittest.main()\n",
            "runtests_unused.py": "print('never run')\n",
        }
    )
    assert testscripts.test_scripts(root) == {"run_tests.py": "", "tests/testlex.py": "", "tests/runtests.py": ""}


def test_a_script_runs_in_the_folder_its_command_moves_to(make_repo) -> None:
    """ply's Makefile, until 2022: ``cd test && $(PYTHON) testlex.py``, whose cases are read from beside it."""
    root = make_repo(
        {
            "Makefile": "test:\n\tcd test && $(PYTHON) testlex.py\n",
            "lex.py": "def words(text):\n    return text.split()\n",
            "test/cases.txt": "a b\n",
            "test/testlex.py": "import sys\n\nsys.path.insert(0, '..')\nfrom lex import words\n\n"
            "sys.exit(0 if words(open('cases.txt').read()) == ['a', 'b'] else 1)\n",
        }
    )
    assert testscripts.test_scripts(root) == {"test/testlex.py": "test"}
    fine = review(root, diff_of(root, {"lex.py": '"""Words."""\n\n\ndef words(text):\n    return text.split()\n'}))
    assert fine.passed and gate_of(fine).checked.startswith("1 test(s) ran from 1 file(s)"), gate_of(fine)
    broken = review(root, diff_of(root, {"lex.py": "def words(text):\n    return text.split(',')\n"}))
    assert [f.rule for f in gate_of(broken).findings] == ["tests.new-failure"]


@pytest.mark.slow
def test_a_script_longer_than_the_projects_per_test_timeout_still_judges(make_repo, tmp_path, monkeypatch) -> None:
    """smart_open's addopts give each test 60 s (pytest-timeout, thread method) and its CI runs a script of
    integration tests: run as one test, the script passed the limit and pytest-timeout ended the whole run, so none
    of its 450 tests judged the change. The limit is the project's for its tests, not for a whole program. Built
    with uv from the package registry (pytest-timeout is the project's test extra)."""
    monkeypatch.setenv("PATCHGATE_CACHE", str(tmp_path / "cache"))
    timed = {
        "pyproject.toml": '[build-system]\nrequires = ["setuptools>=68"]\nbuild-backend = "setuptools.build_meta"\n\n'
        '[project]\nname = "checks"\nversion = "0.1"\n\n[project.optional-dependencies]\ntest = ["pytest-timeout"]\n\n'
        '[tool.setuptools]\npy-modules = ["checks"]\n\n[tool.pytest.ini_options]\n'
        'addopts = "--timeout=2 --timeout-method=thread"\n\n[tool.patchgate.tests]\nenv = "build"\n',
        "tox.ini": "[testenv]\ncommands =\n    pytest\n    python run_tests.py\n",
        "checks.py": CHECKS,
        "run_tests.py": "import sys\nimport time\n\nfrom checks import lower\n\ntime.sleep(4)\n"
        "sys.exit(0 if lower('ok') and not lower('Bad') else 1)\n",
    }
    root = make_repo(timed)
    # say no: the script, four seconds long, fails on the change
    broken = review(root, diff_of(root, {"checks.py": CHECKS.replace("name == name.lower()", "True")}))
    report = gate_of(broken)
    assert not report.passed and [f.rule for f in report.findings] == ["tests.new-failure"], report
    assert report.findings[0].message.startswith("run_tests::script fails: run_tests.py exits 1")
    # say yes: a docstring, the script passing after its four seconds
    fine = review(root, diff_of(root, {"checks.py": CHECKS.replace("case.", "case, as written.")}))
    assert fine.passed and gate_of(fine).checked.startswith("1 test(s) ran from 1 file(s)"), gate_of(fine)
