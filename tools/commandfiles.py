"""Where a project states the commands its developers and its CI run, and the requirement files those install.

A project that configures no pytest says how its tests run in a command (``tools.unittestdiscovery``), and a
project whose packaging metadata names no test dependency says what its tests need in the install lines of the
same files: a 2026 parse's CI runs ``pip install -r tests/requirements.txt``, which holds the pytest-cov its
pytest settings' ``--cov`` options need, and cachecontrol's ``make bootstrap`` runs ``uv sync --extra dev``,
the only extra that names the cherrypy its tests import (and the dependency groups such lines name). The files are pyproject.toml's scripts, tox.ini,
setup.cfg, hatch.toml, noxfile.py, a Makefile (any of make's three names), Travis CI's file and the GitHub
workflows; they are read, never run.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from tools.gate import text_in

# make reads GNUmakefile, makefile and Makefile; Travis CI's file is an older project's CI (python-json-pointer's
# ``makefile`` and ``.travis.yml`` run ``python tests.py``, its only tests, which no review selected)
COMMAND_FILES = (
    "pyproject.toml",
    "tox.ini",
    "setup.cfg",
    "hatch.toml",
    "noxfile.py",
    "GNUmakefile",
    "makefile",
    "Makefile",
    ".travis.yml",
)
WORKFLOWS = ".github/workflows"
_WORDS = re.compile(r"[\w./{}+-]+")
_REQUIREMENT_FLAGS = ("-r", "--requirement")
# An extra a command installs: uv's ``--extra dev`` (sync, run, pip install), or the project's own ``.[dev,test]``
# (``pip install -e ".[dev]"``, nox's ``session.install(".[test]")``).
# (also as a command's words in Python: nox's ``session.run_install("uv", "sync", "--extra", "dev")``)
_EXTRA_FLAG = re.compile(r"--extra[\"']?[=\s,]+[\"']?([\w.-]+)")
# uv's and pip's ``--group``, PDM's ``-G`` (``-dG``); not a lint session's ``--only-group``
_GROUP_FLAG = re.compile(r"(?<![\w-])(?:--group|-d?G)[\"']?[=\s,]+[\"']?([\w.-]+)")
_OWN_EXTRAS = re.compile(r"(?:^|[\s\"'=(,])\.(?:/)?\[([\w.,\s-]+)\]")
_INSTALLS = ("install", "sync", "uv run")


def command_files(tree: Path) -> list[str]:
    """The command files ``tree`` has a place for (repository-relative), workflows last, in name order."""
    workflows = tree / WORKFLOWS
    names = [*COMMAND_FILES]
    if workflows.is_dir() and not workflows.is_symlink():
        names += sorted(f"{WORKFLOWS}/{p.name}" for p in workflows.iterdir() if p.suffix in (".yml", ".yaml"))
    return names


def command_lines(tree: Path) -> Iterator[str]:
    """Every line of the command files ``tree`` has, in ``command_files``' order: where the readers below, and
    ``tools.unittestdiscovery``'s, look for the commands they know."""
    for name in command_files(tree):
        yield from (text_in(tree, name) or "").splitlines()


def is_command_file(path: str) -> bool:
    """Whether ``path`` (repository-relative) is a file where the project's commands are looked for."""
    return path in COMMAND_FILES or (path.startswith(WORKFLOWS + "/") and path.endswith((".yml", ".yaml")))


def installed_requirement_files(tree: Path) -> list[str]:
    """The requirement files the project's commands install with ``-r`` (pip's, uv's, nox's
    ``session.install("-r", ...)``), repository-relative, that exist in the tree; documentation's (``docs/``,
    ``doc-requirements.txt``) left out."""
    found: list[str] = []
    for line in command_lines(tree):
        if "install" in line:
            found += _named_files(_WORDS.findall(line))
    return [f for f in dict.fromkeys(found) if "doc" not in f and (tree / f).is_file()]


def installed_extras(tree: Path) -> list[str]:
    """The project's extras its commands install (``uv sync --extra dev``, ``pip install -e .[test,dev]``), in the
    order first named; documentation's (``docs``, ``doc``) left out."""
    found: list[str] = []
    for line in _install_lines(tree):
        found += _EXTRA_FLAG.findall(line)
        found += [e.strip() for group in _OWN_EXTRAS.findall(line) for e in group.split(",")]
    return [e for e in dict.fromkeys(found) if e and not e.lower().startswith("doc")]


def _install_lines(tree: Path) -> Iterator[str]:
    """The command files' lines that install something (pip's, uv's, poetry's, PDM's, nox's ``install``; uv's ``sync``
    and ``run``)."""
    return (line for line in command_lines(tree) if any(word in line for word in _INSTALLS))


def installs_all_extras(tree: Path) -> bool:
    """Whether the project's commands install every extra it declares (``poetry install --all-extras``, ``uv sync
    --all-extras``): openapi-core's CI does, and its conftest imports falcon, which only its ``falcon`` extra holds."""
    return any("--all-extras" in line for line in _install_lines(tree))


def installed_groups(tree: Path) -> list[str]:
    """The dependency groups the project's commands install (``uv sync --group test``, ``pip install --group
    dev``), in the order first named; documentation's left out."""
    found: list[str] = []
    for line in _install_lines(tree):
        found += _GROUP_FLAG.findall(line)
    return [g for g in dict.fromkeys(found) if not g.lower().startswith("doc")]


def _named_files(words: list[str]) -> list[str]:
    """The file after each ``-r`` / ``--requirement`` (or joined to it, ``-rfile.txt``), when it stays in the tree."""
    named = []
    for number, word in enumerate(words):
        if word in _REQUIREMENT_FLAGS and number + 1 < len(words):
            named.append(words[number + 1])
        elif word.startswith("-r") and word.endswith(".txt") and not word.startswith("--"):
            named.append(word[2:])
    paths = (PurePosixPath(n.replace("{toxinidir}/", "").removeprefix("./")) for n in named)
    return [str(p) for p in paths if p.suffix == ".txt" and not p.is_absolute() and ".." not in p.parts]
