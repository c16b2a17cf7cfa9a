"""The parts of a project's pytest configuration that decide which files are its tests.

``--tests all`` must mean what ``pytest`` means in that project: a project that
sets ``testpaths = tests`` keeps example apps and docs whose files look like
tests out of its run, and one that sets ``python_files = check_*.py`` names its
tests differently. pytest reads the first of pytest.ini, pyproject.toml
(``[tool.pytest.ini_options]``), tox.ini (``[pytest]``) and setup.cfg
(``[tool:pytest]``) that has its section; so does this. Markers and ``addopts``
need nothing here: pytest applies them itself, since the run's root is the
project's tree.
"""

from __future__ import annotations

import configparser
import fnmatch
import tomllib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

DEFAULT_FILES = ("test_*.py", "*_test.py")


@dataclass(frozen=True)
class PytestConfig:
    """``testpaths`` (empty: anywhere) and ``python_files`` patterns of one project."""

    testpaths: tuple[str, ...] = ()
    python_files: tuple[str, ...] = DEFAULT_FILES
    source: str | None = None  # the file they came from

    def collects(self, path: str) -> bool:
        """Whether pytest, run without arguments, would collect the repository-relative ``path``."""
        pure = PurePosixPath(path)
        if pure.name == "conftest.py" or not any(fnmatch.fnmatch(pure.name, p) for p in self.python_files):
            return False
        return not self.testpaths or any(_under(path, root) for root in self.testpaths)


def _under(path: str, root: str) -> bool:
    root = root.strip("/").removeprefix("./")
    if root in ("", "."):
        return True
    if any(ch in root for ch in "*?["):  # testpaths may be globs
        return fnmatch.fnmatch(path, root) or fnmatch.fnmatch(path, root.rstrip("/") + "/*")
    return path == root or path.startswith(root + "/")


def read_pytest_config(tree: Path) -> PytestConfig:
    """The pytest configuration at the root of ``tree`` (defaults when there is none or it does not parse)."""
    for name, read in (
        ("pytest.ini", _ini("pytest")),
        ("pyproject.toml", _pyproject),
        ("tox.ini", _ini("pytest")),
        ("setup.cfg", _ini("tool:pytest")),
    ):
        path = tree / name
        if not path.is_file():
            continue
        found = read(path)
        if found is not None:
            testpaths, files = found
            return PytestConfig(tuple(testpaths), tuple(files) or DEFAULT_FILES, name)
    return PytestConfig()


Found = tuple[list[str], list[str]] | None


def _pyproject(path: Path) -> Found:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    section = data.get("tool", {}).get("pytest", {}).get("ini_options")
    if not isinstance(section, dict):
        return None
    return _words(section.get("testpaths")), _words(section.get("python_files"))


def _ini(section: str):
    def read(path: Path) -> Found:
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(path, encoding="utf-8")
        except (configparser.Error, UnicodeDecodeError):
            return None
        if not parser.has_section(section):
            return None
        return _words(parser.get(section, "testpaths", fallback="")), _words(
            parser.get(section, "python_files", fallback="")
        )

    return read


def _words(value: object) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    return str(value or "").split()
