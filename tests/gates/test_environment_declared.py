"""A built environment installs what a project's tests import beyond its own dependencies, wherever the project
declares it, and where part of it cannot be installed here.

Each case builds a real environment with uv from the package registry.
"""

from __future__ import annotations

import pytest

from tests.conftest import diff_of, review_as_configured, write_files
from tests.gates.test_environments import BUILT, TIMEOUT, gate_of
from tools import testdeps  # the module: a function named test_* imported here would be collected as a test

# where a project declares what its tests import beyond its own dependencies: a PEP 735 group (which uv resolves,
# include-group too), tox's deps (a requirement file they name, beside others that conflict; plain lines) and
# poetry's dev dependencies
DECLARED = {
    "dependency group": {"pyproject.toml": '[dependency-groups]\ntests = [{include-group = "io"}]\nio = ["tomli-w"]\n'},
    "tox -r": {
        "tox.ini": "[testenv]\ndeps = -r {toxinidir}/requirements/tests.txt\ncommands = pytest\n",
        "requirements/tests.txt": "tomli-w==1.0.0\n",
        "requirements/tests37.txt": "tomli-w==0.4.0\n",
    },
    "tox plain": {"tox.ini": "[testenv]\ndeps =\n    pytest-cov\n    tomli-w\ncommands = pytest\n"},
    "poetry": {"pyproject.toml": '[tool.poetry.dev-dependencies]\ntomli-w = "^1.0"\nlocal = { path = "../x" }\n'},
    "a test extra, the project not buildable": {
        "pyproject.toml": '[project.optional-dependencies]\ntest = ["tomli-w", "greeter[test]"]\n',
        "setup.py": "raise SystemExit('this project does not build here')\n",
    },
    "a poetry project's dependencies, the project not buildable": {
        "pyproject.toml": '[tool.poetry.dependencies]\npython = "^3.8"\ntomli-w = "*"\n',
        "setup.py": "raise SystemExit('this project does not build here')\n",
    },
    "hatch's default environment": {"pyproject.toml": '[tool.hatch.envs.default]\ndependencies = ["tomli-w"]\n'},
    "tox in pyproject.toml, through a reference": {
        "pyproject.toml": '[tool.tox]\nlegacy_tox_ini = """\n[core]\ndeps = tomli-w\n\n[testenv]\n'
        'deps =\n    {[core]deps}\n    pytest\n"""\n'
    },
    "tox.toml": {"tox.toml": '[env_run_base]\ndeps = ["tomli-w"]\ncommands = [["pytest"]]\n'},
    "tox, the extra of this Python's env": {
        "tox.ini": "[testenv]\ncommands = pytest\n\n[testenv:py3{10-13}]\nextras = io\n\n[testenv:lint]\ndeps = nope\n",
        "pyproject.toml": '[project.optional-dependencies]\nio = ["tomli-w"]\n',
    },
    "dev group": {"pyproject.toml": '[dependency-groups]\ndev = ["tomli-w"]\n'},
    "a test requirement file beside one uv cannot read": {
        "requirements/dev.txt": "-e . --config-settings=pure-python=false\n-r test.txt\n",
        "requirements/test.txt": "tomli-w\n",
    },
    "a requirement file the CI installs": {
        ".github/workflows/ci.yml": "jobs:\n  test:\n    steps:\n      - run: pip install -r tests/requirements.txt -e .\n",
        "tests/requirements.txt": "tomli-w\n",
    },
    "dev-requirements.txt": {"dev-requirements.txt": "tomli-w\n", "docs-requirements.txt": "no-such-package-x\n"},
    "a test requirement file beside another the CI installs, which conflicts with it": {
        ".github/workflows/ci.yml": "jobs:\n  test:\n    steps:\n"
        "      - run: pip install -r bench/requirements.txt -r tests/requirements.txt\n",
        "bench/requirements.txt": "tomli-w==1.0.0\n",
        "tests/requirements.txt": "tomli-w==1.1.0\n",
    },
    "uv dev-dependencies": {"pyproject.toml": '[tool.uv]\ndev-dependencies = ["tomli-w"]\n'},
    "Pipfile": {"Pipfile": "[packages]\ngreeter = {path = '.', editable = true}\n\n[dev-packages]\ntomli-w = '*'\n"},
    "tox, the project not buildable": {
        "tox.ini": "[testenv]\nskip_install = true\ndeps = tomli-w\ncommands = pytest\n",
        "setup.py": "raise SystemExit('this project does not build here')\n",
    },
    "requirement files for this Python and for another": {
        "requirements-dev.txt": "tomli-w==1.0.0\n",
        "requirements-dev3.8.txt": "tomli-w==0.4.0\n",
    },
    "a dependency group tox installs under a factor": {
        "pyproject.toml": '[dependency-groups]\ndev = ["pytest"]\nio = ["tomli-w"]\n',
        "tox.ini": "[tox]\nenvlist = py3{10,11,12}-{io,core}\n\n[testenv]\ndependency_groups =\n    dev\n    io: io\n",
    },
    "the project itself, quoted, in a requirement file": {
        "pyproject.toml": '[project.optional-dependencies]\nio = ["tomli-w"]\n',
        "requirements-dev.txt": '-e ".[io]"\n',
    },
    "an extra the project's commands install": {
        "pyproject.toml": '[project.optional-dependencies]\ndev = ["tomli-w"]\n',
        "Makefile": "bootstrap:\n\tuv sync --extra dev\n",
    },
    "the dev group uv installs unasked, beside a test group": {
        "pyproject.toml": '[dependency-groups]\ntest = ["pytest"]\ndev = [{include-group = "test"}, "tomli-w"]\n',
        "uv.lock": "version = 1\n",
    },
    "a test group whose package uv takes from a git URL": {
        "pyproject.toml": '[dependency-groups]\ntest = ["tomli-w"]\n\n[tool.uv.sources]\n'
        'tomli-w = { git = "https://127.0.0.1:9/tomli-w.git", rev = "fork" }\n',
    },
    "pdm dev-dependencies": {
        "pyproject.toml": '[tool.pdm.dev-dependencies]\ntest = ["tomli-w"]\nlint = ["patchgate-no-such-project"]\n'
    },
    "a development requirement file that pins what does not install here": {
        "requirements_dev.txt": "tomli-w\npatchgate-no-such-project==0.1  # cookiecutter's pins\n"
    },
    "a test requirement file with a development tool that does not build here": {
        "requirements-tests.txt": "tomli-w\npatchgate-no-such-project < 1.4  # the lint\n"
    },
    "a development tool that does not install here, beside what the tests import": {
        "pyproject.toml": '[tool.poetry.dev-dependencies]\ntomli-w = "^1.0"\npatchgate-no-such-project = "^1.0"\n'
    },
    "tox deps beside a pytest that does not run here": {
        "tox.ini": "[testenv]\ndeps =\n    pytest==3.2.5\n    tomli-w\ncommands = py.test\n"
    },
    "a setup.py that reads the requirement file which installs the project": {
        "requirements/base.txt": "tomli-w\n-e .\n",
        "requirements/test.txt": "-r base.txt\npytest\n",
        "setup.py": "from setuptools import setup\n\n"
        "setup(install_requires=[l.strip() for l in open('requirements/base.txt') if l.strip()[:1] not in '-#'])\n",
    },
    "a test requirement file that takes a package from a git URL, beside another": {
        "requirements-test.txt": "tomli-w @ git+https://127.0.0.1:9/tomli-w.git  # a fork\n",
        "requirements-dev.txt": "pytest\n",
    },
    "tox's test requirement file that takes a package from a git URL, the project not buildable": {
        "requirements-test.txt": "tomli-w @ git+https://127.0.0.1:9/tomli-w.git\n",
        "tox.ini": "[testenv]\ndeps = -r requirements-test.txt\ncommands = pytest\n",
        "setup.py": "raise SystemExit('this project does not build here')\n",
    },
    "every extra, as the project's CI installs them": {
        "pyproject.toml": '[tool.poetry.extras]\nio = ["tomli-w"]\ndocs = ["patchgate-no-such-project"]\n\n'
        '[project.optional-dependencies]\nio = ["tomli-w"]\ndocs = ["patchgate-no-such-project"]\n',
        ".github/workflows/ci.yml": "jobs:\n  test:\n    steps:\n      - run: poetry install --all-extras\n",
    },
    "a nox test session's packages": {
        "noxfile.py": "import nox\n\n\n@nox.session(python=['3.11'])\ndef test(session):\n"
        "    deps = ['pytest', 'tomli-w']\n    session.install('--upgrade', *deps)\n    session.install('-e', '.')\n"
        "    session.run('pytest')\n\n\n@nox.session\ndef docs(session):\n"
        "    session.install('patchgate-no-such-project')\n    session.run('mkdocs', 'build')\n"
    },
    "a dependency group the project's commands install": {
        "pyproject.toml": '[dependency-groups]\ntest = ["pytest"]\nio = ["tomli-w"]\n',
        "noxfile.py": 'session.run_install("uv", "sync", "--group", "io")\n',
    },
}


@pytest.mark.slow
@pytest.mark.parametrize("declared", DECLARED)
def test_a_built_environment_installs_what_the_tests_import(make_repo, tmp_path, monkeypatch, declared: str) -> None:
    """jinja's conftest imports trio, which only its PEP 735 ``tests`` group lists; a 2024 jinja's requirement files
    pin pytest 8.2 (tests.txt) and 7.4 (tests37.txt, for Python 3.7), so all of them together cannot resolve, and
    its tox.ini installs ``-r requirements/tests.txt``, which holds trio. A 2018 itsdangerous lists freezegun only
    in tox's deps; rich's tests import attrs, a poetry dev dependency; a 2023 semver does not build here, and its
    tox env never installs it (its tests import src/) but has pytest-cov, which its addopts need; tqdm's tox config
    lives in pyproject.toml and names pytest-asyncio through ``{[core]deps}``; markdown-it-py's linkify extra is
    in ``[testenv:py{310,311,312,313}]``, invoke's pytest-relaxed in the ``dev`` group uv installs by default, a
    2025 pdoc's pydantic in ``[tool.uv] dev-dependencies``, that group's older spelling, pyproject-hooks' testpath
    in dev-requirements.txt, a 2026 parse's pytest-cov in the tests/requirements.txt its CI installs, a 2025
    frozenlist's Cython in requirements/test.txt beside a dev.txt whose first line uv cannot read, a 2025
    cachecontrol's cherrypy in the ``dev`` extra its Makefile's ``uv sync --extra dev`` installs, a 2025 deepdiff's
    numpy in requirements-dev.txt beside the requirements-dev3.8.txt that pins another, a 2025 authlib's django in the
    dependency group its tox.ini installs under a factor (``django: django``), a 2024 paramiko's invoke in the extra
    of its ``-e ".[invoke]"`` line, quoted as pip allows and uv cannot read, a 2026 urllib3's trustme in the ``dev``
    group its nox sessions and ``uv run`` install (its ``test`` group lacks it, and holds a fork of hypercorn from
    a git URL, which only the network beyond the package index serves); a 2024 aiofiles' pytest-asyncio in PDM's ``[tool.pdm.dev-dependencies]``, a 2021 darglint's flake8 in poetry's dev dependencies beside a mypy whose typed-ast does not build on Python 3.11, a 2021 thefuzz's hypothesis in tox's deps beside pytest 3.2.5, which does not run on Python 3.11, a 2024 croniter's setup.py reads its
    install_requires from the requirements/base.txt that installs it (``-e .``), which must stay as written. Without them no
    test can run, and the commit is blamed or nothing is checked. zipp's build reads a URL this machine cannot
    reach, and its test extra holds jaraco.test; a 2026 bigtree's pytest-benchmark only in hatch's
    default environment; a 2023 anytree's ``[project.urls]`` without a name, which uv
    refuses, left its tests without the six of its ``[tool.poetry.dependencies]``; a 2026 Box's test requirements take
    toon-format from a git URL this machine cannot reach; a 2024 apischema's CI installs a benchmark requirement file
    whose pydantic conflicts with its tests' file, which holds graphql-core; shellingham's pytest-mock only in its
    Pipfile's ``[dev-packages]``; verboselogs' mock in the requirements-tests.txt that pins a pylint 1.3, which
    does not build on Python 3.11; a 2019 prettyprinter's ipython in cookiecutter's requirements_dev.txt, beside
    pins of pip 9 and cryptography 1.7; a 2026 openapi-core's conftest imports falcon, one of the extras its CI's
    ``poetry install --all-extras`` installs (documentation's left out); respx's pytest-cov, which its addopts need,
    only in its nox test session's ``session.install(*deps)``. Needs the package registry."""
    monkeypatch.setenv("PATCHGATE_CACHE", str(tmp_path / "cache"))
    pyproject = BUILT["pyproject.toml"].replace('dependencies = ["tomli-w"]', "dependencies = []")
    extra = DECLARED[declared]
    files = {
        **BUILT,
        **extra,
        "pyproject.toml": pyproject + "\n" + extra.get("pyproject.toml", ""),
        "greeter/core.py": "def name(who):\n    return who.title()\n",
        "tests/conftest.py": "import tomli_w  # a test-only dependency\n",
        "tests/test_core.py": "from greeter.core import name\n\n\ndef test_name():\n    assert name('ann') == 'Ann'\n",
    }
    root = make_repo(files)
    change = diff_of(root, {"greeter/core.py": files["greeter/core.py"] + "\n\nVERSION = 1\n"})
    report = gate_of(review_as_configured(root, change, tests=TIMEOUT))
    assert report.passed and report.detail == "1 passed in 1 file(s) (built environment)", report


def test_what_a_package_s_own_tests_module_imports_counts_as_the_tests_imports(tmp_path) -> None:
    """verboselogs keeps its tests in ``verboselogs/tests.py`` (its pytest ``python_files``): the mock they import
    is what a built environment narrowed to the tests' imports must install; the package's own imports are not."""
    write_files(tmp_path, {"verboselogs/__init__.py": "import logging\n", "verboselogs/tests.py": "import mock\n"})
    assert testdeps.imported_by_tests(["mock>=1.0.1", "pylint<1.4", "pytest-cov"], testdeps.test_imports(tmp_path)) == [
        "mock>=1.0.1",
        "pytest-cov",
    ]


def test_what_the_project_s_own_modules_import_for_the_tests_counts_too(tmp_path) -> None:
    """A 2019 prettyprinter's test of its IPython extra imports ``prettyprinter.extras.ipython_repr_pretty``, which
    imports ``IPython`` (``from . import`` its siblings too), that ``ipython==6.2.1`` in its requirements_dev.txt
    installs: neither the module of the package nor the name in capitals was followed, the line was never
    installed, and the test was never collected. What the package imports but no test reaches is not wanted."""
    write_files(
        tmp_path,
        {
            "tests/test_ipython.py": "import prettyprinter.extras.ipython_repr_pretty\n",
            "prettyprinter/__init__.py": "from .pretty import pformat\n",
            "prettyprinter/pretty.py": "import colorful\n",
            "prettyprinter/extras/__init__.py": "",
            "prettyprinter/extras/ipython_repr_pretty.py": "from IPython.lib.pretty import pretty\nfrom . import ipy\n",
            "prettyprinter/extras/ipy.py": "import pygments\n",
            "prettyprinter/extras/django.py": "import django\n",
        },
    )
    requirements = ["ipython==6.2.1", "pip==9.0.1", "colorful==0.4.0", "Pygments==2.2.0", "Django==1.10.8"]
    assert testdeps.imported_by_tests(requirements, testdeps.test_imports(tmp_path)) == [
        "ipython==6.2.1",
        "colorful==0.4.0",
        "Pygments==2.2.0",
    ]
