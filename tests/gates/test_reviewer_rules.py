"""Reviewer rules for model patches (scope gate) and the security gate's view of moved lines and literals.

Each rule has the case where it must say no, and a near miss it must let through.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import diff_of, git
from tools.gates import ReviewOptions, review
from tools.policy import Policies

NO_TESTS = ReviewOptions(tests="none")
SCOPE = Policies().default.scope
BASE = {
    "setup.py": "from setuptools import setup\n\nsetup(name='app', install_requires=['requests'])\n",
    "pyproject.toml": '[project]\nname = "app"\ndependencies = ["requests"]\n\n[tool.black]\nline-length = 100\n',
    "app/__init__.py": "",
    "app/calc.py": "def add(a, b):\n    return a + b\n",
    "app/report.py": "def show(rows):\n    for row in rows:\n        print(row)\n",
    "app/store.py": "import pickle\n\n\ndef load(blob):\n    return pickle.loads(blob)  # patchgate: allow\n",
    "tests/__init__.py": "",
    "tests/test_calc.py": "from app.calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n",
    "scripts/tool.py": "print('hi')\n",
}
FIX = {"app/calc.py": "def add(a, b):\n    return b + a\n"}


@pytest.fixture
def repo(make_repo) -> Path:
    return make_repo(BASE)


def scope(repo: Path, files: dict[str, str], delete: tuple[str, ...] = ()):
    result = review(repo, diff_of(repo, files, delete), options=NO_TESTS)
    report = next(g for g in result.gates if g.name == "scope")
    return report, {(f.rule, f.severity) for f in report.findings}


@pytest.mark.parametrize(
    ("files", "rule"),
    [
        ({**FIX, "reproduce_bug.py": "from app.calc import add\nprint(add(1, 2))\n"}, "scope.scratch-file"),
        ({**FIX, "app/debug_issue.py": "X = 1\n"}, "scope.scratch-file"),
        ({**FIX, "check_fix.py": "import app\n"}, "scope.root-script"),
        ({**FIX, "test_module_1.py": "def test_x():\n    assert True\n"}, "scope.stray-test"),
        ({**FIX, "app/test_calc2.py": "def test_x():\n    assert True\n"}, "scope.stray-test"),
        ({**FIX, "build/lib/app/calc.py": "def add(a, b):\n    return b + a\n"}, "scope.build-output"),
        ({**FIX, "app/__pycache__/calc.cpython-311.pyc": "x"}, "scope.build-output"),
        ({**FIX, "app.egg-info/PKG-INFO": "Name: app\n"}, "scope.build-output"),
        ({"app/helpers.py": "def add2(a, b):\n    return a + b\n"}, "scope.only-new-files"),
        ({"app/calc.py": "def add(a, b):\n    print('Debug: a =', a)\n    return a + b\n"}, "scope.debug-statement"),
        ({"app/calc.py": "def add(a, b):\n    breakpoint()\n    return a + b\n"}, "scope.debug-statement"),
        (
            {"app/calc.py": "import pdb\n\n\ndef add(a, b):\n    pdb.set_trace()\n    return a + b\n"},
            "scope.debug-statement",
        ),
    ],
)
def test_reviewer_rule_rejects(repo: Path, files: dict[str, str], rule: str) -> None:
    report, found = scope(repo, files)
    assert not report.passed
    assert (rule, "error") in found


@pytest.mark.parametrize(
    "files",
    [
        FIX,
        {**FIX, "app/helpers.py": "def add2(a, b):\n    return a + b\n"},  # a new module beside a real change
        {**FIX, "tests/test_helpers.py": "def test_x():\n    assert True\n"},  # a new test where tests live
        {**FIX, "docs/changes/123.bugfix.rst": "Fixed add.\n"},
        {"scripts/tool.py": "print('hello')\n"},
        {**FIX, "app/calc.py": "def add(a, b):\n    # breakpoint()\n    return b + a\n"},  # a commented-out call
        {
            "tests/test_calc.py": BASE["tests/test_calc.py"]
            + "\n\ndef test_more():\n    print('x')\n    assert add(0, 0) == 0\n"
        },
    ],
)
def test_reviewer_rules_let_ordinary_changes_through(repo: Path, files: dict[str, str]) -> None:
    report, found = scope(repo, files)
    assert report.passed, found
    assert not found


def test_a_module_that_already_prints_may_print(repo: Path) -> None:
    from core.git import file_at, open_repo
    from tools.candidate import parse_diff
    from tools.scope import scope_gate

    read_base = lambda path: file_at(open_repo(repo), "HEAD", path)  # noqa: E731
    printing = parse_diff(
        diff_of(repo, {"app/report.py": BASE["app/report.py"] + "\n\ndef total(rows):\n    print(len(rows))\n"})
    )
    assert scope_gate(printing, NO_TESTS, SCOPE, read_base=read_base).passed
    quiet = parse_diff(diff_of(repo, {"app/calc.py": "def add(a, b):\n    print(a)\n    return a + b\n"}))
    assert not scope_gate(quiet, NO_TESTS, SCOPE, read_base=lambda p: '"""Use it:\n    print(add(1, 2))\n"""\n').passed
    assert not scope_gate(quiet, NO_TESTS, SCOPE, read_base=read_base).passed
    example = 'def add(a, b):\n    """Add.\n\n    print(add(1, 2))\n    """\n    return a + b\n'
    documented = parse_diff(diff_of(repo, {"app/calc.py": example}))
    assert scope_gate(documented, NO_TESTS, SCOPE, read_base=read_base, read_new=lambda p: example).passed


def test_dependency_tables_of_pyproject_warn(repo: Path) -> None:
    from core.git import file_at, open_repo
    from tools.candidate import parse_diff
    from tools.scope import scope_gate

    def findings(new: str) -> set[tuple[str, str]]:
        candidate = parse_diff(diff_of(repo, {**FIX, "pyproject.toml": new}))
        report = scope_gate(
            candidate, NO_TESTS, SCOPE, read_base=lambda p: file_at(open_repo(repo), "HEAD", p), read_new=lambda p: new
        )
        return {(f.rule, f.severity) for f in report.findings}

    assert findings(BASE["pyproject.toml"].replace('["requests"]', '["requests<2.30"]')) == {
        ("scope.packaging", "warning")
    }
    assert findings(BASE["pyproject.toml"].replace("100", "120")) == set()


def test_packaging_files_warn(repo: Path) -> None:
    report, found = scope(repo, {**FIX, "setup.py": BASE["setup.py"].replace("'requests'", "'requests<2.30'")})
    assert report.passed and ("scope.packaging", "warning") in found


def test_binary_change_without_data_is_build_output(repo: Path) -> None:
    diff = diff_of(repo, FIX) + (
        "diff --git a/app/_speedups.so b/app/_speedups.so\nnew file mode 100644\n"
        "index 0000000..1234567\nBinary files /dev/null and b/app/_speedups.so differ\n"
    )
    result = review(repo, diff, options=NO_TESTS)
    found = {f.rule for g in result.gates for f in g.findings}
    assert not result.passed and "scope.build-output" in found


def test_added_skip_counts_only_for_existing_tests(repo: Path) -> None:
    new_file = {
        **FIX,
        "tests/test_new.py": "import pytest\n\n\n@pytest.mark.skip(reason='later')\ndef test_x():\n    pass\n",
    }
    report, found = scope(repo, new_file)
    assert report.passed, found
    skipped = {
        "tests/test_calc.py": BASE["tests/test_calc.py"].replace("def test_add", "@pytest.mark.skip\ndef test_add")
    }
    report, found = scope(repo, skipped)
    assert ("scope.added-skip", "error") in found


def test_policy_dir_relaxes_a_rule(repo: Path, tmp_path: Path) -> None:
    import yaml

    from core.secrets import POLICY_DIR

    policy = yaml.safe_load((POLICY_DIR / "default.yaml").read_text())
    policy["scope"]["reviewer"]["root_script"]["allowed"].append("check_*.py")
    (tmp_path / "default.yaml").write_text(yaml.safe_dump(policy))
    diff = diff_of(repo, {**FIX, "check_fix.py": "import app\n"})
    assert review(repo, diff, options=ReviewOptions(tests="none", policy_dir=tmp_path)).passed


def security(repo: Path, files: dict[str, str]):
    result = review(repo, diff_of(repo, files), options=NO_TESTS)
    report = next(g for g in result.gates if g.name == "security")
    return report, {(f.rule, f.severity) for f in report.findings}


def test_moved_code_is_not_new_code(make_repo) -> None:
    root = make_repo(
        {"app/__init__.py": "", "app/a.py": "def run(expr):\n    return eval(expr)  # old\n", "app/b.py": "X = 1\n"}
    )
    git(root, "config", "user.name", "t")
    report, found = security(
        root, {"app/a.py": "", "app/b.py": "X = 1\n\n\ndef run(expr):\n    return eval(expr)  # old\n"}
    )
    assert report.passed and not found
    report, found = security(root, {"app/b.py": "X = 1\n\n\ndef run2(expr):\n    return eval(expr)\n"})
    assert ("security.eval-input", "error") in found  # really new: still an error


def test_pickle_and_eval_of_literals_only_warn(repo: Path) -> None:
    report, found = security(
        repo,
        {"app/calc.py": BASE["app/calc.py"] + "\n\nimport pickle\n\n\nDEFAULT = pickle.loads(b'\\x80\\x04K\\x01.')\n"},
    )
    assert report.passed and found == {("security.pickle-loads", "warning")}
    report, found = security(
        repo,
        {"app/calc.py": BASE["app/calc.py"] + "\n\ndef f(data):\n    import pickle\n    return pickle.loads(data)\n"},
    )
    assert ("security.pickle-loads", "error") in found
