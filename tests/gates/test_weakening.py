"""Every quiet way to turn a failing test green without a fix is a finding (and an honest change is not)."""

from __future__ import annotations

import pytest

from core.settings import TestSettings
from tests.conftest import diff_of, git, write_files
from tools.gates import ReviewOptions, review

CODE = "def add(a, b):\n    return a - b  # the bug\n"
FIXED = CODE.replace("a - b  # the bug", "a + b")
TEST = (
    "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n\n\n"
    "def test_zero():\n    assert add(0, 0) == 0\n"
)
BASE = {
    "calc.py": CODE,
    "tests/__init__.py": "",
    "tests/test_calc.py": TEST,
    "pyproject.toml": '[project]\nname = "calc"\n\n[tool.pytest.ini_options]\naddopts = "-q"\n',
    "tests/conftest.py": "import pytest\n",
}


def findings_of(root, diff) -> dict[str, list[str]]:
    result = review(root, diff, tests=TestSettings(timeout=120))
    found: dict[str, list[str]] = {}
    for gate in result.gates:
        for finding in gate.findings:
            found.setdefault(finding.rule, []).append(finding.message)
    assert not result.passed, found
    return found


@pytest.fixture
def repo(make_repo):
    return make_repo(BASE)


def test_module_level_pytestmark_skip(repo) -> None:
    diff = diff_of(repo, {"tests/test_calc.py": "import pytest\n\npytestmark = pytest.mark.skip\n" + TEST})
    assert "scope.skipped-test-module" in findings_of(repo, diff)


def test_pytestmark_list_with_skipif(repo) -> None:
    diff = diff_of(
        repo, {"tests/test_calc.py": "import pytest\n\npytestmark = [pytest.mark.skipif(True, reason='x')]\n" + TEST}
    )
    assert "scope.skipped-test-module" in findings_of(repo, diff)


def test_early_return_at_the_top_of_a_test(repo) -> None:
    diff = diff_of(repo, {"tests/test_calc.py": TEST.replace("def test_add():\n", "def test_add():\n    return\n")})
    found = findings_of(repo, diff)
    assert any("test_add now leaves" in m for m in found["scope.unreachable-assertions"])


def test_collect_ignore_glob_in_a_conftest(repo) -> None:
    diff = diff_of(repo, {"tests/conftest.py": "import pytest\n\ncollect_ignore_glob = ['test_calc*']\n"})
    assert "scope.collect-ignore" in findings_of(repo, diff)


def test_an_ignore_taken_out_of_a_conftest_only_widens_the_run(make_repo) -> None:
    """attrs' "Drop Python 3.9": an ignore for old interpreters removed, another kept: pytest collects more."""
    conftest = (
        "import sys\n\ncollect_ignore = []\nif sys.version_info < (3, 10):\n"
        "    collect_ignore.extend(['test_match.py'])\nif sys.version_info < (3, 14):\n"
        "    collect_ignore.extend(['test_forward.py'])\n"
    )
    root = make_repo({**BASE, "tests/conftest.py": conftest})
    kept = conftest.replace("if sys.version_info < (3, 10):\n    collect_ignore.extend(['test_match.py'])\n", "")
    diff = diff_of(root, {"tests/conftest.py": kept, "calc.py": FIXED})
    result = review(root, diff, tests=TestSettings(timeout=120))
    assert result.passed, [f for g in result.gates for f in g.findings]
    widened = kept.replace("['test_forward.py']", "['test_forward.py', 'test_calc.py']")
    assert "scope.collect-ignore" in findings_of(root, diff_of(root, {"tests/conftest.py": widened}))


def test_collection_hook_in_a_conftest(repo) -> None:
    hook = "def pytest_collection_modifyitems(items):\n    items[:] = []\n"
    diff = diff_of(repo, {"tests/conftest.py": "import pytest\n\n\n" + hook})
    assert "scope.collection-hook" in findings_of(repo, diff)


NO_PYTEST_TABLE = '[project]\nname = "calc"\n'


@pytest.mark.parametrize(
    "name,text",
    [
        ("pytest.ini", "[pytest]\naddopts = -k 'not test_add'\n"),  # read before pyproject.toml
        ("setup.cfg", "[tool:pytest]\naddopts = --deselect tests/test_calc.py::test_add\n"),
        ("tox.ini", "[pytest]\npython_files = check_*.py\n"),
    ],
)
def test_pytest_settings_that_run_fewer_tests(repo, name: str, text: str) -> None:
    """Each file narrows the run where pytest reads it: pytest.ini over pyproject.toml; the other two once
    pyproject.toml's table is gone (pytest takes the first file that has one)."""
    changes = {name: text} if name == "pytest.ini" else {name: text, "pyproject.toml": NO_PYTEST_TABLE}
    diff = diff_of(repo, changes)
    assert "scope.pytest-config" in findings_of(repo, diff)


def test_settings_pytest_does_not_read_change_nothing(repo) -> None:
    """pyproject.toml has pytest's table, so pytest never reads setup.cfg's: narrowing it narrows nothing."""
    diff = diff_of(repo, {"setup.cfg": "[tool:pytest]\naddopts = --deselect tests/test_calc.py::test_add\n"})
    result = review(repo, diff, tests=TestSettings(timeout=120))
    assert result.passed, [f.message for g in result.gates for f in g.findings]


MOVED_SETTINGS = [
    # marshmallow's "Dev chores": the [tool:pytest] section of setup.cfg moved into pyproject.toml
    (
        {"setup.cfg": "[tool:pytest]\nnorecursedirs = .git .tox docs\nxfail_strict = true\n"},
        {
            "setup.cfg": "[metadata]\nname = calc\n",
            "pyproject.toml": '[project]\nname = "calc"\n\n[tool.pytest.ini_options]\n'
            'norecursedirs = ".git .tox docs"\nxfail_strict = true\n',
        },
    ),
    # attrs' "Drop Python 3.9": [tool.pytest.ini_options] rewritten as pytest 9's native [tool.pytest]
    (
        {
            "pyproject.toml": '[project]\nname = "calc"\n\n[tool.pytest.ini_options]\naddopts = ["-ra", '
            '"--strict-markers"]\nxfail_strict = true\ntestpaths = "tests"\n'
        },
        {
            "pyproject.toml": '[project]\nname = "calc"\n\n[tool.pytest]\nstrict = true\n'
            'testpaths = ["tests"]\naddopts = ["-ra"]\n'
        },
    ),
]


@pytest.mark.parametrize("before,after", MOVED_SETTINGS, ids=["setup.cfg-to-pyproject", "ini_options-to-native"])
def test_settings_moved_to_another_file_or_table_are_not_a_change(make_repo, before, after) -> None:
    root = make_repo({**BASE, "pyproject.toml": NO_PYTEST_TABLE, **before})
    diff = diff_of(root, {**after, "calc.py": CODE + "\n# touched\n"})
    result = review(root, diff, tests=TestSettings(timeout=120))
    messages = {f.rule: f.message for g in result.gates for f in g.findings}
    assert result.passed and "scope.pytest-config" not in messages, messages


def test_native_table_turning_strict_off(make_repo) -> None:
    """pytest 9's `strict = true` makes xfails strict; dropping it lets a passing xfail pass again."""
    strict = '[project]\nname = "calc"\n\n[tool.pytest]\nstrict = true\ntestpaths = ["tests"]\n'
    root = make_repo({**BASE, "pyproject.toml": strict})
    diff = diff_of(root, {"pyproject.toml": strict.replace("strict = true\n", "")})
    assert any("strict xfail is turned off" in m for m in findings_of(root, diff)["scope.pytest-config"])


def test_native_table_narrowing_testpaths(make_repo) -> None:
    native = '[project]\nname = "calc"\n\n[tool.pytest]\ntestpaths = ["tests"]\n'
    root = make_repo({**BASE, "pyproject.toml": native})
    diff = diff_of(root, {"pyproject.toml": native.replace('["tests"]', '["tests/unit"]')})
    assert any("testpaths in pyproject.toml" in m for m in findings_of(root, diff)["scope.pytest-config"])


def test_addopts_k_in_pyproject_is_found_and_the_test_disappears_at_run_time(repo) -> None:
    pyproject = BASE["pyproject.toml"].replace('addopts = "-q"', "addopts = \"-q -k 'not test_add'\"")
    diff = diff_of(repo, {"pyproject.toml": pyproject, "calc.py": CODE + "\n# touched\n"})
    found = findings_of(repo, diff)
    assert "scope.pytest-config" in found
    assert any("tests/test_calc.py::test_add" in m for m in found["tests.uncollected"])


def test_renaming_a_test_file_out_of_collection(repo) -> None:
    git(repo, "mv", "tests/test_calc.py", "tests/calc_checks.py")
    diff = git(repo, "diff", "--cached", "-M")
    git(repo, "reset", "-q", "--hard")
    found = findings_of(repo, diff)
    assert "scope.uncollected-test-file" in found


def test_added_skip_decorator_on_a_class(make_repo) -> None:
    cls = "class TestAdd:\n    def test_add(self):\n        assert 1 + 1 == 2\n"
    root = make_repo({"tests/test_k.py": cls})
    skip = "import unittest\n\n\n@unittest.skip('later')\n"  # patchgate: allow (a fixture)
    diff = diff_of(root, {"tests/test_k.py": skip + cls})
    assert "scope.added-skip" in findings_of(root, diff)


def test_an_honest_fix_and_a_new_test_raise_nothing(repo) -> None:
    extra = "\n\ndef test_negative():\n    if True:\n        assert add(-1, 1) == 0\n"
    diff = diff_of(
        repo,
        {
            "calc.py": CODE.replace("a - b  # the bug", "a + b"),
            "tests/test_calc.py": TEST + extra,
            "pytest.ini": "[pytest]\naddopts = -ra --strict-markers\n",
        },
    )
    result = review(repo, diff, tests=TestSettings(timeout=120))
    assert result.passed, [f for g in result.gates for f in g.findings]


NEW_SKIPPED_TESTS = (
    "\n\nimport sys\n\nimport pytest\n\n\n@pytest.mark.skipif(\n"  # patchgate: allow (a fixture)
    "    sys.platform == 'win32', reason='not on Windows'\n)\n@pytest.mark.parametrize('n', [1, 2])\n"
    "def test_platform(n):\n    assert add(n, 0) == n\n\n\n"
    "def test_other_interpreter():\n    if sys.implementation.name != 'cpython':\n"
    "        pytest.skip('CPython only')\n    assert add(1, 1) == 2\n"  # patchgate: allow (a fixture)
)


def test_new_tests_skipped_where_they_cannot_run_weaken_nothing(repo) -> None:
    """click's and tomlkit's everyday commits: a new test with `skipif(WIN)`, or a `pytest.skip()` inside it."""
    diff = diff_of(repo, {"calc.py": FIXED, "tests/test_calc.py": TEST + NEW_SKIPPED_TESTS})
    result = review(repo, diff, tests=TestSettings(timeout=120))
    assert result.passed, [f for g in result.gates for f in g.findings]


def test_a_skip_added_to_an_old_test_beside_a_new_one_is_still_found(repo) -> None:
    """The skip sits at the top of test_zero, which ran before; the new test after it changes nothing."""
    skipped = TEST.replace(
        "def test_zero():\n",
        "def test_zero():\n    pytest.skip('later')\n",  # patchgate: allow (a fixture)
    )
    new = "\n\ndef test_one():\n    assert add(1, 0) == 1\n"
    diff = diff_of(repo, {"tests/test_calc.py": "import pytest\n" + skipped + new})
    assert any("pytest.skip('later')" in m for m in findings_of(repo, diff)["scope.added-skip"])
    decorated = TEST.replace("def test_zero", "@pytest.mark.skip\ndef test_zero")  # patchgate: allow (a fixture)
    diff = diff_of(repo, {"tests/test_calc.py": "import pytest\n" + decorated + new})
    assert "scope.added-skip" in findings_of(repo, diff)


def test_moving_a_test_file_keeps_its_tests_collected(repo) -> None:
    write_files(repo, {"calc.py": CODE.replace("a - b  # the bug", "a + b")})
    git(repo, "mv", "tests/test_calc.py", "tests/test_sum.py")
    git(repo, "add", "-A")
    diff = git(repo, "diff", "--cached", "-M")
    git(repo, "reset", "-q", "--hard")
    result = review(repo, diff, tests=TestSettings(timeout=120))
    assert result.passed, [f for g in result.gates for f in g.findings]


def test_parameters_built_from_the_clock_are_not_missing_tests(make_repo) -> None:
    """Test ids with the time in them differ between the base's collection and the candidate's run."""
    clock = (
        "import time\n\nimport pytest\n\nfrom calc import add\n\n\n"
        "@pytest.mark.parametrize('stamp', [time.time_ns(), 1])\ndef test_stamp(stamp):\n    assert add(stamp, 0) == stamp\n"
    )
    root = make_repo({"calc.py": "def add(a, b):\n    return a + b\n", "tests/test_clock.py": clock})
    result = review(root, diff_of(root, {"calc.py": "def add(a, b):\n    return b + a\n"}))
    tests = next(g for g in result.gates if g.name == "tests")
    assert tests.passed, tests.findings
    fewer = clock.replace("[time.time_ns(), 1]", "[time.time_ns()]")
    found = {f.rule for f in review(root, diff_of(root, {"tests/test_clock.py": fewer})).gates[2].findings}
    assert "tests.uncollected" in found  # a case that really went is still found


def test_a_test_that_becomes_parametrized_is_not_missing(make_repo) -> None:
    """alembic's "Fix autogenerate check constraint" gave five tests a parametrized fixture: ``test_x`` became
    ``test_x[a]`` and ``test_x[b]``, and each was reported "ran on the base but is no longer collected"."""
    test = "from calc import add\n\n\ndef test_add():\n    assert add(1, 1) == 2\n"
    root = make_repo({"calc.py": "def add(a, b):\n    return a + b\n", "tests/test_add.py": test})
    param = "import pytest\n\n" + test.replace(
        "def test_add():", "@pytest.mark.parametrize('n', [1, 2])\ndef test_add(n):"
    )
    result = review(root, diff_of(root, {"tests/test_add.py": param.replace("add(1, 1) == 2", "add(n, n) == 2 * n")}))
    tests = next(g for g in result.gates if g.name == "tests")
    assert tests.passed and tests.findings == [], tests.findings


def test_numbered_cases_that_a_new_case_renumbers_are_not_missing(make_repo) -> None:
    """``parameterized`` names each case by its index (``test_x_034_pt``): dateparser's commit that inserted Italian
    phrases renumbered the cases after them, and 540 were reported "ran on the base but is no longer collected".
    A case that really went is still found."""
    cases = "[(1, 1), (2, 2), (3, 3)]"
    test = (
        "import unittest\n\nfrom calc import add\n\nCASES = " + cases + "\n\n\nclass T(unittest.TestCase):\n    pass"
        "\n\n\nfor i, (a, b) in enumerate(CASES):\n    setattr(T, f'test_add_{i:03d}_{a}', "
        "lambda self, a=a, b=b: self.assertEqual(add(a, b), a + b))\n"
    )
    root = make_repo({"calc.py": "def add(a, b):\n    return a + b\n", "tests/test_add.py": test})

    def rules(new_cases: str) -> set[str]:
        result = review(root, diff_of(root, {"tests/test_add.py": test.replace(cases, new_cases)}))
        return {f.rule for g in result.gates for f in g.findings}

    assert "tests.uncollected" not in rules("[(0, 0), (1, 1), (2, 2), (3, 3)]")
    assert "tests.uncollected" in rules("[(2, 2), (3, 3)]")


def test_your_own_commit_may_skip_every_test_it_would_run(repo) -> None:
    """terminaltables' "Fails on windows, I didn't touch it" skips the selected tests: 'no test ran', an error, left the
    owner's commit refused though the scope gate let the skip through as their own. On a person's own commit it is a
    warning that says so; a model's patch that does the same is refused."""
    mark = '@pytest.mark.skip("fails on windows")\n'
    skipped = "import pytest\n" + TEST.replace("def test_", mark + "def test_")
    diff = diff_of(repo, {"tests/test_calc.py": skipped})
    own = review(repo, diff, options=ReviewOptions(origin="human"), tests=TestSettings(timeout=120))
    tests = next(g for g in own.gates if g.name == "tests")
    assert own.passed and tests.skipped, [f for g in own.gates for f in g.findings]  # passed, but not checked
    assert any(f.message.endswith("(fails on windows), by your commit") for f in tests.findings), tests.findings
    assert {"tests.not-run", "scope.added-skip"} <= set(findings_of(repo, diff))


def test_your_own_commit_may_remove_every_test_it_would_run(repo) -> None:
    """The hook tried as a user: deleting a module's only tests left 'no test ran', an error, so the commit could
    not be made. On a person's own commit that is said, with the import check that still ran; a model's patch
    that does the same is refused."""
    diff = diff_of(repo, {"tests/test_calc.py": "from calc import add\n"})
    own = review(repo, diff, options=ReviewOptions(origin="human"), tests=TestSettings(timeout=120))
    tests = next(g for g in own.gates if g.name == "tests")
    assert own.passed, [f for g in own.gates for f in g.findings]
    assert any("your commit removes the 2 test(s)" in f.message for f in tests.findings)
    assert all(f.severity != "error" for g in own.gates for f in g.findings)
    found = findings_of(repo, diff)
    assert {"tests.not-run", "scope.deleted-test"} <= set(found)
    # said once, by the scope gate: installer's three deleted parametrized tests were also 31 "no longer collected"
    assert "tests.uncollected" not in found


def test_narrowing_the_unittest_discovery_a_project_runs_is_a_finding_and_other_edits_are_not(make_repo) -> None:
    """mkdocs names its tests by ``unittest discover -p "*tests.py"``; a pattern that names fewer files runs fewer
    tests, as a narrowed ``python_files`` does for pytest."""
    makefile = "test:\n\tpython -m unittest discover -s calc -p '*tests.py'\n"
    root = make_repo(
        {
            "Makefile": makefile,
            "calc/__init__.py": "",
            "calc/ops.py": FIXED,
            "calc/ops_tests.py": "import unittest\n\nfrom calc.ops import add\n\n\nclass T(unittest.TestCase):\n"
            "    def test_add(self):\n        self.assertEqual(add(2, 3), 5)\n",
        }
    )
    narrowed = diff_of(root, {"Makefile": makefile.replace("*tests.py", "smoke_*.py")})
    (said,) = findings_of(root, narrowed)["scope.pytest-config"]
    assert said == (
        "unittest discovery in Makefile changes from -s calc -p *tests.py to -s calc -p smoke_*.py: "
        "which tests run changes"
    )
    widened = diff_of(root, {"Makefile": makefile + "\nlint:\n\truff check .\n"})
    result = review(root, widened, tests=TestSettings(timeout=120))
    assert result.passed, [f.message for g in result.gates for f in g.findings]
