"""The variables hatch gives the environments that run a project's tests (``env-vars``), as tox's ``setenv`` is read.

django-otp's tests run in hatch's default environment, whose ``env-vars`` put ``test`` on ``PYTHONPATH`` and name
the settings module there (``DJANGO_SETTINGS_MODULE = "test_project.settings"``, in ``test/test_project``): without
them no settings were found, no module of the app imported, and a commit adding ``src/django_otp/test_utils.py``
(a module Django's runner and pytest both read as tests) was refused for a file that could not be collected. The
environments read are those ``tools.testdeps.hatch_dev`` reads: ``default``, those named for tests and
``hatch-test``, in pyproject.toml's ``[tool.hatch.envs]`` or hatch.toml's ``[envs]``; a later one's value wins.
"""

from __future__ import annotations

from pathlib import Path

from core.tables import pyproject_of, table_at, toml_file
from tools.envvars import path_folders, project_may_set
from tools.testdeps import TEST_EXTRAS

_TESTING_ENVS = ("default", *TEST_EXTRAS, "hatch-test")


def hatch_env_vars(tree: Path) -> dict[str, str]:
    """What hatch's test environments set for the tests (``PYTHONPATH`` apart, as ``hatch_pythonpath``)."""
    return {
        name: value for name, value in _env_vars(tree).items() if name != "PYTHONPATH" and project_may_set(name, value)
    }


def hatch_pythonpath(tree: Path) -> list[Path]:
    """The folders of ``tree`` hatch's test environments put on ``PYTHONPATH`` (relative to the project's root)."""
    return path_folders(tree, _env_vars(tree).get("PYTHONPATH", ""))


def _env_vars(tree: Path) -> dict[str, str]:
    tables = [table_at(pyproject_of(tree), "tool", "hatch", "envs"), table_at(toml_file(tree / "hatch.toml"), "envs")]
    return {
        str(name): value
        for envs in tables
        for env in _TESTING_ENVS
        for name, value in table_at(envs, env, "env-vars").items()
        if isinstance(value, str)
    }
