"""A sphinx-style instance built in tmp_path: tests run by ``tox --current-env``, and a spec pin the project outgrew.

The repository is named ``sphinx-doc/sphinx`` at version ``8.1`` so the harness package's spec for it applies:
Python 3.10; ``tox==4.16.0``, ``tox-current-env==0.0.11`` and ``Jinja2==3.0.3`` installed first, then the project
with its test extra; ``tox --current-env -epy39 -v --`` over the test files the test patch touches, after
``sed -i 's/pytest/pytest -rA/' tox.ini``. It is a small real project, not sphinx: it needs ``jinja2>=3.1`` (as
sphinx 8.1 does), so the spec's pin cannot be resolved with it, and the harness's image gets there because each
install goes over the last. tox-current-env runs the tests through a link to the interpreter
(``.tox/py39/bin/python``), which finds the packages of a prefix but not of a virtual environment.
"""

from __future__ import annotations

import json
from pathlib import Path

from evalkit import Dataset, base_repo, diff_for, published

PYPROJECT = (
    '[build-system]\nrequires = ["setuptools>=64"]\nbuild-backend = "setuptools.build_meta"\n\n'
    '[project]\nname = "sphinx"\nversion = "8.1.0"\ndependencies = ["jinja2>=3.1"]\n\n'
    '[project.optional-dependencies]\ntest = ["pytest"]\n\n[tool.setuptools]\npackages = ["sphinx"]\n'
)
TOX = "[tox]\nenvlist = py39\n\n[testenv]\ncommands = python -m pytest {posargs}\n"
ROLES = "def slug(text):\n    return text.replace(' ', '-')\n"
TESTS = (
    "import jinja2\nfrom packaging.version import Version\n\nfrom sphinx.roles import slug\n\n\n"
    "def test_the_project_s_jinja2():\n    assert Version(jinja2.__version__) >= Version('3.1')\n\n\n"
    "def test_slug():\n    assert slug('a b') == 'a-b'\n"
)
NEW_TEST = "\n\ndef test_slug_lowercase():\n    assert slug('A B') == 'a-b'\n"


def build(work: Path) -> Dataset:
    """The instance in ``work``, committed in October 2024 (the packages' date cap)."""
    files = {
        "pyproject.toml": PYPROJECT,
        "tox.ini": TOX,
        "sphinx/__init__.py": "",
        "sphinx/roles.py": ROLES,
        "tests/test_roles.py": TESTS,
    }
    root, base = base_repo(work, "sphinx-doc__sphinx", files, when="2024-10-01T12:00:00+00:00")
    row = {
        "instance_id": "sphinx-doc__sphinx-1",
        "repo": "sphinx-doc/sphinx",
        "base_commit": base,
        "patch": diff_for(root, {"sphinx/roles.py": ROLES.replace("text.replace", "text.lower().replace")}),
        "test_patch": diff_for(root, {"tests/test_roles.py": TESTS + NEW_TEST}),
        "problem_statement": "slug('A B') keeps the capitals",
        "FAIL_TO_PASS": json.dumps(["tests/test_roles.py::test_slug_lowercase"]),
        "PASS_TO_PASS": json.dumps(
            ["tests/test_roles.py::test_the_project_s_jinja2", "tests/test_roles.py::test_slug"]
        ),
        "version": "8.1",
        "environment_setup_commit": base,
        "created_at": "2024-10-01T12:00:00Z",
    }
    return published(work, {"sphinx-doc__sphinx": root}, [row])
