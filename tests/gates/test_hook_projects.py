"""The installed hook inside a real ``git commit`` on small real projects, as a developer uses it for an hour.

Each project is shaped like a case a user met: a break reached only through a package re-export, a project
without a ``.venv``, a person's commit that changes the settings and adds a module, tests parametrized by
their own path, and pytest's ``testpaths``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import diff_of, git, write_files
from tests.gates.test_hook import bare_env, head_count

ROOT = Path(__file__).resolve().parents[2]

FLASHY = {  # a flask-shaped package: the tests reach the helper only through ``import flashy``
    "src/flashy/__init__.py": "from .helpers import get_flashed_messages as get_flashed_messages\n",
    "src/flashy/helpers.py": (
        "def get_flashed_messages(with_categories=False):\n"
        '    """The messages flashed so far."""\n'
        '    messages = [("info", "hello")]\n'
        "    if not with_categories:\n"
        "        return [m for _, m in messages]\n"
        "    return messages\n\n\n"
        'def url_for(name):\n    return "/" + name\n'
    ),
    "tests/test_helpers.py": "from flashy.helpers import url_for\n\n\ndef test_url_for():\n"
    "    assert url_for('a') == '/a'\n",
    "tests/test_basic.py": "import flashy\n\n\ndef test_flashes():\n"
    "    assert flashy.get_flashed_messages() == ['hello']\n",
}


def run_cli(repo: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-P", "-m", "patchgate", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        env={**(env or os.environ), "PYTHONPATH": str(ROOT), "COLUMNS": "200"},
    )


def install(repo: Path, env: dict[str, str]) -> str:
    done = run_cli(repo, "install-hook", env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout


def commit(repo: Path, env: dict[str, str], message: str = "change") -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "commit", "-q", "-m", message], cwd=repo, env=env, capture_output=True, text=True)


def said(result: subprocess.CompletedProcess[str]) -> str:
    """Everything a hook printed (git sends a hook's stdout to stderr)."""
    return result.stdout + result.stderr


@pytest.fixture
def user_env(tmp_path: Path) -> dict[str, str]:
    """A developer's environment: their own config folder and cache, patchgate not on PATH."""
    return {**bare_env(), "PATCHGATE_CONFIG_DIR": str(tmp_path / "config"), "PATCHGATE_CACHE": str(tmp_path / "cache")}


@pytest.mark.slow
def test_a_break_reached_through_a_package_reexport_is_blocked(make_repo, user_env: dict[str, str]) -> None:
    repo = make_repo(FLASHY)
    install(repo, user_env)
    helpers = FLASHY["src/flashy/helpers.py"]
    write_files(repo, {"src/flashy/helpers.py": helpers.replace("if not with_categories:", "if with_categories:")})
    git(repo, "add", "-A")
    result = commit(repo, user_env)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "tests.new-failure" in output and "test_flashes" in output
    assert head_count(repo) == 1
    # the normal output names the files, how many tests ran and why each file was chosen
    git(repo, "reset", "-q", "--hard")
    write_files(
        repo,
        {
            "src/flashy/helpers.py": helpers.replace(
                '"""The messages flashed so far."""', '"""Messages flashed so far, oldest first."""'
            )
        },
    )
    git(repo, "add", "-A")
    result = commit(repo, user_env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 test(s) ran from 2 file(s)" in said(result)
    assert "tests/test_basic.py (imports flashy, which imports flashy.helpers (changed))" in said(result)


@pytest.mark.slow
def test_a_docstring_fix_commits_on_a_project_without_a_venv(make_repo, user_env: dict[str, str]) -> None:
    files = {
        "pyproject.toml": '[project]\nname = "greet"\nversion = "0.1"\n\n[build-system]\n'
        'requires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n\n'
        '[tool.setuptools]\npackages = ["greet"]\n',
        "greet/__init__.py": "def hello():\n    return 'hello'\n",
        "tests/test_greet.py": "from greet import hello\n\n\ndef test_hello():\n    assert hello() == 'hello'\n",
    }
    repo = make_repo(files)
    assert "built with uv on the first review" in install(repo, user_env)
    for number, doc in enumerate(("Say hello.", "Say hello, politely."), start=1):
        write_files(repo, {"greet/__init__.py": f'def hello():\n    """{doc}"""\n    return \'hello\'\n'})
        git(repo, "add", "-A")
        result = commit(repo, user_env, f"doc {number}")
        assert result.returncode == 0, result.stdout + result.stderr
        assert "in the built environment" in said(result)
        building = "building one with uv" in result.stderr
        assert building == (number == 1), result.stderr  # built once, then reused from the cache


@pytest.mark.slow
def test_a_venv_without_pytest_is_passed_over_and_the_tests_run(make_repo, user_env: dict[str, str]) -> None:
    """``uv sync`` installs the default groups (uv's default: ``dev``), not a ``tests`` group, and one that stopped
    half-way left jinja's .venv empty: no pytest, and every commit went in as "passed, but not checked: tests", a
    wrong filter among them. That .venv is passed over for an environment built from the project, and the hook
    says so when installed."""
    files = {
        "pyproject.toml": '[project]\nname = "shout"\nversion = "0.1"\n\n[dependency-groups]\n'
        'dev = ["tox"]\ntests = ["pytest"]\n\n[build-system]\nrequires = ["setuptools"]\n'
        'build-backend = "setuptools.build_meta"\n\n[tool.setuptools]\npackages = ["shout"]\n',
        "shout/__init__.py": "from .filters import upper as upper\n",
        "shout/filters.py": 'def upper(s):\n    """Upper case."""\n    return s.upper()\n',
        "tests/test_shout.py": "import shout\n\n\ndef test_upper():\n    assert shout.upper('a') == 'A'\n",
        ".gitignore": ".venv/\n",
    }
    repo = make_repo(files)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(repo / ".venv")], check=True)
    assert f"{repo / '.venv' / 'bin' / 'python'}: the repository's .venv/, has no pytest" in install(repo, user_env)
    write_files(repo, {"shout/filters.py": files["shout/filters.py"].replace("s.upper()", "s.lower()")})
    git(repo, "add", "-A")
    wrong = commit(repo, user_env, "lower")
    assert wrong.returncode != 0 and "tests.test_shout::test_upper fails" in said(wrong), said(wrong)
    assert "the repository's .venv/, has no pytest: building one with uv" in wrong.stderr
    write_files(repo, {"shout/filters.py": files["shout/filters.py"].replace("Upper case.", "Upper case, as str.")})
    git(repo, "add", "-A")
    right = commit(repo, user_env, "doc")
    assert right.returncode == 0 and "1 test(s) ran from 1 file(s) in the built environment" in said(right), said(right)


CONFIGURED = {
    ".patchgate.toml": '[review]\ntests = "related"\n',
    "app/__init__.py": "",
    "app/core.py": "def one():\n    return 1\n",
    "tests/test_core.py": "from app.core import one\n\n\ndef test_one():\n    assert one() == 1\n",
}
NEW_MODULE = {
    "app/extra.py": "def two():\n    return 2\n",
    "tests/test_extra.py": "from app.extra import two\n\n\ndef test_two():\n    assert two() == 2\n",
}


@pytest.mark.slow
def test_a_human_commit_changes_the_config_and_adds_a_module_without_no_verify(
    make_repo, user_env: dict[str, str]
) -> None:
    repo = make_repo(CONFIGURED)
    install(repo, user_env)
    write_files(
        repo,
        {
            **NEW_MODULE,
            "tool.py": "print('a root script of mine')\n",
            ".patchgate.toml": '[review]\ntests = "related"\nmax_files = 40\n',
        },
    )
    git(repo, "add", "-A")
    refused = commit(repo, user_env)
    assert refused.returncode != 0
    assert "patchgate trust --config" in refused.stdout + refused.stderr  # the way out is named, not --no-verify
    assert "only-new-files" not in said(refused) and "root-script" not in said(refused)
    approved = run_cli(repo, "trust", "--config", env=user_env)
    assert approved.returncode == 0 and "approved" in approved.stdout, approved.stderr
    result = commit(repo, user_env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert head_count(repo) == 2


def test_the_same_new_module_from_a_model_is_still_flagged(make_repo) -> None:
    from agent.gating import gate
    from core.settings import resolve

    repo = make_repo(CONFIGURED)
    diff = diff_of(repo, {"app/extra.py": NEW_MODULE["app/extra.py"]})
    result = gate(repo, diff, resolve(repo, base="HEAD"), targets=[])
    rules = {f.rule for g in result.gates for f in g.findings}
    assert "scope.only-new-files" in rules and not result.passed
    # the CLI says the same when told the patch is a model's (stdin carries the diff)
    as_model = subprocess.run(
        [sys.executable, "-P", "-m", "patchgate", "review", "--patch", "-", "--origin", "model", "--tests", "none"],
        cwd=repo,
        input=diff,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"},
    )
    assert as_model.returncode == 1 and "scope.only-new-files" in as_model.stdout
    as_human = subprocess.run(
        [sys.executable, "-P", "-m", "patchgate", "review", "--patch", "-", "--tests", "none"],
        cwd=repo,
        input=diff,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"},
    )
    assert as_human.returncode == 0, as_human.stdout + as_human.stderr


@pytest.mark.slow
def test_path_parametrized_tests_are_not_falsely_uncollected(make_repo, user_env: dict[str, str]) -> None:
    repo = make_repo(
        {
            "lib/__init__.py": "",
            "lib/paths.py": "def here(p):\n    return p\n",
            "tests/test_paths.py": "import os\n\nimport pytest\n\nfrom lib.paths import here\n\n\n"
            "@pytest.mark.parametrize('where', [os.path.dirname(__file__), __file__])\n"
            "def test_here(where):\n    assert here(where) == where\n",
        }
    )
    install(repo, user_env)
    write_files(repo, {"lib/paths.py": 'def here(p):\n    """The path itself."""\n    return p\n'})
    git(repo, "add", "-A")
    result = commit(repo, user_env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "tests.uncollected" not in said(result) and "2 test(s) ran" in said(result)


@pytest.mark.slow
def test_tests_all_honours_testpaths(make_repo) -> None:
    repo = make_repo(
        {
            "pyproject.toml": '[tool.pytest.ini_options]\ntestpaths = ["tests"]\n',
            "mini/__init__.py": "def f():\n    return 1\n",
            "tests/test_mini.py": "from mini import f\n\n\ndef test_f():\n    assert f() == 1\n",
            "examples/tutorial/tests/test_tutorial.py": "import tutorial_app_that_is_not_installed\n\n\n"
            "def test_app():\n    pass\n",
        }
    )
    diff = diff_of(repo, {"mini/__init__.py": 'def f():\n    """One."""\n    return 1\n'})
    done = subprocess.run(
        [sys.executable, "-P", "-m", "patchgate", "review", "--patch", "-", "--tests", "all"],
        cwd=repo,
        input=diff,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 test(s) ran from 1 file(s)" in done.stdout and "testpaths" in done.stdout
    assert "examples/" not in done.stdout


CLIENT = {"app/__init__.py": "", "app/client.py": "def connect(**options):\n    return options\n"}
SECRET_FORMS = {  # the three forms a hook once let through (issue 21)
    ".env": "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
    "app/settings.py": 'DATABASE_URL = "mysql://deploy:Zx9!pq2LmA@db.internal/prod"\n',
    "app/db.py": 'from app.client import connect\n\nconn = connect(host="db", user="app", password="hunter2-Prod-9x")\n',
}
LOOKALIKES = {  # what people commit every day next to them
    ".env.example": "AWS_SECRET_ACCESS_KEY=your-secret-key-here\n",
    "app/settings.py": 'import os\n\nUSER, PASSWORD = os.environ.get("DB_USER"), os.environ.get("DB_PASSWORD")\n'
    'DATABASE_URL = f"mysql://{USER}:{PASSWORD}@db/prod"\n',
    "app/db.py": 'import os\n\nfrom app.client import connect\n\nconn = connect(host="db", password=os.environ.get("DB_PASSWORD"))\n',
}


@pytest.mark.parametrize("path", sorted(SECRET_FORMS))
def test_a_commit_with_a_secret_is_blocked_and_the_secret_is_not_printed(
    make_repo, user_env: dict[str, str], path: str
) -> None:
    repo = make_repo(CLIENT)
    install(repo, user_env)
    write_files(repo, {path: SECRET_FORMS[path]})
    git(repo, "add", "-A")
    result = commit(repo, user_env)
    assert result.returncode != 0 and "security.secret" in said(result), said(result)
    assert not any(value in said(result) for value in ("EXAMPLEKEY", "Zx9!pq2LmA", "hunter2-Prod-9x"))
    assert head_count(repo) == 1


def test_the_everyday_lookalikes_of_those_secrets_commit(make_repo, user_env: dict[str, str]) -> None:
    repo = make_repo(CLIENT)
    install(repo, user_env)
    write_files(repo, LOOKALIKES)
    git(repo, "add", "-A")
    result = commit(repo, user_env)
    assert result.returncode == 0, said(result)
    assert head_count(repo) == 2
