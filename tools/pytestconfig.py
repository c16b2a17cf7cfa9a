"""A project's pytest configuration, read the way pytest reads it: the one file it takes, in its order.

``--tests all`` must mean what ``pytest`` means in that project: a project that
sets ``testpaths = tests`` keeps example apps and docs whose files look like
tests out of its run, and one that sets ``python_files = check_*.py`` names its
tests differently. The scope gate compares the same settings before and after a
change (``tools.weakening``), so both read them here, once.

pytest takes the first of pytest.toml, .pytest.toml, pytest.ini, .pytest.ini,
pyproject.toml (``[tool.pytest]`` with TOML's own types since pytest 9, or
``[tool.pytest.ini_options]``), tox.ini (``[pytest]``) and setup.cfg
(``[tool:pytest]``) that holds its section (pytest.toml and pytest.ini count even
without one), and ignores the rest. So moving the settings from setup.cfg to
pyproject.toml changes nothing, and a ``[tool.pytest]`` table is as real as an
``[tool.pytest.ini_options]`` one.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import shlex
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path, PurePosixPath

from core.tables import ini_text
from tools.gate import text_in

DEFAULT_FILES = ("test_*.py", "*_test.py")
DOCTESTS = "--doctest-modules"
# pytest's own order (``_pytest.config.findpaths.CONFIG_LOADERS_BY_NAME``).
CONFIG_FILES = ("pytest.toml", ".pytest.toml", "pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg")
_TRUE = {"true", "1", "yes", "on"}

Reader = Callable[[str], "str | None"]  # repository-relative path -> text, or None when there is no such file


@dataclass(frozen=True)
class PytestConfig:
    """The settings of the one file pytest reads in a folder, by key; ``source`` is that file (None: defaults)."""

    source: str | None = None
    values: Mapping[str, object] = field(default_factory=dict)
    runner: str = "pytest"  # "unittest": the names and folders are those of its unittest run (tools.unittestdiscovery)

    def words(self, key: str) -> tuple[str, ...]:
        """A setting as pytest's arguments: a TOML list as it is, an INI string split as a shell splits it."""
        value = self.values.get(key)
        if isinstance(value, list):
            return tuple(str(v) for v in value)
        try:
            return tuple(shlex.split(str(value or "")))
        except ValueError:  # an unbalanced quote: pytest would refuse it; its words still say what changed
            return tuple(str(value or "").split())

    def flag(self, *keys: str) -> bool:
        """The first of ``keys`` that is set, as a boolean (``strict_xfail`` before its alias, then ``strict``)."""
        for key in keys:
            if key in self.values:
                return str(self.values[key]).strip().lower() in _TRUE
        return False

    @property
    def testpaths(self) -> tuple[str, ...]:
        return self.words("testpaths")

    @property
    def python_files(self) -> tuple[str, ...]:
        return self.words("python_files") or DEFAULT_FILES

    def searching(self, files: Iterable[str]) -> PytestConfig:
        """These settings as pytest applies them to a tree holding the Python ``files``: when no ``testpaths``
        entry holds any, pytest searches the rootdir instead (it warns that nothing matched), as for wheel's
        ``testpaths = ["test"]`` beside its ``tests/`` folder, where every review selected no test."""
        roots = self.testpaths
        if not roots or any(_under(path, root) for path in files for root in roots):
            return self
        return dataclasses.replace(self, values={k: v for k, v in self.values.items() if k != "testpaths"})

    def names_a_test(self, path: str) -> bool:
        """Whether the repository-relative ``path`` matches ``python_files`` as pytest matches it (``fnmatch_ex``):
        a pattern without a ``/`` against the file name, one with a ``/`` against the whole path's end (alembic's
        ``tests/test_*.py``, which matched no file name, so its commits selected no test)."""
        name = PurePosixPath(path).name
        return any(
            fnmatch.fnmatch("/" + path, "*/" + p) if "/" in p else fnmatch.fnmatch(name, p) for p in self.python_files
        )

    def collects(self, path: str) -> bool:
        """Whether pytest, run without arguments, would collect the repository-relative ``path``."""
        if PurePosixPath(path).name == "conftest.py" or not self.names_a_test(path):
            return False
        return not self.testpaths or any(_under(path, root) for root in self.testpaths)

    def given(self, options: set[str], paths: tuple[str, ...] = ()) -> PytestConfig:
        """These settings as the project's commands run pytest, giving it ``options`` and ``paths``:
        ``--doctest-modules`` on the command line counts as in addopts (``DOCTESTS``; the one option read from a
        command), and the paths as ``testpaths`` where none are set (pytest collects what it is given)."""
        values = dict(self.values)
        if DOCTESTS in options and DOCTESTS not in self.words("addopts"):
            values["addopts"] = [*self.words("addopts"), DOCTESTS]
        if paths and not self.testpaths:
            values["testpaths"] = list(paths)
        return dataclasses.replace(self, values=values) if values != self.values else self

    def doctests(self, path: str) -> bool:
        """Whether pytest, run without arguments, would collect the doctests of the Python module ``path``:
        ``--doctest-modules`` in ``addopts`` makes every module under ``testpaths`` a test file (jaraco's
        projects keep their tests in their modules' docstrings), but never ``setup.py``, ``__main__.py`` or a
        ``conftest.py`` (pytest's doctest plugin leaves them out)."""
        name = PurePosixPath(path).name
        if self.runner != "pytest" or DOCTESTS not in self.words("addopts") or not name.endswith(".py"):
            return False
        return name not in ("setup.py", "__main__.py", "conftest.py") and (
            not self.testpaths or any(_under(path, root) for root in self.testpaths)
        )


def _under(path: str, root: str) -> bool:
    root = root.strip("/").removeprefix("./")
    if root in ("", "."):
        return True
    if any(ch in root for ch in "*?["):  # testpaths may be globs
        return fnmatch.fnmatch(path, root) or fnmatch.fnmatch(path, root.rstrip("/") + "/*")
    return path == root or path.startswith(root + "/")


def pytest_config(read: Reader, folder: str = "") -> PytestConfig:
    """The configuration pytest reads for a run rooted in ``folder`` (defaults when no file there has any)."""
    for name in CONFIG_FILES:
        path = str(PurePosixPath(folder, name)) if folder else name
        values = file_settings(name, read(path))
        if values is not None:
            return PytestConfig(path, values)
    return PytestConfig()


def config_folders(paths: Iterable[str]) -> list[str]:
    """Folders where ``paths`` (a change's) hold a file pytest may read its settings from ('' is the root)."""
    folders = {
        "" if (parent := str(PurePosixPath(path).parent)) == "." else parent
        for path in paths
        if PurePosixPath(path).name in CONFIG_FILES
    }
    return sorted(folders)


def settings_changed(paths: Iterable[str], before: Reader, after: Reader) -> str | None:
    """The file whose pytest settings a change of ``paths`` alters (``pyproject.toml``), or None: a setting such as
    ``addopts = "--cov"`` (without pytest-cov), ``filterwarnings = error`` or ``--strict-markers`` reaches every
    test, through no import. ``before``/``after`` read a file at the base and in the changed tree."""
    for folder in config_folders(paths):
        old, new = pytest_config(before, folder), pytest_config(after, folder)
        if old.values != new.values:  # the same settings moved to another file are the same settings
            return new.source or old.source
    return None


def read_pytest_config(tree: Path) -> PytestConfig:
    """The pytest configuration at the root of the checked-out ``tree``."""
    return pytest_config(partial(text_in, tree))


def file_settings(name: str, text: str | None) -> dict[str, object] | None:
    """The pytest settings in the config file called ``name``, or None when pytest would not take it.

    A file that does not parse is None too: pytest would stop with a usage error, which the tests gate reports.
    """
    if text is None:
        return None
    if name.endswith(".toml"):
        try:
            document = tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            return None
        return _toml_settings(name, document)
    parser = ini_text(text)
    if parser is None:
        return None
    section = "tool:pytest" if name == "setup.cfg" else "pytest"
    if parser.has_section(section):
        return dict(parser[section])
    return {} if name in ("pytest.ini", ".pytest.ini") else None


def _toml_settings(name: str, document: dict[str, object]) -> dict[str, object] | None:
    if name != "pyproject.toml":  # pytest.toml: a [pytest] table, and the file counts without one
        table = document.get("pytest")
        return dict(table) if isinstance(table, dict) else {}
    tool = document.get("tool")
    tables = tool.get("pytest") if isinstance(tool, dict) else None
    if not isinstance(tables, dict):
        return None
    native = {k: v for k, v in tables.items() if k != "ini_options"}
    if native:
        return native
    ini = tables.get("ini_options")
    return dict(ini) if isinstance(ini, dict) else None
