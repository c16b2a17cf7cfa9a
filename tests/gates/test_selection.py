"""Which test files a change selects: the import graph through package re-exports, conftest files, and
pytest's own idea of what a test file is (testpaths, python_files)."""

from __future__ import annotations

import pytest

from tests.conftest import diff_of, git, write_files
from tools.candidate import parse_diff
from tools.options import ReviewOptions
from tools.policy import Policies
from tools.pytestconfig import read_pytest_config
from tools.selection import select_tests
from tools.unittestdiscovery import commands

GLOBS = Policies().default.scope.tests.paths
PACKAGE = {
    "src/shop/__init__.py": "from .cart import Cart\nfrom . import prices\n",
    "src/shop/cart.py": "from .prices import price\n\n\nclass Cart:\n    def total(self):\n        return price(1)\n",
    "src/shop/prices.py": "def price(n):\n    return n * 2\n",
    "src/shop/report.py": "def report():\n    return 'r'\n",
    "tests/test_cart.py": "from shop import Cart\n\n\ndef test_total():\n    assert Cart().total() == 2\n",
    "tests/test_pkg.py": "import shop\n\n\ndef test_prices():\n    assert shop.prices.price(2) == 4\n",
    "tests/test_report.py": "from shop.report import report\n\n\ndef test_report():\n    assert report() == 'r'\n",
    "tests/sub/conftest.py": "import pytest\nfrom shop.prices import price\n\n\n@pytest.fixture\ndef two():\n"
    "    return price(1)\n",
    "tests/sub/test_fixture_user.py": "def test_two(two):\n    assert two == 2\n",
}


def selected(root, files: dict[str, str], mode: str = "related"):
    return select_tests(root, parse_diff(diff_of(root, files)), ReviewOptions(tests=mode), GLOBS)


def test_a_change_reaches_tests_through_package_reexports_and_conftest(make_repo) -> None:
    root = make_repo(PACKAGE)
    selection = selected(root, {"src/shop/prices.py": "def price(n):\n    return n * 3\n"})
    assert selection.files == ["tests/sub/test_fixture_user.py", "tests/test_cart.py", "tests/test_pkg.py"]
    assert selection.reasons["tests/test_cart.py"] == "imports shop, which imports shop.prices (changed)"
    assert selection.reasons["tests/sub/test_fixture_user.py"] == "its tests/sub/conftest.py reaches the change"
    # a module nothing re-exports selects only its own importers
    assert selected(root, {"src/shop/report.py": "def report():\n    return 's'\n"}).files == ["tests/test_report.py"]


def test_pytest_configuration_decides_what_a_test_file_is(make_repo) -> None:
    root = make_repo(
        {
            "setup.cfg": "[tool:pytest]\ntestpaths = checks\npython_files = check_*.py\n",
            "lib.py": "X = 1\n",
            "checks/check_lib.py": "import lib\n\n\ndef test_x():\n    assert lib.X == 1\n",
            "examples/test_example.py": "import lib\n",
            "checks/test_not_a_check.py": "import lib\n",
        }
    )
    config = read_pytest_config(root)
    assert config.testpaths == ("checks",) and config.source == "setup.cfg"
    assert selected(root, {"lib.py": "X = 2\n"}, "all").files == ["checks/check_lib.py"]
    assert selected(root, {"lib.py": "X = 2\n"}).files == ["checks/check_lib.py"]


def test_a_python_files_pattern_with_a_folder_matches_the_path_as_pytest_does(make_repo) -> None:
    """alembic sets ``python_files = "tests/test_*.py"``: pytest matches a pattern holding a ``/`` against the path's
    end, not the file name, so its tests are tests (before: none was, and no commit of it selected a test)."""
    root = make_repo(
        {
            "pyproject.toml": '[tool.pytest.ini_options]\npython_files = "tests/test_*.py"\n',
            "lib.py": "X = 1\n",
            "tests/test_lib.py": "import lib\n\n\ndef test_x():\n    assert lib.X == 1\n",
            "tests/deep/tests/test_deeper.py": "import lib\n",
            "examples/test_example.py": "import lib\n",
        }
    )
    expected = ["tests/deep/tests/test_deeper.py", "tests/test_lib.py"]
    assert selected(root, {"lib.py": "X = 2\n"}).files == expected


def test_pytest_9_native_table_decides_too(make_repo) -> None:
    """`[tool.pytest]` (pytest 9, TOML's own types) is read like `[tool.pytest.ini_options]`: flask's examples
    stay out of `--tests all`."""
    root = make_repo(
        {
            "pyproject.toml": '[project]\nname = "lib"\n\n[tool.pytest]\ntestpaths = ["tests"]\n',
            "lib.py": "X = 1\n",
            "tests/test_lib.py": "import lib\n\n\ndef test_x():\n    assert lib.X == 1\n",
            "examples/test_example.py": "import lib\n",
        }
    )
    assert read_pytest_config(root).testpaths == ("tests",)
    assert selected(root, {"lib.py": "X = 2\n"}, "all").files == ["tests/test_lib.py"]


def test_a_reason_names_modules_as_python_imports_them(make_repo) -> None:
    """Under src/, werkzeug.test's relative import of .sansio.multipart read 'which imports
    src.werkzeug.sansio.multipart': the graph knows the file by both names, a person by one."""
    root = make_repo(
        {
            "src/web/__init__.py": "",
            "src/web/multipart.py": "def parse(data):\n    return data.split(b'--')\n",
            "src/web/test.py": "from .multipart import parse\n\n\ndef client(data):\n    return parse(data)\n",
            "tests/test_client.py": "from web.test import client\n\n\ndef test_client():\n    assert client(b'a')\n",
        }
    )
    selection = selected(root, {"src/web/multipart.py": "def parse(data):\n    return data.split(b'-')\n"})
    assert selection.reasons["tests/test_client.py"] == "imports web.test, which imports web.multipart (changed)"


UNITTEST_PROJECT = {
    "pyproject.toml": '[project]\nname = "pages"\n\n[tool.hatch.envs.test.scripts]\n'
    "test = 'python -m unittest discover -s pages -p \"*tests.py\"'\n",
    "pages/__init__.py": "",
    "pages/build.py": "def build():\n    return 'ok'\n",
    "pages/tests/__init__.py": "",
    "pages/tests/base.py": "import unittest\n\n\nclass Case(unittest.TestCase):\n    pass\n",
    "pages/tests/build_tests.py": "from pages.build import build\nfrom pages.tests.base import Case\n\n\n"
    "class BuildTests(Case):\n    def test_build(self):\n        self.assertEqual(build(), 'ok')\n",
}


def test_a_project_that_runs_unittest_discovery_has_its_tests_selected(make_repo) -> None:
    """mkdocs runs ``python -m unittest discover -s mkdocs -p "*tests.py"`` and configures no pytest: its
    ``*tests.py`` files are its tests, and a change to the code they import selects them."""
    root = make_repo(UNITTEST_PROJECT)
    change = {"pages/build.py": "def build():\n    return 'ok'  # same\n"}
    assert selected(root, change).files == ["pages/tests/build_tests.py"]
    everything = selected(root, change, "all")
    assert everything.files == ["pages/tests/build_tests.py"]  # base.py is no test: the pattern does not name it
    assert everything.reasons["pages/tests/build_tests.py"] == (
        "every test file under pages (the test command in pyproject.toml)"
    )
    # once the project configures pytest, pytest's rules decide: its default names none of these files
    configured = make_repo({**UNITTEST_PROJECT, "pytest.ini": "[pytest]\n"}, name="configured")
    assert selected(configured, change).files == []


PYTEST_DEFAULTS = [("", "test_*.py"), ("", "*_test.py")]  # beside a file named to pytest: the whole tree's tests


@pytest.mark.parametrize(
    ("line", "found"),
    [
        ("test = 'python -m unittest discover -s mkdocs -p \"*tests.py\"'", [("mkdocs", "*tests.py")]),
        ("    coverage run --source=markdown -m unittest discover {toxinidir}/tests", [("tests", "test*.py")]),
        ("  - run: python -m unittest discover tests '*_check.py' && echo done", [("tests", "*_check.py")]),
        ("commands = python -m unittest {posargs}", [("", "test*.py")]),
        ("\tpython -m unittest tests.test_one", [("tests", "test_one.py"), *PYTEST_DEFAULTS]),  # the module it names
        ("python -m unittest tests.test_one.TestOne", []),  # a class: not told apart from a module
        ("python -m unittest discover -s ../elsewhere", []),  # never outside the tree
        ("  - run: python tests/test.py -v", [("tests", "test.py"), *PYTEST_DEFAULTS]),  # decorator's test script
        ("python setup.py test", []),
        # python-slugify's CI and tox: its tests are unittest classes in test.py
        ("        coverage run --source=slugify test.py", [("", "test.py"), *PYTEST_DEFAULTS]),
        ("commands = coverage run -m pytest test.py", [("", "test.py"), *PYTEST_DEFAULTS]),
        ("python -W error -m pytest tests/test_a.py::TestA -q", [("tests", "test_a.py"), *PYTEST_DEFAULTS]),
        ("pip install pytest test-tools", []),
        ("coverage report --include=test.py", []),
    ],
)
def test_the_unittest_run_is_read_from_the_command_as_a_shell_would_split_it(line: str, found: list) -> None:
    assert commands(line) == found


def test_testpaths_that_name_nothing_in_the_tree_mean_the_whole_tree_as_pytest_reads_them(make_repo) -> None:
    """wheel sets ``testpaths = ["test"]`` and keeps its tests in ``tests/``: pytest finds nothing there and
    searches the rootdir; every review here selected no test."""
    files = {**PACKAGE, "pyproject.toml": '[tool.pytest.ini_options]\ntestpaths = ["test"]\n'}
    root = make_repo(files)
    change = {"src/shop/report.py": "def report():\n    return 's'\n"}
    assert selected(root, change).files == ["tests/test_report.py"]
    # an entry that names a folder of the tree still narrows the search
    narrowed = make_repo({**files, "pyproject.toml": '[tool.pytest.ini_options]\ntestpaths = ["tests/sub"]\n'}, "b")
    assert selected(narrowed, change).files == []


def test_a_file_named_to_pytest_narrows_nothing_else(make_repo) -> None:
    """A project that configures no pytest and runs ``pytest tests/unit/test_fast.py`` in one command: that file is
    a test, and so are the project's other tests by pytest's default names (they were left out, the named file's
    folder read as the only place tests live)."""
    root = make_repo(
        {
            "tox.ini": "[testenv:fast]\ncommands = pytest tests/unit/test_fast.py\n",
            "slug.py": "def slug(text):\n    return text.lower()\n",
            "tests/unit/test_fast.py": "from slug import slug\n",
            "tests/integration/test_slow.py": "from slug import slug\n",
        }
    )
    change = {"slug.py": "def slug(text):\n    return text.casefold()\n"}
    assert selected(root, change).files == ["tests/integration/test_slow.py", "tests/unit/test_fast.py"]


def test_a_script_a_command_runs_by_name_narrows_nothing_else(make_repo) -> None:
    """autoflake's CI runs ``python test_fuzz.py ./*.py`` (a fuzzer) and ``pytest``: test_fuzz.py was read as its
    one test module, so test_autoflake.py, where its tests are, was never selected and every review said that
    pytest collected nothing."""
    root = make_repo(
        {
            ".github/workflows/main.yaml": "jobs:\n  t:\n    steps:\n      - run: pytest\n"
            "      - run: python test_fuzz.py ./*.py\n",
            "flake.py": "def strip(text):\n    return text.strip()\n",
            "test_flake.py": "import unittest\n\nfrom flake import strip\n\n\nclass T(unittest.TestCase):\n"
            "    def test_strip(self):\n        self.assertEqual(strip(' a '), 'a')\n",
            "test_fuzz.py": "import sys\n\nimport flake\n\nif __name__ == '__main__':\n    flake.strip(sys.argv[1])\n",
        }
    )
    change = {"flake.py": "def strip(text):\n    return text.strip(' ')\n"}
    assert selected(root, change).files == ["test_flake.py", "test_fuzz.py"]


@pytest.mark.parametrize("name", ["makefile", ".travis.yml"])
def test_a_test_script_run_from_a_lowercase_makefile_or_travis_is_a_test(make_repo, name: str) -> None:
    """python-json-pointer's only tests are ``tests.py``, which its ``makefile`` (make reads it as it reads a
    ``Makefile``) and its ``.travis.yml`` run as a script: no review of its changes selected them."""
    command = "test:\n\tpython tests.py\n" if name == "makefile" else "script:\n- coverage run tests.py\n"
    root = make_repo(
        {
            name: command,
            "pointer.py": "def resolve(doc, path):\n    return doc[path]\n",
            "tests.py": "import unittest\n\nfrom pointer import resolve\n\n\nclass T(unittest.TestCase):\n"
            "    def test_resolve(self):\n        self.assertEqual(resolve({'a': 1}, 'a'), 1)\n",
        }
    )
    change = {"pointer.py": "def resolve(doc, path):\n    return doc.get(path)\n"}
    assert selected(root, change).files == ["tests.py"]


def test_a_module_its_package_loads_by_name_selects_the_tests_of_the_package(make_repo) -> None:
    """unidecode loads its tables (``unidecode/x001.py``) with ``__import__`` by name: a fix to one selected no
    test, though every test of the package runs it. A changed module that no file imports now selects the tests
    that import its package or one above it, saying so; a new module that nothing uses yet selects none, and a module some file
    imports keeps its importers only."""
    root = make_repo(
        {
            "tables/__init__.py": "import importlib\n\n\ndef lookup(n):\n"
            "    return importlib.import_module(f'tables.data.x{n:03d}').DATA\n",
            "tables/data/__init__.py": "",
            "tables/data/x001.py": "DATA = 'a'\n",
            "tables/names.py": "NAMES = ['a']\n",
            "tests/test_lookup.py": "from tables import lookup\n\n\ndef test_lookup():\n    assert lookup(1) == 'a'\n",
            "tests/test_names.py": "from tables.names import NAMES\n\n\ndef test_names():\n    assert NAMES\n",
            "tests/test_alone.py": "def test_alone():\n    assert True\n",
        }
    )
    selection = selected(root, {"tables/data/x001.py": "DATA = 'b'\n"})
    assert selection.files == ["tests/test_lookup.py"]
    assert selection.reasons["tests/test_lookup.py"] == (
        "imports tables (its tables.data.x001 changed, which no module imports but by name)"
    )
    assert selected(root, {"tables/data/x002.py": "DATA = 'c'\n"}).files == []
    assert selected(root, {"tables/names.py": "NAMES = ['b']\n"}).files == ["tests/test_names.py"]


EXAMPLE_APP = {
    "dyn.py": "def load():\n    return 1\n",
    "tests/__init__.py": "",
    "tests/conftest.py": "",
    "tests/test_dyn.py": "from dyn import load\n\n\ndef test_load():\n    assert load() == 1\n",
    "examples/app/tests/__init__.py": "",
    "examples/app/tests/conftest.py": "",
    "examples/app/tests/test_app.py": "from dyn import load\n\n\ndef test_app():\n    assert load()\n",
}


@pytest.mark.parametrize(
    ("commands", "found"),
    [
        # dynaconf's tox and Makefile: the example apps' tests (and their tests/conftest.py, which pytest refuses
        # beside tests/conftest.py) are run by a script of their own, never by pytest
        (
            {
                "tox.ini": '[testenv]\ncommands = py.test -m "not integration" --cov-config tox.ini -l tests/ {posargs}\n',
                "Makefile": "test:\n\tpy.test -v --maxfail=1 tests/\nwatch:\n\tls | entr py.test -sx $(ARGS)\n",
            },
            ["tests/test_dyn.py"],
        ),
        # tox's default arguments (parsel's ``{posargs:docs parsel tests}``), the project's folders among them
        (
            {"tox.ini": "[testenv]\ncommands = py.test --cov=dyn {posargs:dyn tests examples/app}\n"},
            ["examples/app/tests/test_app.py", "tests/test_dyn.py"],
        ),
        # a run of the whole tree, beside one of a folder, narrows nothing
        (
            {"Makefile": "test:\n\tpytest tests\n", ".github/workflows/ci.yml": "steps:\n  - run: python -m pytest\n"},
            ["examples/app/tests/test_app.py", "tests/test_dyn.py"],
        ),
        # nor one whose arguments cannot be told (pydicom's workflow: ``python -m pytest ${{ env.PYTEST_ARGS }}``)
        (
            {".github/workflows/ci.yml": "steps:\n  - run: python -m pytest ${{ env.ARGS }}\n  - run: pytest tests\n"},
            ["examples/app/tests/test_app.py", "tests/test_dyn.py"],
        ),
        # nor a comment's "via 'pytest' ... tests", nor a run in another folder, nor an option's value
        (
            {
                "Makefile": "# run unittests via 'pytest' and update tests\ncheck:\n\tcd examples && pytest app\n",
                "tox.ini": "[testenv]\ncommands = pytest --ignore tests {posargs}\n",
            },
            ["examples/app/tests/test_app.py", "tests/test_dyn.py"],
        ),
    ],
)
def test_the_folders_a_projects_pytest_runs_are_given_are_where_its_tests_are(make_repo, commands, found) -> None:
    root = make_repo({**EXAMPLE_APP, **commands})
    assert selected(root, {"dyn.py": "def load():\n    return 2\n"}).files == found


def test_a_change_to_pytests_settings_selects_every_test(make_repo) -> None:
    """``addopts = "--cov"`` without pytest-cov stops every pytest run, through no import: no test was related to
    it and the hook said "all gates passed". A change elsewhere in the same file (the version) selects nothing."""
    from functools import partial

    from core.git import file_at, open_repo

    pyproject = '[project]\nname = "shop"\nversion = "1.0"\n\n[tool.pytest.ini_options]\ntestpaths = ["tests"]\n'
    root = make_repo({**PACKAGE, "pyproject.toml": pyproject})

    def with_base(files: dict[str, str], tree=root):  # as the gate selects: in a tree that has the change
        change = parse_diff(diff_of(tree, files))
        write_files(tree, files)
        return select_tests(tree, change, ReviewOptions(), GLOBS, base=partial(file_at, open_repo(tree), "HEAD"))

    everything = with_base({"pyproject.toml": pyproject + 'addopts = "--cov=shop"\n'})
    assert everything.files == selected(root, {}, "all").files and len(everything.files) == 4
    assert everything.summary() == (
        "the change's pytest settings (pyproject.toml): tests/sub/test_fixture_user.py, tests/test_cart.py, "
        "tests/test_pkg.py and 1 more"
    )
    git(root, "checkout", "-q", "--", ".")
    assert with_base({"pyproject.toml": pyproject.replace('"1.0"', '"1.1"')}).files == []
    # pytest.ini, which pytest reads first, wins: the same settings moved there from setup.cfg change nothing
    cfg = "[tool:pytest]\ntestpaths = tests\n"
    moved = make_repo({**PACKAGE, "setup.cfg": cfg}, name="moved")
    assert with_base({"setup.cfg": "", "pytest.ini": "[pytest]\ntestpaths = tests\n"}, moved).files == []


DATA = {
    **PACKAGE,
    "src/shop/rates.py": "import json\nfrom pathlib import Path\n\n\ndef rate(country):\n"
    "    return json.loads((Path(__file__).parent / 'rates.json').read_text())[country]\n",
    "src/shop/rates.json": '{"fr": 0.2}\n',
    "src/shop/templates/page.html": "<p>{total}</p>\n",
    "tests/test_rates.py": "from shop.rates import rate\n\n\ndef test_fr():\n    assert rate('fr') == 0.2\n",
    "tests/data/expected.txt": "4\n",
    "tests/test_expected.py": "from pathlib import Path\n\nimport shop\n\n\ndef test_expected():\n"
    "    assert shop.prices.price(2) == int((Path(__file__).parent / 'data' / 'expected.txt').read_text())\n",
    "README.md": "# shop\n",
}


def test_a_changed_data_file_selects_the_tests_of_what_reads_it(make_repo) -> None:
    """A fix to a table the code opens, or to a test's expected output, changes no Python file: it selected no test,
    and the hook said "all gates passed" unchecked. A file no module names, in a package, is its package's (a
    template loaded by pattern); a README names no test."""
    root = make_repo(DATA)
    table = selected(root, {"src/shop/rates.json": '{"fr": 0.25}\n'})
    assert table.files == ["tests/test_rates.py"]
    assert table.reasons["tests/test_rates.py"] == "imports shop.rates (reads src/shop/rates.json, changed)"
    fixture = selected(root, {"tests/data/expected.txt": "5\n"})
    assert fixture.files == ["tests/test_expected.py"]
    assert fixture.reasons["tests/test_expected.py"] == "reads tests/data/expected.txt, changed"
    template = selected(root, {"src/shop/templates/page.html": "<p>{total} €</p>\n"})
    assert "tests/test_cart.py" in template.files and "tests/test_rates.py" in template.files
    assert template.reasons["tests/test_report.py"].endswith(
        "(its package holds src/shop/templates/page.html, changed)"
    )
    assert selected(root, {"README.md": "# shop\n\nA shop.\n"}).files == []


def test_a_django_apps_tests_py_reaches_the_library_through_its_test_app(make_repo) -> None:
    """django-mptt's tests are ``tests/myapp/tests.py``, run by ``tests/manage.py test``: Django's runner finds
    ``test*.py`` files, and its test app is imported as ``myapp`` (its script's folder is on the path). A fix to
    the library that the app's models use selected no test, and a break passed."""
    root = make_repo(
        {
            "tox.ini": "[testenv]\ncommands = python -Wd tests/manage.py test -v2 {posargs:bookapp}\n",
            "tests/manage.py": "import os\n\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'settings')\n",
            "tests/settings.py": "INSTALLED_APPS = ['shelf', 'bookapp']\n",
            "shelf/__init__.py": "",
            "shelf/words.py": "def loud(text):\n    return text.upper()\n",
            "tests/__init__.py": "",
            "tests/bookapp/__init__.py": "",
            "tests/bookapp/models.py": "from shelf.words import loud\n\n\nclass Book:\n    shout = loud\n",
            "tests/bookapp/tests.py": "from bookapp.models import Book\n",
        }
    )
    selection = selected(root, {"shelf/words.py": "def loud(text):\n    return text.lower()\n"})
    assert selection.files == ["tests/bookapp/tests.py"]
    assert selection.reasons["tests/bookapp/tests.py"] == "imports bookapp.models, which imports shelf.words (changed)"


def test_a_folder_tox_puts_on_the_path_is_read_as_the_tests_import_it(make_repo) -> None:
    """microdot's tox puts libs/common on PYTHONPATH, and its package imports ``utemplate`` from there: a change to
    that module selected none of the tests that run it."""
    root = make_repo(
        {
            "tox.ini": "[testenv]\nsetenv =\n    PYTHONPATH = {toxinidir}/libs/common\ncommands = pytest tests\n",
            "libs/common/utemplate.py": "def render(text):\n    return text\n",
            "micro.py": "from utemplate import render\n\n\ndef page():\n    return render('p')\n",
            "tests/test_micro.py": "from micro import page\n\n\ndef test_page():\n    assert page() == 'p'\n",
        }
    )
    selection = selected(root, {"libs/common/utemplate.py": "def render(text):\n    return text.upper()\n"})
    assert selection.files == ["tests/test_micro.py"]
