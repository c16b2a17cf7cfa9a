"""The tests gate: related selection, new failures versus failures the base already had, timeouts, secrets."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from core.settings import TestSettings
from tests.conftest import diff_of, git, review_as_configured, write_files
from tools.candidate import parse_diff
from tools.gates import ReviewOptions, review
from tools.policy import Policies
from tools.selection import select_tests

GLOBS = Policies().default.scope.tests.paths

FILES = {
    "calc/__init__.py": "",
    "calc/ops.py": "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - a\n",  # sub is already wrong
    "calc/other.py": "def one():\n    return 1\n",
    "tests/test_ops.py": "from calc.ops import add, sub\n\n\ndef test_add():\n    assert add(2, 2) == 4\n\n\n"
    "def test_sub():\n    assert sub(3, 1) == 2\n",
    "tests/test_uses_ops.py": "from calc import ops\n\n\ndef test_ops_module():\n    assert ops.add(0, 1) == 1\n",
    "tests/test_other.py": "from calc.other import one\n\n\ndef test_one():\n    assert one() == 1\n",
}


def gate_report(result):
    return next(g for g in result.gates if g.name == "tests")


def test_selection_follows_imports_and_names(make_repo) -> None:
    root = make_repo(FILES)
    diff = diff_of(root, {"calc/ops.py": FILES["calc/ops.py"] + "\n# touched\n"})
    selected = select_tests(root, parse_diff(diff), ReviewOptions(), GLOBS)
    assert selected.files == ["tests/test_ops.py", "tests/test_uses_ops.py"]
    assert "tests/test_other.py" in select_tests(root, parse_diff(diff), ReviewOptions(tests="all"), GLOBS).files


def test_new_failure_fails_and_old_failure_only_warns(make_repo) -> None:
    root = make_repo(FILES)
    diff = diff_of(root, {"calc/ops.py": FILES["calc/ops.py"].replace("a + b", "a * b")})  # 2*2 == 4 still, 0*1 != 1
    report = gate_report(review(root, diff, tests=TestSettings(timeout=60)))
    assert not report.passed
    by_rule = {f.rule: f for f in report.findings}
    assert "test_ops_module" in by_rule["tests.new-failure"].message
    assert "test_sub" in by_rule["tests.pre-existing-failure"].message
    assert by_rule["tests.pre-existing-failure"].severity == "warning"


def test_change_that_keeps_tests_green_passes_despite_old_failure(make_repo) -> None:
    root = make_repo(FILES)
    diff = diff_of(root, {"calc/ops.py": FILES["calc/ops.py"].replace("return a + b", "return b + a")})
    report = gate_report(review(root, diff, tests=TestSettings(timeout=60)))
    assert report.passed, report
    assert [f.rule for f in report.findings] == ["tests.pre-existing-failure"]


def test_tests_that_all_fail_on_the_base_too_judge_nothing(make_repo) -> None:
    """feedparser's one test script cannot import feedparser on Python 3.11 (its sgml shim), so it fails on every
    commit: a review whose every test failed on the base too passed as if checked. None passed, so none judged the
    change: "passed, but not checked". One test that passes is enough to judge."""
    root = make_repo(
        {
            **FILES,
            "tests/test_uses_ops.py": "",
            "tests/test_ops.py": FILES["tests/test_ops.py"].replace(
                "def test_add():\n    assert add(2, 2) == 4\n\n\n", ""
            ),
        }
    )
    diff = diff_of(root, {"calc/ops.py": FILES["calc/ops.py"].replace("return a + b", "return b + a")})
    report = gate_report(review(root, diff, tests=TestSettings(timeout=60)))
    assert report.passed and report.skipped, report
    assert report.detail == "none of the 1 test(s) that ran passed, here or on the base, so none judged the change"
    assert [f.rule for f in report.findings] == ["tests.pre-existing-failure"]
    judged = gate_report(review(make_repo(FILES, name="judged"), diff, tests=TestSettings(timeout=60)))
    assert judged.passed and not judged.skipped


def test_tests_that_all_fail_with_one_error_say_it(make_repo) -> None:
    """django-model-utils' settings name a PostgreSQL server unless its tests are told SQLite: its 299 tests failed
    here and on the base alike, and the review said none judged the change, and not why. The error most of them
    share is said, where the verdict is."""
    db = "def connect():\n    raise RuntimeError('no database server at localhost:5432')\n"
    tests = (
        "from calc import db\nfrom calc.ops import add\n\n\ndef test_add_stored():\n    db.connect()\n"
        "    assert add(1, 1) == 2\n\n\ndef test_sum_stored():\n    db.connect()\n    assert add(1, 2) == 3\n"
    )
    root = make_repo({"calc/ops.py": FILES["calc/ops.py"], "calc/db.py": db, "tests/test_db.py": tests})
    diff = diff_of(root, {"calc/ops.py": FILES["calc/ops.py"].replace("return a + b", "return b + a")})
    report = gate_report(review(root, diff, tests=TestSettings(timeout=60)))
    assert report.passed and report.skipped, report
    said = "2 of them with: RuntimeError: no database server at localhost:5432"
    assert report.detail.endswith(f"so none judged the change ({said})"), report.detail
    assert [f.message.endswith(said) for f in report.findings] == [True], report.findings


def test_tests_see_no_credentials(make_repo, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-should-not-leak-0123456789abcdef")  # patchgate: allow
    root = make_repo(
        {
            "m.py": "X = 1\n",
            "tests/test_m.py": "import os\nfrom m import X\n\n\n"
            "def test_env():\n    assert 'OPENAI_API_KEY' not in os.environ\n",
        }
    )
    report = gate_report(review(root, diff_of(root, {"m.py": "X = 2\n"}), tests=TestSettings(timeout=60)))
    assert report.passed, report


def test_tests_see_only_an_allow_listed_environment(make_repo, monkeypatch) -> None:
    """Credentials whose names say nothing of secrets (issue 9) stay out too: the environment is allow-listed."""
    leaky = {
        "GH_PAT": "t0ken",
        "SENTRY_DSN": "https://k@o1.ingest.sentry.io/1",
        "DATABASE_URL": "postgres://app:pw@db/app",  # patchgate: allow
        "PIP_INDEX_URL": "https://u:pw@pypi.corp/simple",  # patchgate: allow
        "HTTPS_PROXY": "http://u:pw@proxy:3128",
    }  # patchgate: allow
    for name, value in leaky.items():
        monkeypatch.setenv(name, value)
    test = (
        "import os\nfrom m import X\n\n\ndef test_x():  # the same test, now also checking its environment\n"
        f"    assert not {{k for k in os.environ if k in {sorted(leaky)!r}}}\n"
        "    assert os.environ['PATH']\n"
    )
    root = make_repo({"m.py": "X = 1\n", "tests/test_m.py": "from m import X\n\n\ndef test_x():\n    assert X\n"})
    report = gate_report(
        review(root, diff_of(root, {"m.py": "X = 2\n", "tests/test_m.py": test}), tests=TestSettings(timeout=60))
    )
    assert report.passed and "1 passed" in report.detail, report


def test_tests_see_the_names_pass_env_lists_and_a_change_cannot_add_one(make_repo, monkeypatch) -> None:
    monkeypatch.setenv("APP_MODE", "testing")
    monkeypatch.setenv("GH_PAT", "t0ken")
    test = (
        "import os\nfrom m import X\n\n\ndef test_x():  # the same test, now also checking its environment\n"
        "    assert os.environ.get('APP_MODE') == 'testing' and 'GH_PAT' not in os.environ\n"
    )
    root = make_repo(
        {
            "m.py": "X = 1\n",
            ".patchgate.toml": '[tests]\npass_env = ["APP_MODE"]\n',
            "tests/test_m.py": "from m import X\n\n\ndef test_x():\n    assert X\n",
        }
    )
    widened = '[tests]\npass_env = ["APP_MODE", "GH_PAT"]\n'
    report = gate_report(
        review_as_configured(
            root,
            diff_of(root, {"m.py": "X = 2\n", "tests/test_m.py": test, ".patchgate.toml": widened}),
            review={"disabled": ["scope"]},
            tests={"timeout": 60},
        )
    )
    assert report.passed and "1 passed" in report.detail, report


def test_tests_that_cannot_run_on_the_base_either_judge_nothing(make_repo) -> None:
    """An old project whose tests do not import here: said as a warning, and no candidate is rejected for it."""
    root = make_repo(
        {
            "old/__init__.py": "def f():\n    return 1\n",
            "tests/test_old.py": "import a_dependency_that_is_not_installed\nfrom old import f\n\n\n"
            "def test_f():\n    assert f() == 1\n",
        }
    )
    diff = diff_of(root, {"old/__init__.py": "def f():\n    return 1 + 0\n"})
    result = review(root, diff, tests=TestSettings(timeout=60))
    report = gate_report(result)
    assert result.passed and report.skipped
    assert [f.rule for f in report.findings] == ["tests.base-broken"]
    assert "a_dependency_that_is_not_installed" in report.findings[0].message


def test_tests_that_skip_themselves_on_the_base_too_judge_nothing_and_a_change_that_skips_them_is_refused(
    make_repo,
) -> None:
    """factory_boy's SQLAlchemy tests skip themselves where SQLAlchemy is missing (only a tox factor installs it),
    on every commit: a commit that changed their helpers was blocked for "no test ran". Skipped on the base too,
    they judge nothing; a change that makes tests which ran on the base skip is still refused."""
    test = "import pytest\n\nfrom calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n"
    root = make_repo(
        {
            "calc/__init__.py": "def add(a, b):\n    return a + b\n",
            "tests/test_calc.py": test,
            "tests/test_orm.py": "import pytest\n\nsqlalchemy = pytest.importorskip('a_dependency_that_is_not_installed')"
            "\n\nfrom calc import add\n\n\ndef test_orm():\n    assert add(1, 1) == 2\n",
        }
    )
    helper = diff_of(
        root, {"tests/test_orm.py": "import pytest\n\npytest.importorskip('a_dependency_that_is_not_installed')\n"}
    )
    report = gate_report(review(root, helper))
    assert report.passed and report.skipped and [f.rule for f in report.findings] == ["tests.base-broken"], report
    skipping = test.replace("from calc", "pytest.skip('later', allow_module_level=True)\n\nfrom calc")
    refused = gate_report(review(root, diff_of(root, {"tests/test_calc.py": skipping})))
    assert not refused.passed and "tests.not-run" in [f.rule for f in refused.findings], refused


def test_a_break_in_code_only_unittest_discovery_tests_is_refused_and_a_docstring_passes(make_repo) -> None:
    """The tests of a project that runs ``python -m unittest discover -p "*tests.py"`` are run by path; before,
    no file was a test and both changes passed with "no related tests"."""
    from tests.gates.test_selection import UNITTEST_PROJECT

    project = {k: v for k, v in UNITTEST_PROJECT.items() if k != "pyproject.toml"}  # the interpreter's environment
    root = make_repo({**project, "Makefile": "test:\n\tpython -m unittest discover -s pages -p '*tests.py'\n"})
    build = UNITTEST_PROJECT["pages/build.py"]
    fine = gate_report(review(root, diff_of(root, {"pages/build.py": '"""Build."""\n' + build}), tests=TestSettings()))
    assert fine.passed and fine.checked.startswith("1 test(s) ran from 1 file(s)"), fine
    broken = gate_report(
        review(root, diff_of(root, {"pages/build.py": build.replace("'ok'", "'no'")}), tests=TestSettings())
    )
    assert not broken.passed
    assert [f.rule for f in broken.findings] == ["tests.new-failure"] and "test_build" in broken.findings[0].message


FLAKY = {
    "calc/__init__.py": "",
    "calc/ops.py": "def add(a, b):\n    return a + b\n",
    # fails the first time it meets the changed module, as a timing test fails on a loaded machine
    "tests/test_flaky.py": "from pathlib import Path\n\nfrom calc import ops\n\n\ndef test_once():\n"
    "    marker = Path(__file__).with_name('ran-once')\n"
    "    if 'touched' in Path(ops.__file__).read_text() and not marker.exists():\n"
    "        marker.write_text('x')\n        raise AssertionError('too slow')\n",
    # fails only after the test before it (alone it passes): its file runs again whole, in order
    "tests/test_order.py": "from calc import ops\n\nSTATE = []\n\n\ndef test_first():\n    STATE.append(ops.add(1, 1))\n"
    "\n\ndef test_second():\n    assert sum(STATE) in (0, 2)\n",
}


def test_a_new_failure_that_passes_when_run_again_is_flaky_and_a_real_break_still_fails(make_repo) -> None:
    """mistune's "near linear" timing test failed under load for a change to another module: run again, it
    passed. A failure that comes back when its file runs again in the same order is the change's."""
    root = make_repo(FLAKY)
    touched = gate_report(review(root, diff_of(root, {"calc/ops.py": FLAKY["calc/ops.py"] + "# touched\n"})))
    assert touched.passed, touched
    (flaky,) = touched.findings
    assert flaky.rule == "tests.flaky" and flaky.severity == "warning"
    assert flaky.message.startswith("tests.test_flaky::test_once failed, then passed when its file ran again")
    assert "flaky, or failing only beside other tests, not the change's" in flaky.message
    broken = FLAKY["calc/ops.py"].replace("a + b", "a * b")  # 1 * 1 == 1: test_second fails after test_first
    report = gate_report(review(root, diff_of(root, {"calc/ops.py": broken})))
    assert not report.passed
    assert [(f.rule, f.severity) for f in report.findings] == [("tests.new-failure", "error")]
    assert "test_second" in report.findings[0].message


RACING = {
    "calc/__init__.py": "",
    "calc/ops.py": "def add(a, b):\n    return a + b\n",
    # a race with a local server (vcrpy's keep-alive BrokenPipe): here it lost on the change's two runs and won the
    # base's first, and the base's second run loses it too; the count lives beside the test, one per tree
    "tests/test_race.py": "from pathlib import Path\n\nfrom calc import ops\n\n\ndef test_fetch():\n"
    "    runs = Path(__file__).with_name('runs')\n"
    "    count = len(runs.read_text()) if runs.exists() else 0\n"
    "    runs.write_text('x' * (count + 1))\n"
    "    if 'touched' in Path(ops.__file__).read_text() or count:\n"
    "        raise BrokenPipeError(32, 'Broken pipe')\n",
}


def test_a_new_failure_that_fails_on_the_base_too_when_run_again_is_flaky_there(make_repo) -> None:
    """vcrpy's recording tests reuse a keep-alive connection their local server closed, and about half of any
    commit's runs fail with BrokenPipeError: a failure that came back on the change's second run, where the base's
    one run had passed, blocked two of its five commits. The base runs those files once more; a failure there too
    is the base's flakiness, a warning. A real break (test_order's, in the test above) passes on the base again."""
    root = make_repo(RACING)
    report = gate_report(review(root, diff_of(root, {"calc/ops.py": RACING["calc/ops.py"] + "# touched\n"})))
    assert report.passed, report
    (flaky,) = report.findings
    assert flaky.rule == "tests.flaky" and flaky.severity == "warning"
    assert flaky.message.startswith(
        "tests.test_race::test_fetch failed, and failed on the base too when its file ran again there"
    )


def test_tests_written_in_a_base_class_elsewhere_are_the_same_tests_on_both_sides(make_repo) -> None:
    """mistune's thousand tests are methods of a base class in ``tests/__init__.py``, which junit names as their
    file: each was reported "ran on the base but is no longer collected". A docstring fix has no finding; a break
    fails the test, named by the module pytest collected it from."""
    files = {
        "calc/__init__.py": "",
        "calc/ops.py": "def add(a, b):\n    return a + b\n",
        "tests/__init__.py": "import unittest\n\nfrom calc.ops import add\n\n\nclass Cases(unittest.TestCase):\n"
        "    def test_add(self):\n        self.assertEqual(add(2, 3), 5)\n",
        "tests/test_generated.py": "from tests import Cases\n\n\nclass TestGenerated(Cases):\n    pass\n\n\ndel Cases\n",
    }
    root = make_repo(files)
    fine = gate_report(review(root, diff_of(root, {"calc/ops.py": '"""Sums."""\n' + files["calc/ops.py"]})))
    assert fine.passed and fine.findings == [] and fine.checked.startswith("1 test(s) ran"), fine
    broken = gate_report(review(root, diff_of(root, {"calc/ops.py": files["calc/ops.py"].replace("+", "-")})))
    assert [f.rule for f in broken.findings] == ["tests.new-failure"], broken.findings
    assert broken.findings[0].message.startswith("tests.test_generated.TestGenerated::test_add fails")


def test_a_break_caught_by_fixtures_in_a_submodule_is_refused_and_a_docstring_passes(make_repo) -> None:
    """tomlkit's and many parsers' expected outputs live in a submodule; the review's checkout had it empty, so the
    test failed on both sides and a break passed as a "pre-existing failure"."""
    data = make_repo({"greeting.txt": "hello\n"}, name="data")
    code = '"""Greetings."""\n\n\ndef greeting():\n    return "hello"\n'
    test = (
        "from pathlib import Path\n\nfrom greet import greeting\n\n\ndef test_greeting():\n"
        "    assert greeting() == (Path(__file__).parent.parent / 'fixtures' / 'greeting.txt').read_text().strip()\n"
    )
    root = make_repo({"greet/__init__.py": code, "tests/test_greet.py": test}, name="project")
    git(root, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(data), "fixtures")
    git(root, "commit", "-qm", "fixtures")
    fine = gate_report(review(root, diff_of(root, {"greet/__init__.py": code.replace("Greetings", "Say hello")})))
    assert fine.passed and fine.findings == [] and fine.checked.startswith("1 test(s) ran"), fine
    broken = gate_report(review(root, diff_of(root, {"greet/__init__.py": code.replace('"hello"', '"bye"')})))
    assert [(f.rule, f.severity) for f in broken.findings] == [("tests.new-failure", "error")]


@pytest.mark.parametrize(
    ("name", "declared", "where"),
    [
        ("pyproject.toml", '[tool.setuptools.packages.find]\nwhere = ["python"]\n', "python"),
        ("pyproject.toml", '[tool.setuptools]\npackage-dir = {"" = "python"}\n', "python"),
        ("pyproject.toml", '[tool.maturin]\npython-source = "python"\n', "python"),
        ("pyproject.toml", '[tool.uv.workspace]\nmembers = [".", "packages/*"]\n', "packages/calc/src"),
        ("tox.ini", "[testenv]\nsetenv =\n    PYTHONPATH = {toxinidir}/python\n", "python"),
        (
            "pyproject.toml",
            '[tool.tox]\nlegacy_tox_ini = """\n[testenv]\nsetenv = PYTHONPATH = python\n"""\n',
            "python",
        ),
    ],
)
def test_the_python_of_a_project_is_imported_from_where_its_build_declares(make_repo, name, declared, where):
    """cbor2's Rust port keeps its Python in python/cbor2 (setuptools' ``packages.find`` ``where``; maturin's
    ``python-source`` likewise), and griffe, a uv workspace, in packages/griffelib/src/griffe (icalendar's workspace lists its root, ``"."``,
    which stopped every review on an internal error): only the build puts them on the path, so no test imported them, on any commit, and nothing was checked; microdot's tox.ini sets
    ``PYTHONPATH=libs/common``. The tests import it from there; a docstring fix passes, and a break is refused."""
    ops = "def add(a, b):\n    return a + b\n"
    root = make_repo(
        {
            name: declared,
            "packages/calc/pyproject.toml": '[project]\nname = "calc"\n',
            f"{where}/calc/__init__.py": "",
            f"{where}/calc/ops.py": ops,
            "tests/test_ops.py": "from calc.ops import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n",
        }
    )
    fine = gate_report(review(root, diff_of(root, {f"{where}/calc/ops.py": '"""Sums."""\n' + ops})))
    assert fine.passed and not fine.skipped and fine.checked.startswith("1 test(s) ran"), fine
    broken = gate_report(review(root, diff_of(root, {f"{where}/calc/ops.py": ops.replace("+", "-")})))
    assert not broken.passed and [f.rule for f in broken.findings] == ["tests.new-failure"], broken


def test_a_commit_that_moves_a_submodule_passes_and_a_broken_file_beside_it_still_fails(make_repo) -> None:
    """sqlglot's fix moved its integration-tests submodule to a new commit too ("bump the pointer to retrigger CI"):
    the parse gate read the submodule's folder as a file, "[Errno 21] Is a directory", and blocked the commit."""
    data = make_repo({"greeting.txt": "hello\n"}, name="data")
    code = '"""Greetings."""\n\n\ndef greeting():\n    return "hello"\n'
    root = make_repo({"greet/__init__.py": code, "settings.json": "{}\n"}, name="project")
    git(root, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(data), "fixtures")
    git(root, "commit", "-qm", "fixtures")
    (data / "greeting.txt").write_text("hello\nhi\n")
    git(data, "commit", "-qam", "more greetings")
    git(root / "fixtures", "pull", "-q")

    def with_the_move(files: dict[str, str]) -> str:
        write_files(root, files)
        git(root, "add", "-A")
        diff = git(root, "diff", "--cached")
        git(root, "reset", "-q", "--hard")  # back to the base, the submodule at its recorded commit too
        git(root, "submodule", "update", "-q")
        git(root / "fixtures", "checkout", "-q", "main")
        return diff

    moved = with_the_move({"greet/__init__.py": code.replace("Greetings", "Say hello")})
    assert "+Subproject commit" in moved
    fine = review(root, moved)
    assert fine.passed and all(not g.findings for g in fine.gates), fine
    broken = review(root, with_the_move({"settings.json": "{\n"}))
    (parse,) = (g for g in broken.gates if g.name == "parse")
    assert not parse.passed and [f.path for f in parse.findings] == ["settings.json"], parse


DATA_NOT_BUILT = {  # babel's locale data is built by a step of its own (`import_cldr`), not by installing it
    "locales/__init__.py": "def load(name):\n    raise RuntimeError('the locale data files are not built')\n\n\n"
    "def plural(n):\n    return 'one' if n == 1 else 'other'\n",
    "tests/test_locales.py": "from locales import load, plural\n\n\ndef test_load():\n    assert load('en')\n",
    "tests/test_plural.py": "from locales import plural\n\n\ndef test_plural():\n    assert plural(1) == 'one'\n",
}


def test_a_failure_with_the_error_the_base_already_fails_with_judges_nothing(make_repo) -> None:
    """babel's new test of a catalog fix needs the locale data that 200 of its tests already lack here, and a CLDR
    update made an old test reach it, in another file: both were "new failures" and blocked the commits. A test that
    fails its own assertion, or with another error, is still the change's."""
    root = make_repo(DATA_NOT_BUILT)
    test = DATA_NOT_BUILT["tests/test_locales.py"]
    fix = {"tests/test_locales.py": test + "\n\ndef test_load_fr():\n    assert load('fr')\n"}
    report = gate_report(review(root, diff_of(root, fix)))
    assert report.passed, report
    rules = {f.rule: f for f in report.findings}
    assert rules["tests.fails-as-on-base"].severity == "warning"
    assert rules["tests.fails-as-on-base"].message.startswith(
        "tests.test_locales::test_load_fr fails with the error 1 test(s) already fail with on the base"
    )
    code = DATA_NOT_BUILT["locales/__init__.py"]
    reaches = gate_report(
        review(
            root,
            diff_of(root, {"locales/__init__.py": code.replace("return 'one' if", "load('x')\n    return 'one' if")}),
        )
    )
    assert reaches.passed and "tests.fails-as-on-base" in {f.rule for f in reaches.findings}, reaches
    wrong = {"tests/test_locales.py": test + "\n\ndef test_plural_two():\n    assert plural(2) == 'one'\n"}
    assert [f.rule for f in gate_report(review(root, diff_of(root, wrong))).findings] == [
        "tests.new-failure",
        "tests.pre-existing-failure",
    ]
    other = code.replace(
        "return 'one' if", "raise RuntimeError('the locale data files are broken')\n    return 'one' if"
    )
    report = gate_report(review(root, diff_of(root, {"locales/__init__.py": other})))
    assert not report.passed and "test_plural fails: RuntimeError" in report.findings[0].message


def test_options_of_pytests_cache_plugin_in_addopts_still_run_the_tests(make_repo) -> None:
    """pydocstyle's addopts hold ``--cache-clear``; with the cache plugin off, pytest refused the option and no
    review of it ran a test. ``--lf`` reads a cache of this run alone, so every selected test still runs."""
    root = make_repo({**FILES, "pytest.ini": "[pytest]\naddopts = --cache-clear --lf\n"})
    fine = gate_report(review(root, diff_of(root, {"calc/ops.py": FILES["calc/ops.py"] + "# touched\n"})))
    assert fine.passed and fine.checked.startswith("3 test(s) ran from 2 file(s)"), fine
    broken = gate_report(review(root, diff_of(root, {"calc/ops.py": FILES["calc/ops.py"].replace("a + b", "a * b")})))
    assert not broken.passed and "test_ops_module" in broken.findings[0].message


def test_tests_of_a_file_the_base_could_not_collect_do_not_judge_the_change_but_its_new_tests_do(make_repo) -> None:
    """A 2016 iniconfig commit made its test file collect again and its old tests met a newer pytest; a 2023
    defusedxml commit let its file import without lxml and pytest collected the base class its own runner leaves
    out: both were blocked for tests that never ran on the base. A test the change adds to that file still judges
    it, and a repair whose tests pass is a plain pass."""
    root = make_repo(
        {
            "calc/__init__.py": "def add(a, b):\n    return a + b\n",
            "tests/test_calc.py": "from calc import add, sub\n\n\ndef test_add():\n    assert add(1, 2) == 3\n\n\n"
            "def test_sub():\n    assert sub(3, 1) == 1\n",
        }
    )
    repair = {"calc/__init__.py": "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n"}
    report = gate_report(review(root, diff_of(root, repair)))
    assert report.passed, report
    (said,) = report.findings
    assert said.rule == "tests.pre-existing-failure" and said.severity == "warning"
    assert said.message == (
        "1 test(s) already failed on the base: tests.test_calc::test_sub (1 of them in file(s) it could not collect)"
    )
    test = "from calc import add, sub\n\n\ndef test_add():\n    assert add(1, 2) == 3\n\n\ndef test_sub():\n"
    fixed = gate_report(
        review(root, diff_of(root, {**repair, "tests/test_calc.py": test + "    assert sub(3, 1) == 2\n"}))
    )
    assert fixed.passed and fixed.findings == [], fixed
    added = {
        **repair,
        "tests/test_calc.py": test + "    assert sub(3, 1) == 1\n\n\ndef test_neg():\n    assert sub(1, 2) == 1\n",
    }
    blocked = gate_report(review(root, diff_of(root, added)))
    assert not blocked.passed
    assert [(f.rule, f.message.split(" fails")[0]) for f in blocked.findings] == [
        ("tests.new-failure", "tests.test_calc::test_neg"),
        (
            "tests.pre-existing-failure",
            "1 test(s) already failed on the base: tests.test_calc::test_sub (1 of them in file(s) it could not collect)",
        ),
    ]


def test_a_selection_the_base_cannot_run_in_time_is_judged_by_its_failing_files(make_repo) -> None:
    """pipx's base run of the selected files ran past the timeout, and every failure of the change counted as new
    (a test setup that needs the network fails on every commit). The base runs the files of the failing tests
    alone; a failure they already had is pre-existing, and one they did not have is the change's."""
    slow = "import time\n\n\ndef wait():\n    time.sleep(60)\n"
    code = "def add(a, b):\n    return a - b\n"  # already wrong on the base
    root = make_repo(
        {
            "calc/__init__.py": "",
            "calc/ops.py": code,
            "calc/slow.py": slow,
            "tests/test_ops.py": "from calc.ops import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n",
            "tests/test_slow.py": "from calc.slow import wait\n\n\ndef test_wait():\n    wait()\n",
        }
    )
    fast = {"calc/slow.py": slow.replace("60", "0"), "calc/ops.py": '"""Sums."""\n' + code}
    settings = TestSettings(timeout=8)
    report = gate_report(review(root, diff_of(root, fast), tests=settings))
    assert report.passed and [f.rule for f in report.findings] == ["tests.pre-existing-failure"], report
    added = "\n\ndef test_double():\n    assert add(2, 2) == 4\n"
    broken = {
        **fast,
        "tests/test_ops.py": "from calc.ops import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n" + added,
    }
    report = gate_report(review(root, diff_of(root, broken), tests=settings))
    assert not report.passed, report
    assert [f.rule for f in report.findings] == ["tests.new-failure", "tests.pre-existing-failure"], report
    assert report.findings[0].message.startswith("tests.test_ops::test_double fails"), report


def test_a_moved_test_file_keeps_its_failures_on_the_base_and_a_break_it_then_finds_is_refused(make_repo) -> None:
    """ply's reorganization moved test/ to tests/; its test scripts already failed to collect there, and the moved
    ones were blocked as new failures, for the base was asked only for files at the new paths, which it lacks."""
    code = "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a + b\n"
    test = "from calc import add, sub\n\n\ndef test_add():\n    assert add(1, 2) == 3\n\n\ndef test_sub():\n"
    test += "    assert sub(3, 1) == 2\n"
    root = make_repo({"calc/__init__.py": code, "test/test_calc.py": test})
    moved = {"tests/test_calc.py": test, "calc/__init__.py": '"""Sums."""\n' + code}
    report = gate_report(review(root, diff_of(root, moved, delete=("test/test_calc.py",))))
    assert report.passed and [f.rule for f in report.findings] == ["tests.pre-existing-failure"], report
    assert "tests.test_calc::test_sub" in report.findings[0].message
    broken = {**moved, "calc/__init__.py": code.replace("a + b\n\n\ndef sub", "a - b\n\n\ndef sub")}
    report = gate_report(review(root, diff_of(root, broken, delete=("test/test_calc.py",))))
    assert not report.passed and [f.rule for f in report.findings if f.severity == "error"] == ["tests.new-failure"]
    assert report.findings[0].message.startswith("tests.test_calc::test_add fails"), report


def test_the_error_the_base_fails_with_is_the_same_error_in_another_worktree(make_repo) -> None:
    """LibCST's tests import its compiled parser, which a worktree lacks: every one fails on the base with ``cannot
    import name 'native' from 'libcst' (/tmp/.../libcst/__init__.py)``, and a commit's new test failed the same way,
    but in another worktree, so the message differed by its path and the commit was blocked. A break is still one."""
    root = make_repo(
        {
            "calc/__init__.py": "def add(a, b):\n    return a + b\n",
            "tests/test_native.py": "def test_native():\n    from calc import native\n\n    assert native\n",
            "tests/test_add.py": "from calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n",
        }
    )
    test = "def test_native():\n    from calc import native\n\n    assert native\n"
    added = test + "\n\ndef test_native_add():\n    from calc import native\n\n    assert native.add(1, 2) == 3\n"
    code = "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n"
    report = gate_report(review(root, diff_of(root, {"calc/__init__.py": code, "tests/test_native.py": added})))
    assert report.passed, report
    assert [f.rule for f in report.findings] == ["tests.fails-as-on-base", "tests.pre-existing-failure"]
    assert "(<worktree>/calc/__init__.py)" in report.findings[0].message
    broken = gate_report(review(root, diff_of(root, {"calc/__init__.py": code.replace("a + b", "a - b")})))
    assert not broken.passed and broken.findings[0].rule == "tests.new-failure"


def test_a_compiled_extension_built_in_your_tree_is_in_the_worktree_and_native_edits_are_said_unchecked(make_repo):
    """pipdeptree's ``_rust`` module and LibCST's native parser are built at install, into the installed package or
    the user's tree (in place), and no worktree has them: every test failed to import on the base and the change
    alike, and nothing was checked. The worktree gets the project's built modules; a break in its Python code is
    refused, and a change to the code they are compiled from is said to be unchecked. The standard library's
    ``_bisect`` stands for the project's module (its init function names it ``_bisect``)."""
    import _bisect

    module = Path(getattr(_bisect, "__file__", "") or "builtin")
    if module.suffix != ".so":
        pytest.skip("this Python has _bisect built in, not in a file of its own")
    ops = "from calc._bisect import bisect_right\n\n\ndef rank(items, x):\n    return bisect_right(items, x)\n"
    root = make_repo(
        {
            ".gitignore": "*.so\n",
            "calc/__init__.py": "",
            "calc/ops.py": ops,
            "calc/_bisect.c": "/* the extension's source */\n",
            "tests/test_ops.py": "from calc.ops import rank\n\n\ndef test_rank():\n    assert rank([1, 2, 3], 2) == 2\n",
        }
    )
    shutil.copyfile(module, root / "calc" / module.name)  # built in place, ignored by git
    docstring = gate_report(review(root, diff_of(root, {"calc/ops.py": '"""Ranks."""\n' + ops})))
    assert docstring.passed and not docstring.skipped and docstring.findings == [], docstring
    broken = gate_report(review(root, diff_of(root, {"calc/ops.py": ops.replace("items, x)\n", "items, x) + 1\n")})))
    assert not broken.passed and broken.findings[0].rule == "tests.new-failure"
    native = gate_report(review(root, diff_of(root, {"calc/_bisect.c": "/* faster */\n"})))
    assert native.passed and native.skipped, native  # "passed, but not checked"
    assert [f.rule for f in native.findings] == ["tests.native-not-rebuilt"], native
    # pipdeptree's "replace the Python engine with a Rust extension": the module its tests now import is the
    # change's compiled code, which no build here made; the same import without code to compile is a break
    rewrite = ops.replace("calc._bisect", "calc._fast")
    first = gate_report(review(root, diff_of(root, {"calc/ops.py": rewrite, "calc/_fast.rs": "// the engine\n"})))
    assert first.passed and first.skipped and {f.rule for f in first.findings} == {"tests.native-not-rebuilt"}, first
    assert all("No module named 'calc._fast'" in f.message for f in first.findings)
    typo = gate_report(review(root, diff_of(root, {"calc/ops.py": rewrite})))
    assert not typo.passed and typo.findings[0].rule == "tests.new-failure", typo


def test_a_fixture_the_change_takes_away_is_named_in_the_failure(make_repo) -> None:
    """pytest reports a missing fixture as where the test is written ("failed on setup with "file tests/test_db.py,
    line 4"): requests-mock's packaging change lost its pytest plugin, and its review said only that."""
    root = make_repo(
        {
            **FILES,
            "tests/conftest.py": "import pytest\n\n\n@pytest.fixture\ndef calc():\n    from calc import ops\n\n"
            "    return ops\n",
            "tests/test_fixture.py": "def test_add(calc):\n    assert calc.add(1, 2) == 3\n",
        }
    )
    diff = diff_of(root, {"tests/conftest.py": "import pytest\n"})
    report = gate_report(review(root, diff, tests=TestSettings(timeout=60)))
    failure = next(f for f in report.findings if f.rule == "tests.new-failure")
    assert failure.message == "tests.test_fixture::test_add fails: failed on setup with \"fixture 'calc' not found\""
