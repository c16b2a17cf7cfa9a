"""What a built environment installs for a project's tests, as read from the project's own files: tox's settings
(deps, extras, dependency groups, comments, factors) and the extras, dependency groups and requirement files its
commands install."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import write_files
from tools.commandfiles import installed_extras, installed_groups, installed_requirement_files
from tools.hatchenvs import hatch_env_vars, hatch_pythonpath
from tools.noxsessions import nox_requirements
from tools.reqfiles import FROM_THE_INDEX, takes_from_urls, write_twins
from tools.testdeps import group_requirements
from tools.toxconfig import ToxNeeds, tox_requirements, tox_setenv


def test_tox_deps_from_two_sections_keep_each_requirement_file_after_its_flag(tmp_path: Path) -> None:
    """``[testenv]`` and this Python's section both name requirement files: each ``-r`` keeps its own file (the
    lines are made unique, not the words, or the second file lost its ``-r`` and became a package name)."""
    (tmp_path / "a.txt").write_text("tomli-w\n")
    (tmp_path / "b.txt").write_text("tomli\n")
    (tmp_path / "tox.ini").write_text(
        "[testenv]\ndeps =\n    -r a.txt\n    pytest\n\n[testenv:py{310,311,312}]\ndeps =\n    -r b.txt\n    pytest\n"
    )
    assert tox_requirements(tmp_path, "3.11").deps == ["-r", "a.txt", "pytest", "-r", "b.txt"]


def test_tox_deps_read_tox_s_path_separator(tmp_path: Path) -> None:
    """cheroot's tox.ini installs ``-rdependencies{/}tests.in`` (tox's ``{/}`` is the path separator), which holds the
    pytest-cov its addopts load: the file was not found, and pytest could not start on any commit."""
    (tmp_path / "dependencies").mkdir()
    (tmp_path / "dependencies" / "tests.in").write_text("pytest-cov\n")
    (tmp_path / "tox.ini").write_text("[testenv]\ndeps =\n    -rdependencies{/}tests.in\n")
    assert tox_requirements(tmp_path, "3.11").deps == ["-r", "dependencies/tests.in"]


def test_tox_deps_lose_their_comments_as_tox_reads_them(tmp_path: Path) -> None:
    """vulture's tox.ini lists ``pint  # Use latest version to catch API changes.`` beside pytest-cov: the comment
    went to uv as part of a requirement, uv refused it, and the environment was built without tox's deps, so its
    ``--cov`` addopts failed every review."""
    (tmp_path / "a.txt").write_text("tomli-w\n")
    (tmp_path / "tox.ini").write_text(
        "[testenv]\ndeps =\n    # the test tools\n    pytest-cov  # coverage\n    pint # latest\n"
        "    -r a.txt\t# pinned\n"
    )
    assert tox_requirements(tmp_path, "3.11").deps == ["pytest-cov", "pint", "-r", "a.txt"]


def test_tox_lines_under_a_factor_are_apart_and_those_for_another_python_are_left_out(tmp_path: Path) -> None:
    """authlib's tests of Django need the ``django`` dependency group its tox.ini installs under the ``django`` factor
    of its envs (``py311-django``): read apart, so a build can try them and go on without them where two factors
    conflict. A line for this Python holds; one for another Python, or under a negated factor, does not."""
    (tmp_path / "tox.ini").write_text(
        "[tox]\nrequires >= 4.22\n\n[testenv]\ndependency_groups =\n    dev\n    django: django\n"
        "deps =\n    pytest\n    py311: tomli-w\n    py38: tomli\n    {py310,py311}-sqla: sqlalchemy\n    !pypy: cffi\n"
        # django-simple-history's MySQL and MariaDB envs install one file: asked for once
        "    mysql: -rmysql.txt\n    mariadb: -rmysql.txt\n"
    )
    (tmp_path / "mysql.txt").write_text("mysqlclient\n")
    assert tox_requirements(tmp_path, "3.11") == ToxNeeds(
        deps=["pytest", "tomli-w"],
        groups=["dev"],
        factored=["sqlalchemy", "-r", "mysql.txt"],
        factored_groups=["django"],
    )


def test_tox_lines_for_factors_whose_envs_run_on_another_python_are_left_out(tmp_path: Path) -> None:
    """itemadapter's ``min-*`` envs run on Python 3.9 (``basepython = min-attrs,min-scrapy: python3.9``) and pin the
    oldest scrapy and attrs it supports, which fail to import on 3.11 (``inspect.ArgSpec``): installed as another
    factor's lines, they broke every test. Its ``pydantic1`` env's line, on any Python, stays apart."""
    (tmp_path / "tox.ini").write_text(
        "[testenv]\nbasepython =\n    min-attrs,min-scrapy: python3.9\n    new: py311\n"
        "deps =\n    pytest\n    min-attrs: attrs==20.1.0\n    min-scrapy,min-extra: scrapy==2.2\n"
        "    pydantic1: pydantic<2\n    new: tomli-w\n"
    )
    assert tox_requirements(tmp_path, "3.11") == ToxNeeds(
        deps=["pytest"], factored=["scrapy==2.2", "pydantic<2", "tomli-w"]
    )


def test_one_package_under_several_factors_is_named_once_bare(tmp_path: Path) -> None:
    """django-constance's envs each pin one Django (``dj42: django>=4.2,<4.3`` ... ``dj52``): no one install holds
    them all, so its environment was built without any, and every test failed for want of Django."""
    (tmp_path / "tox.ini").write_text(
        "[testenv]\ndeps =\n    redis\n    dj42: django>=4.2,<4.3\n    dj52: Django[argon2]>=5.2,<5.3\n"
        "    pytest: pytest-django\n    old: sqlalchemy<2\n"
    )
    assert tox_requirements(tmp_path, "3.11") == ToxNeeds(
        deps=["redis"], factored=["django[argon2]", "pytest-django", "sqlalchemy<2"]
    )


def test_the_project_s_own_extras_and_a_factor_s_reference_are_read(tmp_path: Path) -> None:
    """django-money's tox installs ``.[exchange]``, the extra that holds the certifi its exchange code needs, and its
    Django per factor through references (``django42: {[django]42}``): neither was read, and pytest could not start
    on any commit ("Please install dependency certifi")."""
    (tmp_path / "tox.ini").write_text(
        "[testenv]\ndeps =\n    .[exchange]\n    -e {toxinidir}[redis, test]\n    django42: {[django]42}\n"
        "    django52: {[django]52}\n\n[django]\n42 =\n    Django>=4.2,<4.3\n    djangorestframework\n"
        "52 =\n    Django>=5.2,<6.0\n"
    )
    assert tox_requirements(tmp_path, "3.11") == ToxNeeds(
        extras=["exchange", "redis", "test"], factored=["django", "djangorestframework"]
    )


def test_tox_s_variables_for_the_tests_are_its_plain_ones_and_those_for_sqlite(tmp_path: Path) -> None:
    """django-silk's settings use a PostgreSQL server unless tox's ``sqlite3`` factor sets ``DB_ENGINE=sqlite3``:
    none of its tests could run here. tox's plain variables and those under a factor named for SQLite, the one
    database the sandbox holds, are given to the tests; another database's, a value tox would substitute, and
    the variables Python, pytest and the sandbox read are not."""
    (tmp_path / "tox.ini").write_text(
        "[testenv]\nsetenv =\n    PYTHONPATH={toxinidir}\n    TZ = UTC\n    DATA={toxinidir}/data\n"
        "    COVERAGE_FILE={toxworkdir}/.coverage\n    PYTEST_ADDOPTS=-x\n    PATH=/opt\n"
        '    sqlite3: DB_ENGINE=sqlite3\n    sqlite3: DB_NAME=":memory:"\n    postgresql: DB_ENGINE=postgresql\n'
        "    !sqlite: DB_HOST=db\n"
    )
    found = tox_setenv(tmp_path)
    assert found == {"TZ": "UTC", "DATA": f"{tmp_path}/data", "DB_ENGINE": "sqlite3", "DB_NAME": ":memory:"}


@pytest.mark.parametrize(
    ("where", "line", "found"),
    [
        ("Makefile", "bootstrap:\n\tuv sync --extra dev --extra=redis", ["dev", "redis"]),
        (".github/workflows/ci.yml", '        run: python -m pip install -e ".[test, dev]" pytest', ["test", "dev"]),
        ("noxfile.py", '    session.install(".[testing]")', ["testing"]),
        ("noxfile.py", '    session.run_install("uv", "sync", "--extra", "test")', ["test"]),
        ("tox.ini", "commands_pre = uv run --extra test pytest", ["test"]),
        ("Makefile", "\tpip install -e .[docs]\n\tpip install -e .\n\techo .[dev]", []),
    ],
)
def test_the_extras_a_projects_commands_install_are_found(tmp_path: Path, where, line, found) -> None:
    """The project's own extras (``.[x]``, uv's ``--extra x``) on an install line; documentation's left out."""
    write_files(tmp_path, {where: line + "\n"})
    assert installed_extras(tmp_path) == found


@pytest.mark.parametrize(
    ("where", "line", "found"),
    [
        ("Makefile", "bootstrap:\n\tuv sync --group test --group=io", ["test", "io"]),
        ("noxfile.py", '    session.run_install("uv", "sync", "--group", "dev")', ["dev"]),
        (".github/workflows/ci.yml", "        run: pip install --group 'tests' -e .", ["tests"]),
        ("tox.ini", "[testenv]\ncommands =\n    pdm install -G test\n    pdm sync -dG=io", ["test", "io"]),
        ("noxfile.py", '    session.run_install("uv", "sync", "--only-group", "mypy", "--group", "docs")', []),
    ],
)
def test_the_dependency_groups_a_projects_commands_install_are_found(tmp_path: Path, where, line, found) -> None:
    """uv's and pip's ``--group x``, PDM's ``-G x``, on an install line; a lint session's ``--only-group`` and
    documentation's out."""
    write_files(tmp_path, {where: line + "\n"})
    assert installed_groups(tmp_path) == found


@pytest.mark.parametrize(
    ("where", "line", "found"),
    [
        (
            ".github/workflows/ci.yml",
            "        pip install -r tests/requirements.txt --editable .",
            ["tests/requirements.txt"],
        ),
        ("noxfile.py", '    session.install("-r", "dev-requirements.txt")', ["dev-requirements.txt"]),
        ("Makefile", "\tpython -m pip install -rrequirements/ci.txt", ["requirements/ci.txt"]),
        ("tox.ini", "commands_pre = uv pip install --requirement={toxinidir}/ci.txt", ["ci.txt"]),
        ("Makefile", "\tpip install -r docs/requirements.txt -r ../elsewhere.txt -r missing.txt", []),
        ("Makefile", "\tcat -r tests/requirements.txt", []),
    ],
)
def test_the_requirement_files_a_projects_commands_install_are_found(tmp_path: Path, where, line, found) -> None:
    write_files(
        tmp_path,
        {
            where: line + "\n",
            **{
                name: "tomli-w\n"
                for name in (
                    "tests/requirements.txt",
                    "dev-requirements.txt",
                    "requirements/ci.txt",
                    "ci.txt",
                    "docs/requirements.txt",
                )
            },
        },
    )
    (tmp_path.parent / "elsewhere.txt").write_text("x\n")
    assert installed_requirement_files(tmp_path) == found


def test_a_groups_requirements_are_spelled_out_as_a_package_index_serves_them() -> None:
    """urllib3's test group takes hypercorn from its fork on GitHub (``[tool.uv.sources]``), which only the network
    beyond the package index reaches: written out, the group installs hypercorn from the index, and a direct
    reference is left out; both are named as taken from elsewhere. Included groups come with the group."""
    pyproject = {
        "dependency-groups": {
            "test": ["hypercorn>=0.15", "trustme", "fork @ git+https://example.org/fork.git"],
            "dev": [{"include-group": "test"}, "coverage"],
            "broken": [{"include-group": "missing"}],
        },
        "tool": {
            "uv": {"sources": {"Hypercorn": {"git": "https://github.com/urllib3/hypercorn"}, "x": {"index": "i"}}}
        },
    }
    served, fetched = group_requirements(pyproject, "dev")
    assert served == ["hypercorn>=0.15", "trustme", "coverage"]
    assert fetched == ["hypercorn>=0.15", "fork @ git+https://example.org/fork.git"]
    assert group_requirements(pyproject, "broken") == group_requirements(pyproject, "absent") == ([], [])


def test_requirement_files_that_take_packages_from_urls_get_twins_that_take_them_by_name(tmp_path: Path) -> None:
    """A 2026 Box's test requirements take toon-format from a git URL: where only the package index is reachable,
    the whole file failed and its tests could not import. The twin beside it (and beside the file that includes
    it) takes the package by name, marker and extras kept; a local path and the files themselves stay as written,
    and an install marked ``FROM_THE_INDEX`` is the one given the twin."""
    write_files(
        tmp_path,
        {
            "requirements/test.txt": "-r base.txt\npytest  # the runner\n"
            "toon_format[fast] @ git+https://github.com/toon-format/toon-python.git ; python_version >= '3.8'\n",
            "requirements/base.txt": "git+https://example.org/x/attrs.git#egg=attrs\nlocal @ file:///opt/local\n"
            # django-crispy-forms' packs: a URL that names only its repository; and one of a tag, over ssh
            "git+https://github.com/django-crispy-forms/crispy-bootstrap3\n"
            "git+ssh://git@example.org/x/six.git@1.16.0  # pinned\nhttps://example.org/archive/main.tar.gz\n",
            "requirements/docs.txt": "sphinx\n",
        },
    )
    assert takes_from_urls(tmp_path, ["requirements/test.txt"])
    assert not takes_from_urls(tmp_path, ["requirements/docs.txt"])
    twins = write_twins(tmp_path, ["requirements/test.txt", "requirements/docs.txt"], [])
    assert twins.plain == {}
    assert twins.served == {tmp_path / "requirements/test.txt": "requirements/test.patchgate-index.txt"}
    served = (tmp_path / "requirements/test.patchgate-index.txt").read_text()
    assert served == '-r base.patchgate-index.txt\npytest  # the runner\ntoon_format[fast]; python_version >= "3.8"\n'
    served_base = (tmp_path / "requirements/base.patchgate-index.txt").read_text()
    assert (
        served_base
        == "attrs\nlocal @ file:///opt/local\ncrispy-bootstrap3\nsix\nhttps://example.org/archive/main.tar.gz\n"
    )
    assert "git+https" in (tmp_path / "requirements/test.txt").read_text()
    path = tmp_path / "requirements/test.txt"
    assert twins.given(("-r", "requirements/test.txt"), path, "requirements/test.txt") == "requirements/test.txt"
    marked = ("-r", "requirements/test.txt", FROM_THE_INDEX)
    assert twins.given(marked, path, "requirements/test.txt") == "requirements/test.patchgate-index.txt"


def test_the_packages_a_nox_test_session_installs_by_name_are_read(tmp_path: Path) -> None:
    """respx's test session installs its test dependencies from a list (``session.install("--upgrade", *deps)``),
    and pytest-cov among them, which its addopts need. What a session that runs no pytest installs (docs, lint),
    options, files after ``-r`` and the project itself are not read; the noxfile is never run. django-test-plus
    installs ``f"django~={django}"``, one session per Django: its Django, bare."""
    write_files(
        tmp_path,
        {
            "noxfile.py": "import nox\n\n\n@nox.session(python=['3.10', '3.11'])\ndef test(session):\n"
            "    deps = ['pytest', 'pytest-cov', 'trio>=0.22']\n    session.install('--upgrade', *deps)\n"
            "    session.install('-e', '.', '-r', 'requirements.txt', 'pytest')\n"
            "    session.install(f'django~={django}', f'{extra}==1')\n"
            "    session.run('python', '-m', 'pytest', *session.posargs)\n\n\n"
            "@nox.session\ndef docs(session):\n    session.install('mkdocs')\n    session.run('mkdocs', 'build')\n\n\n"
            "def helper(session):\n    session.install('black')\n    session.run('pytest')\n"
        },
    )
    assert nox_requirements(tmp_path) == ["pytest", "pytest-cov", "trio>=0.22", "django"]


def test_the_variables_hatch_s_test_environments_set_are_read(tmp_path: Path) -> None:
    """django-otp's default hatch environment puts ``test`` on ``PYTHONPATH`` and names its Django settings there;
    a lint environment's, the variables Python and the sandbox read, and hatch's own substitutions are not read."""
    write_files(
        tmp_path,
        {
            "pyproject.toml": '[tool.hatch.envs.default.env-vars]\nPYTHONPATH = "test"\n'
            'DJANGO_SETTINGS_MODULE = "test_project.settings"\nPATH = "/opt"\nSITE = "{root:uri}"\n\n'
            '[tool.hatch.envs.lint.env-vars]\nLINT = "1"\n',
            "test/test_project/settings.py": "",
        },
    )
    assert hatch_env_vars(tmp_path) == {"DJANGO_SETTINGS_MODULE": "test_project.settings"}
    assert hatch_pythonpath(tmp_path) == [(tmp_path / "test").resolve()]
