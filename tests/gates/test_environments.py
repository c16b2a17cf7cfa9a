"""The tests gate runs in the project's own environment, exercises the candidate, and never passes on zero tests.

The project here has its own ``.venv`` (a real ``python -m venv``) holding a
package, ``greetlib``, that patchgate's environment lacks, and an editable
install (a ``.pth`` line, as setuptools writes one) of the user's tree.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from core.errors import ConfigError
from tests.conftest import diff_of, git, review_as_configured, write_files
from tools import testing
from tools.environments import TestSettings, resolve_environment
from tools.gates import ReviewOptions, review

PYTEST_PARTS = ("pytest", "_pytest", "pluggy", "iniconfig", "packaging", "pygments", "py.py")
FILES = {
    "greeter/__init__.py": "",
    "greeter/core.py": "import greetlib\n\n\ndef greet(name):\n    return greetlib.hello(name)\n",
    "greeter/extra.py": "def shout(text):\n    return text.upper()\n",
    "tests/test_core.py": "from greeter.core import greet\n\n\ndef test_greet():\n    assert greet('ann') == 'hello ann'\n",
    ".gitignore": ".venv/\n",
}
TIMEOUT = {"timeout": 120}  # flag-like overrides of [tool.patchgate.tests]


def make_venv(root: Path) -> Path:
    """``root/.venv`` with pytest, greetlib, and the user's tree installed in editable mode."""
    venv = root / ".venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next((venv / "lib").glob("python3*/site-packages"))
    ours = Path(sysconfig.get_paths()["purelib"])
    for part in PYTEST_PARTS:  # copies, not links: the sandbox hides /tmp, where a checkout may keep its .venv
        if (ours / part).is_dir():
            shutil.copytree(ours / part, site / part)
        elif (ours / part).exists():
            shutil.copy2(ours / part, site / part)
    (site / "greetlib.py").write_text("def hello(name):\n    return 'hello ' + name\n")
    (site / "greetlib-1.0.dist-info").mkdir()
    (site / "greetlib-1.0.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: greetlib\nVersion: 1.0\n")
    (site / "__editable__.greeter.pth").write_text(f"{root}\n")
    return venv / "bin" / "python"


@pytest.fixture
def project(make_repo) -> Path:
    root = make_repo(FILES)
    make_venv(root)
    return root


def gate_of(result):
    return next(g for g in result.gates if g.name == "tests")


def errors(report) -> dict[str, str]:
    return {f.rule: f.message for f in report.findings if f.severity == "error"}


def test_a_good_change_runs_its_tests_in_the_project_venv(project: Path) -> None:
    diff = diff_of(
        project, {"greeter/core.py": "import greetlib\n\n\ndef greet(name):\n    return greetlib.hello(str(name))\n"}
    )
    result = review_as_configured(project, diff, tests=TIMEOUT)
    report = gate_of(result)
    assert result.passed, report
    assert report.detail == "1 passed in 1 file(s) (repository environment)"


def test_a_breaking_change_is_a_new_failure_although_the_editable_install_points_at_the_user_tree(project) -> None:
    diff = diff_of(project, {"greeter/core.py": "import greetlib\n\n\ndef greet(name):\n    return name\n"})
    report = gate_of(review_as_configured(project, diff, tests=TIMEOUT))
    assert not report.passed
    assert (
        "tests/test_core.py" in errors(report)["tests.new-failure"]
        or "test_greet" in errors(report)["tests.new-failure"]
    )


def test_without_the_project_env_the_review_says_why_no_test_ran_and_names_the_missing_module(make_repo) -> None:
    """The tests cannot run on the base either: not held against the change (issue 21), but never a silent pass."""
    root = make_repo(FILES)
    diff = diff_of(
        root, {"greeter/core.py": "import greetlib\n\n\ndef greet(name):\n    return greetlib.hello(str(name))\n"}
    )
    result = review_as_configured(root, diff, tests=TIMEOUT)
    report = gate_of(result)
    assert report.skipped and [f.severity for f in report.findings] == ["warning"]
    message = report.findings[0].message
    assert "No module named 'greetlib'" in message
    assert "[tool.patchgate.tests] python" in message and "--tests-env build" in message


def test_a_configured_python_is_used_and_a_missing_one_is_a_config_error(make_repo, tmp_path: Path) -> None:
    root = make_repo(FILES)
    python = make_venv(tmp_path / "elsewhere")
    diff = diff_of(
        root, {"greeter/core.py": "import greetlib\n\n\ndef greet(name):\n    return greetlib.hello(str(name))\n"}
    )
    (root / ".patchgate.toml").write_text(f'[tests]\npython = "{python}"\n')
    git(root, "add", ".patchgate.toml")
    git(root, "commit", "-qm", "config")  # test settings are read from the base commit
    report = gate_of(review_as_configured(root, diff, tests=TIMEOUT))
    assert report.passed and "configured environment" in report.detail, report
    with pytest.raises(ConfigError, match="not an executable interpreter"):
        resolve_environment(root, TestSettings(python=Path("no/such/python")))


def test_a_new_test_file_runs(project: Path) -> None:
    diff = diff_of(project, {"tests/test_new.py": "def test_new():\n    assert False\n"})
    report = gate_of(review_as_configured(project, diff, tests=TIMEOUT))
    assert not report.passed and "test_new" in errors(report)["tests.new-failure"]


def test_tests_of_a_renamed_module_run(make_repo) -> None:
    root = make_repo(
        {
            "calc.py": "def add(a, b):\n    return a + b\n",
            "tests/test_calc.py": "from calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n",
        }
    )
    git(root, "mv", "calc.py", "calc2.py")
    diff = git(root, "diff", "--cached", "-M")
    git(root, "reset", "-q", "--hard")
    report = gate_of(review_as_configured(root, diff, tests=TIMEOUT))
    assert not report.passed
    assert "No module named 'calc'" in errors(report)["tests.new-failure"]


def test_a_broken_import_without_related_tests_is_caught_by_the_import_check(project: Path) -> None:
    diff = diff_of(
        project,
        {
            "greeter/extra.py": "from collections.abc import Mapping, defaultdict\n\n\n"
            "def shout(text):\n    return text.upper()\n"
        },
    )
    report = gate_of(review_as_configured(project, diff, tests=TIMEOUT))
    assert not report.passed
    assert (
        "import greeter.extra fails: ImportError: cannot import name 'defaultdict'"
        in errors(report)["tests.import-error"]
    )
    fine = diff_of(project, {"greeter/extra.py": "def shout(text):\n    return text.upper() + '!'\n"})
    report = gate_of(review_as_configured(project, fine, tests=TIMEOUT))
    assert report.passed and "1 changed module(s) import" in report.detail, report


def test_with_tests_off_the_import_check_still_runs(project: Path) -> None:
    broken = diff_of(
        project, {"greeter/core.py": "from collections.abc import Mapping, defaultdict\nimport greetlib\n"}
    )
    report = gate_of(review(project, broken, options=ReviewOptions(tests="none")))
    assert not report.passed and report.detail.startswith("tests off")
    assert "cannot import name 'defaultdict'" in errors(report)["tests.import-error"]
    fine = diff_of(project, {"greeter/core.py": FILES["greeter/core.py"] + "\n# touched\n"})
    report = gate_of(review(project, fine, options=ReviewOptions(tests="none")))
    assert report.passed and report.detail == "tests off; import check: 1 changed module(s) import", report


# A module written for type checkers, not to run: it raises at import, wherever it lives.
RAISES = "from lib import asdict\n\nasdict({}, retain_collection_types=True)\n"
LIB = {"lib/__init__.py": "def asdict(obj):\n    return dict(obj)\n"}


def renamed(root: Path, moves: dict[str, str], files: dict[str, str] | None = None) -> str:
    """The diff (renames detected) that moves ``moves`` (old -> new path) and writes ``files``; the tree is reset."""
    for old, new in moves.items():
        (root / new).parent.mkdir(parents=True, exist_ok=True)
        git(root, "mv", old, new)
    write_files(root, files or {})
    git(root, "add", "-A")
    diff = git(root, "diff", "--cached", "-M")
    git(root, "reset", "-q", "--hard")
    git(root, "clean", "-qfd")
    return diff


def test_a_module_that_raised_in_a_script_folder_too_only_warns_when_moved_into_a_package(make_repo) -> None:
    """attrs' typing examples: not importable where they were, so the base's failure is the old file's, run."""
    root = make_repo({**LIB, "typing-examples/baseline.py": RAISES})
    diff = renamed(root, {"typing-examples/baseline.py": "typing_tests/baseline.py"}, {"typing_tests/__init__.py": ""})
    report = gate_of(review_as_configured(root, diff, tests=TIMEOUT))
    assert report.passed, report
    (warning,) = [f for f in report.findings if f.rule == "tests.import-error"]
    assert warning.severity == "warning"
    assert "typing_tests.baseline: TypeError: asdict() got an unexpected keyword argument" in warning.message


@pytest.mark.parametrize(
    ("raises", "said"),
    [
        (RAISES, "pkg.new: TypeError: asdict()"),
        # attrs' typing_tests/mypy.py raises a class of its own, which carries the module's name
        ("class Error2(Exception):\n    pass\n\n\nraise Error2(1)\n", "pkg.new: Error2: 1"),
    ],
)
def test_a_renamed_module_that_failed_the_same_way_under_its_old_name_only_warns(make_repo, raises, said) -> None:
    root = make_repo({**LIB, "pkg/__init__.py": "", "pkg/old.py": raises})
    report = gate_of(review_as_configured(root, renamed(root, {"pkg/old.py": "pkg/new.py"}), tests=TIMEOUT))
    assert report.passed, report
    assert [(f.rule, f.severity) for f in report.findings] == [("tests.import-error", "warning")]
    assert said in report.findings[0].message


def test_a_move_that_breaks_a_relative_import_is_an_error(make_repo) -> None:
    root = make_repo({"pkg/__init__.py": "", "pkg/b.py": "x = 1\n", "pkg/a.py": "from .b import x\n"})
    diff = renamed(root, {"pkg/a.py": "pkg/sub/a.py"}, {"pkg/sub/__init__.py": ""})
    report = gate_of(review_as_configured(root, diff, tests=TIMEOUT))
    assert not report.passed
    assert (
        "import pkg.sub.a fails: ModuleNotFoundError: No module named 'pkg.sub.b'"
        in (errors(report)["tests.import-error"])
    )


# parse_type's invoke tasks: a package whose imports are declared in tasks/py.requirements.txt, which no
# environment here installs; the change adds a helper module that its package imports first.
TASKS = {"tasks/__init__.py": "import invoke\n", "tasks/_compat.py": "import shutil\n"}
HELPER = {"tasks/_path.py": "from path import Path\n", "tasks/__init__.py": "from . import _path\nimport invoke\n"}


TASKS_IMPORT = {**TASKS, "tasks/__init__.py": "import shutil\n"}  # no invoke: the package imports on the base
DECLARED = {"tasks/py.requirements.txt": "invoke>=2  # the tasks\npath>=16\n"}


@pytest.mark.parametrize(
    ("base", "change", "said"),
    [
        (TASKS, HELPER, "invoke on the base, path on the change"),
        (TASKS_IMPORT, {**HELPER, **DECLARED}, "path, which tasks/py.requirements.txt declares"),
        # imported as yaml, declared as PyYAML: the file names a distribution the environment does not have
        (
            TASKS_IMPORT,
            {**HELPER, "tasks/_path.py": "import yaml\n", "tasks/requirements.txt": "greetlib\nPyYAML>=6\n"},
            "yaml, which tasks/requirements.txt may provide (PyYAML, not installed)",
        ),
        # a requirement file whose every distribution is installed does not excuse what the change cannot import
        (TASKS_IMPORT, {**HELPER, "tasks/requirements.txt": "greetlib\n"}, "import tasks._path fails"),
        # the package imported on the base, and nothing declares what the change needs: the change's, and missing
        (TASKS_IMPORT, HELPER, "import tasks._path fails: ModuleNotFoundError"),
        # the base lacked invoke, but what the change cannot import is a module of the project's own
        (
            TASKS,
            {"tasks/__init__.py": "import tasks._gone\nimport invoke\n"},
            "import tasks fails: ModuleNotFoundError: No module named 'tasks._gone'",
        ),
    ],
)
def test_a_module_that_no_environment_here_can_import_is_unchecked_not_broken(
    project: Path, base: dict[str, str], change: dict[str, str], said: str
) -> None:
    """Both sides lack a package the module imports, or the change needs one its package declares in a file of its
    own that nothing installs: the import says nothing of the change, and the review says the modules and the gate
    went unchecked (a warning, and how many imported) where it blocked parse_type's commit."""
    write_files(project, base)
    git(project, "add", "-A")
    git(project, "commit", "-qm", "tasks")
    report = gate_of(review_as_configured(project, diff_of(project, change), tests=TIMEOUT))
    if said.startswith("import "):
        assert not report.passed and said in errors(report)["tests.import-error"], report
        return
    assert report.passed and report.skipped, report  # "passed, but not checked": nothing executed the change
    (unchecked,) = report.findings
    assert unchecked.rule == "tests.import-unchecked" and unchecked.severity == "warning"
    assert unchecked.message == (
        f"2 changed module(s) not checked (tasks, tasks._path): the environment lacks packages they import ({said})"
    )
    assert report.detail == "no related tests; import check: 0 of 2 changed module(s) import"


@pytest.mark.parametrize("written_to", ["the user's tree", "the environment's site-packages"])
def test_the_version_file_the_build_writes_is_there_for_the_tests(make_repo, written_to: str) -> None:
    """platformdirs' hatch-vcs writes src/platformdirs/version.py at install, git ignores it, and the package
    imports it: a worktree lacks it, and every test failed to collect on both sides (nothing checked). It comes
    from where the build wrote it: the user's tree (an editable install) or the installed package."""
    scm = '[tool.setuptools_scm]\nwrite_to = "greeter/_version.py"\n'
    root = make_repo(
        {
            **FILES,
            "pyproject.toml": scm,
            ".gitignore": ".venv/\ngreeter/_version.py\n",
            "greeter/__init__.py": "from ._version import version as __version__\n",
        }
    )
    python = make_venv(root)
    where = root if written_to == "the user's tree" else next((python.parent.parent / "lib").glob("*/site-packages"))
    (where / "greeter").mkdir(exist_ok=True)
    (where / "greeter" / "_version.py").write_text("version = '1.2.3'\n")
    docstring = FILES["greeter/core.py"].replace("def greet(name):\n", 'def greet(name):\n    """Hello."""\n')
    report = gate_of(review_as_configured(root, diff_of(root, {"greeter/core.py": docstring}), tests=TIMEOUT))
    assert report.passed and report.detail == "1 passed in 1 file(s) (repository environment)", report
    assert git(root, "status", "--porcelain") == ""


def test_a_module_the_build_generates_is_there_for_the_tests_and_one_the_change_deletes_is_not(make_repo) -> None:
    """omegaconf's setup.py runs ANTLR into omegaconf/grammar/gen/, which git ignores, and the package imports it: a
    worktree lacks it, and every test failed to collect on both sides (nothing checked). The installed package's
    module is copied in. A module git tracks that the change deletes is the change's break, though the installed
    package still holds it."""
    root = make_repo(
        {
            **FILES,
            ".gitignore": ".venv/\ngreeter/gen/\n",
            "greeter/__init__.py": "from .gen.table import WORDS\n",
            "greeter/words.py": "HELLO = 'hello'\n",
            "tests/test_words.py": "from greeter.words import HELLO\n\n\ndef test_hello():\n    assert HELLO\n",
        }
    )
    site = next((make_venv(root).parent.parent / "lib").glob("*/site-packages"))
    generated = {"greeter/gen/__init__.py": "", "greeter/gen/table.py": "WORDS = ('hello',)\n"}
    write_files(site, {**generated, "greeter/words.py": "HELLO = 'hello'\n"})
    docstring = FILES["greeter/core.py"].replace("def greet(name):\n", 'def greet(name):\n    """Hello."""\n')
    report = gate_of(review_as_configured(root, diff_of(root, {"greeter/core.py": docstring}), tests=TIMEOUT))
    assert report.passed and report.detail == "1 passed in 1 file(s) (repository environment)", report
    deleted = gate_of(review_as_configured(root, diff_of(root, {}, delete=("greeter/words.py",)), tests=TIMEOUT))
    assert not deleted.passed and "No module named 'greeter.words'" in str(errors(deleted)), deleted
    assert git(root, "status", "--porcelain") == ""


def test_zero_tests_run_because_all_skipped_is_no_pass_but_not_checked(make_repo) -> None:
    """Skipped on the base too ("needs a GPU" on a machine without one), the tests judge nothing: the verdict says
    so ("passed, but not checked"), and no commit is refused for what the machine lacks; a change that makes tests
    skip which ran on the base is refused (tests/gates/test_tests_gate.py)."""
    root = make_repo(
        {
            "m.py": "X = 1\n",
            "tests/test_m.py": "import pytest\nfrom m import X\n\n\n"
            "@pytest.mark.skip(reason='needs a GPU')\ndef test_x():\n    assert X\n",
        }
    )
    report = gate_of(review_as_configured(root, diff_of(root, {"m.py": "X = 2\n"}), tests=TIMEOUT))
    assert report.passed and report.skipped, report
    (said,) = report.findings
    assert said.rule == "tests.base-broken" and said.severity == "warning" and "skipped (needs a GPU)" in said.message


def test_review_json_shows_which_environment_ran_the_tests(project: Path) -> None:
    diff = diff_of(
        project, {"greeter/core.py": "import greetlib\n\n\ndef greet(name):\n    return greetlib.hello(str(name))\n"}
    )
    result = review_as_configured(project, diff, tests=TIMEOUT)
    from tools.report import to_json

    gates = {g["name"]: g for g in json.loads(json.dumps(to_json(result)))["gates"]}
    assert "1 passed" in gates["tests"]["detail"] and "repository environment" in gates["tests"]["detail"]


BUILT = {
    "pyproject.toml": '[build-system]\nrequires = ["setuptools>=68"]\nbuild-backend = "setuptools.build_meta"\n\n'
    '[project]\nname = "greeter"\nversion = "0.1"\ndependencies = ["tomli-w"]\n\n'
    '[tool.setuptools]\npackages = ["greeter"]\n\n[tool.patchgate.tests]\nenv = "build"\n',
    "greeter/__init__.py": "",
    "greeter/core.py": "import tomli_w\n\n\ndef dump(name):\n    return tomli_w.dumps({'name': name})\n",
    "tests/test_core.py": "from greeter.core import dump\n\n\ndef test_dump():\n    assert dump('ann') == 'name = \"ann\"\\n'\n",
}


@pytest.mark.slow
def test_a_built_environment_is_made_once_per_dependency_hash_and_runs_the_candidate(make_repo, tmp_path, monkeypatch):
    """Needs the package registry (uv installs tomli-w, pytest and setuptools into a fresh venv). A change with
    nothing to run or import (a README) builds nothing: a hook's first docs commit waited minutes for it."""
    monkeypatch.setenv("PATCHGATE_CACHE", str(tmp_path / "cache"))
    root = make_repo(BUILT)
    readme = gate_of(review_as_configured(root, diff_of(root, {"README.md": "# greeter\n"}), tests=TIMEOUT))
    assert readme.passed and readme.detail == "no related tests" and not (tmp_path / "cache" / "envs").exists()
    good = diff_of(root, {"greeter/core.py": BUILT["greeter/core.py"] + "\n\nVERSION = 1\n"})
    report = gate_of(review_as_configured(root, good, tests=TIMEOUT))
    assert report.passed and report.detail == "1 passed in 1 file(s) (built environment)", report
    (key,) = (tmp_path / "cache" / "envs").iterdir()
    built_at = (key / "build.log").stat().st_mtime_ns
    # the project is installed (not editable) in that venv, yet the candidate in the worktree is what runs
    breaking = diff_of(root, {"greeter/core.py": BUILT["greeter/core.py"].replace("'name': name", "'nom': name")})
    report = gate_of(review_as_configured(root, breaking, tests=TIMEOUT))
    assert not report.passed and "test_dump" in errors(report)["tests.new-failure"]
    assert [p.name for p in (tmp_path / "cache" / "envs").iterdir()] == [key.name]
    assert (key / "build.log").stat().st_mtime_ns == built_at  # built once (its ready marker is touched on each use)
    assert git(root, "status", "--porcelain", "--ignored") == ""  # nothing was built in the user's tree


@pytest.mark.slow
def test_building_the_environment_runs_the_changes_setup_py_in_the_sandbox(make_repo, tmp_path, monkeypatch):
    """A change's setup.py runs when its environment is built: it may not write outside that environment."""
    monkeypatch.setenv("PATCHGATE_CACHE", str(tmp_path / "cache"))
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    root = make_repo({**BUILT, "setup.py": "from setuptools import setup\n\nsetup()\n"})
    outside, hook = tmp_path / "outside.txt", root / ".git" / "hooks" / "pre-commit"
    setup_py = (
        "from pathlib import Path\nfrom setuptools import setup\n\n"
        f"for target in ({str(outside)!r}, {str(hook)!r}, {str(home / '.bashrc')!r}):\n"
        "    try:\n        Path(target).write_text('owned')\n    except OSError:\n        pass\n\nsetup()\n"
    )
    hostile = diff_of(root, {"setup.py": setup_py})
    review_as_configured(root, hostile, tests=TIMEOUT)
    assert (tmp_path / "cache" / "envs").is_dir()  # the build ran
    assert not outside.exists() and not hook.exists() and list(home.iterdir()) == []


@pytest.mark.slow
def test_property_based_tests_draw_the_same_examples_in_every_run(make_repo, tmp_path, monkeypatch) -> None:
    """Hypothesis draws at random: python-fire's fuzz test drew ``'...'`` on a 2025 commit's run and not on its base's,
    and the commit was blocked for a parser bug older than it. Every run draws the same examples (one seed), so the
    base's and the candidate's runs meet the same inputs. Needs the package registry (hypothesis)."""
    from core.settings import resolve
    from tools.pytestrun import run_pytest

    monkeypatch.setenv("PATCHGATE_CACHE", str(tmp_path / "cache"))
    drawn = (
        "from hypothesis import given, settings, strategies as st\n\nDRAWN = []\n\n\n"
        "@settings(max_examples=20, database=None)\n@given(st.integers(10**6, 10**12))\n"
        "def test_draws(x):\n    DRAWN.append(x)\n\n\ndef test_what_was_drawn():\n    assert not DRAWN, sorted(DRAWN)\n"
    )
    pyproject = BUILT["pyproject.toml"].replace('dependencies = ["tomli-w"]', 'dependencies = ["hypothesis"]')
    root = make_repo({**BUILT, "pyproject.toml": pyproject, "tests/test_drawn.py": drawn})
    settings = resolve(root, tests=TIMEOUT).tests
    environment = resolve_environment(root, settings)
    messages = [
        run_pytest(root, ["tests/test_drawn.py"], 120, environment).failures["tests.test_drawn::test_what_was_drawn"][2]
        for _ in range(2)
    ]
    assert messages[0] == messages[1] and messages[0].count(",") >= 5, messages


def test_a_pytest_that_dies_at_import_on_the_base_too_judges_nothing(project: Path) -> None:
    """A 2021 jinja pins pytest 6.2, which raises at import on Python 3.11 (exit 1, no report): that is the
    environment's failure, said as a warning, not the docstring change's."""
    site = next((project / ".venv" / "lib").glob("python3*/site-packages"))
    (site / "pytest").rename(site / "pytest-real")
    (site / "pytest").mkdir()
    (site / "pytest" / "__init__.py").write_text("raise AttributeError('__spec__')\n")
    docstring = FILES["greeter/core.py"].replace("def greet(name):\n", 'def greet(name):\n    """Hello."""\n')
    report = gate_of(review_as_configured(project, diff_of(project, {"greeter/core.py": docstring}), tests=TIMEOUT))
    assert report.passed and report.skipped, report
    (finding,) = report.findings
    assert finding.rule == "tests.base-broken" and "AttributeError: __spec__" in finding.message


def test_an_environment_removed_under_the_review_is_the_harness_not_the_change(project, monkeypatch) -> None:
    """An environment removed while a 12-minute beartype review ran (its tests began on the change, then it was
    gone): "pytest could not run (exit 1): bwrap: execvp .../venv/bin/python: No such file or directory", the
    base's tests ran, and the commit was blocked. The sandbox could not start pytest: nothing is known of the
    tests, and a docstring fix is not blamed for it."""
    real, runs = testing.run_pytest, []

    def removed_for_the_change(tree: Path, *args: object, **named: object):
        runs.append(tree)
        if len(runs) > 1:
            return real(tree, *args, **named)
        (project / ".venv").rename(project / ".venv-gone")  # the change's run is the first
        try:
            return real(tree, *args, **named)
        finally:
            (project / ".venv-gone").rename(project / ".venv")

    monkeypatch.setattr(testing, "run_pytest", removed_for_the_change)
    docstring = FILES["greeter/core.py"].replace("def greet(name):\n", 'def greet(name):\n    """Hello."""\n')
    report = gate_of(review_as_configured(project, diff_of(project, {"greeter/core.py": docstring}), tests=TIMEOUT))
    assert report.passed and report.skipped, report
    (finding,) = report.findings
    assert finding.rule == "tests.not-started" and finding.severity == "warning"
    assert "the sandbox could not start pytest: bwrap: execvp" in finding.message


def test_a_plugin_option_pytest_cannot_read_is_named_when_the_tests_cannot_run(project: Path) -> None:
    """semver's addopts hold ``--cov=semver``; without pytest-cov pytest exits 4 and its last line is
    ``rootdir: ...``: the verdict names the option pytest refused."""
    (project / "pytest.ini").write_text("[pytest]\naddopts = --cov=greeter\n")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "coverage on")
    docstring = FILES["greeter/core.py"].replace("def greet(name):\n", 'def greet(name):\n    """Hello."""\n')
    report = gate_of(review_as_configured(project, diff_of(project, {"greeter/core.py": docstring}), tests=TIMEOUT))
    assert report.passed and report.skipped, report
    assert "pytest could not run (exit 4): error: unrecognized arguments: --cov=greeter" in report.findings[0].message


@pytest.mark.slow
@pytest.mark.parametrize(
    ("pinned", "said"),
    [("pytest==6.2.1\npy==1.10.0\n", "AttributeError"), ("pytest==5.4.3\n", 'required field "lineno" missing')],
)
def test_a_pinned_pytest_that_cannot_run_here_is_not_the_environment(make_repo, tmp_path, monkeypatch, pinned, said):
    """A 2021 jinja's requirements pin pytest 6.2.1 and py 1.10 (pip-compile), which install on Python 3.11 and
    raise AttributeError at import; parso's pytest<6 imports and fails its first assertion rewrite. That attempt
    does not count, and the next one (the project with an era-appropriate pytest) runs its tests. Needs the
    package registry."""
    monkeypatch.setenv("PATCHGATE_CACHE", str(tmp_path / "cache"))
    root = make_repo({**BUILT, "requirements/tests.txt": pinned})
    change = diff_of(root, {"greeter/core.py": BUILT["greeter/core.py"] + "\n\nVERSION = 1\n"})
    report = gate_of(review_as_configured(root, change, tests=TIMEOUT))
    assert report.passed and report.detail == "1 passed in 1 file(s) (built environment)", report
    (home,) = (tmp_path / "cache" / "envs").iterdir()
    log = (home / "build.log").read_text()
    (failed,) = [line for line in log.splitlines() if line.startswith("attempt 1 failed:")]
    assert "failed in the new environment" in failed and said in log


def test_a_pytest_plugin_that_keeps_state_in_the_cache_passes_the_check_that_pytest_runs(tmp_path: Path) -> None:
    """A 2024 inflect's test extra installs pytest-ruff, which keeps its state in the cache's stash; the check that
    a new environment's pytest runs turned the cache off, the plugin errored, and the attempt with the project was
    dropped for one without its dependencies (every test: No module named 'more_itertools'). jaraco.functools'
    pytest-mypy names items below the current folder, and the check ran its file from another one."""
    from tools.environments import PYTEST_WORKS

    python = make_venv(tmp_path / "project")
    site = next((tmp_path / "project" / ".venv" / "lib").glob("python3*/site-packages"))
    (site / "cacheplug.py").write_text(  # and, as pytest-mypy does, names each item below the current folder
        "def pytest_collection_modifyitems(config, items):\n    config.cache.set('cacheplug/seen', len(items))\n"
        "    [item.path.relative_to(config.invocation_params.dir) for item in items]\n"
    )
    info = site / "cacheplug-1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: cacheplug\nVersion: 1\n")
    (info / "entry_points.txt").write_text("[pytest11]\ncacheplug = cacheplug\n")
    done = subprocess.run([str(python), *PYTEST_WORKS], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "1 passed" in done.stdout, done.stdout[-2000:]
