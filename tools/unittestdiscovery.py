"""Which files are tests in a project that runs ``python -m unittest discover`` and never configures pytest.

mkdocs' tests are unittest files named ``*tests.py``, run by a hatch script
(``python -m unittest discover -s mkdocs -p "*tests.py"``). pytest's default
``test_*.py`` names none of them, so the related-test selection found none and
every review said "no related tests" with the project's tests unrun. pytest runs
unittest's ``TestCase`` classes in any file it is given by path, so once the
discovery's start folder and pattern say which files are tests, the tests gate
runs them as it runs any other.

The command is read where projects state their commands (pyproject.toml's
hatch, pdm or poe scripts, tox.ini, setup.cfg, hatch.toml, noxfile.py, a
Makefile, the GitHub workflows), and only counts when no file configures pytest:
a project that does is run the way its pytest settings say. unittest's own
rules: ``-s``/``--start-directory`` (default ``.``), ``-p``/``--pattern``
(default ``test*.py``, matched against file names), or the same as positional
arguments; a bare ``python -m unittest`` discovers with the defaults. Left out:
unittest only enters folders that are packages, which is not checked here (a
file the pattern names in a folder without ``__init__.py`` counts too).
"""

from __future__ import annotations

import argparse
import shlex
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from tools.gate import text_in
from tools.pytestconfig import PytestConfig

COMMAND_FILES = ("pyproject.toml", "tox.ini", "setup.cfg", "hatch.toml", "noxfile.py", "Makefile")
WORKFLOWS = ".github/workflows"
DEFAULT_PATTERN = "test*.py"
_SHELL_BREAKS = {"&&", "||", ";", "|", ")", "&"}


@dataclass(frozen=True)
class Discovery:
    """One ``unittest discover`` a project states: its start folder (repository-relative, "" for the root) and
    file-name pattern, and the file that states it."""

    start: str
    pattern: str
    source: str


def unittest_config(tree: Path) -> PytestConfig | None:
    """The tests unittest discovery finds in ``tree``, as the ``python_files`` and ``testpaths`` pytest would need to
    collect the same files; None when the project states no such command."""
    found = discoveries(tree)
    if not found:
        return None
    return PytestConfig(
        source=found[0].source,
        values={
            "python_files": list(dict.fromkeys(d.pattern for d in found)),
            "testpaths": list(dict.fromkeys(d.start or "." for d in found)),
        },
        runner="unittest discover",
    )


def discoveries(tree: Path) -> list[Discovery]:
    """Every ``unittest discover`` (or bare ``python -m unittest``) the project's command files state, in order."""
    workflows = tree / WORKFLOWS
    names = [*COMMAND_FILES]
    if workflows.is_dir() and not workflows.is_symlink():
        names += sorted(f"{WORKFLOWS}/{p.name}" for p in workflows.iterdir() if p.suffix in (".yml", ".yaml"))
    found = [Discovery(start, pattern, name) for name in names for start, pattern in stated(text_in(tree, name))]
    return list(dict.fromkeys(found))


def is_command_file(path: str) -> bool:
    """Whether ``path`` (repository-relative) is a file where this module looks for the project's test command."""
    return path in COMMAND_FILES or (path.startswith(WORKFLOWS + "/") and path.endswith((".yml", ".yaml")))


def stated(text: str | None) -> list[tuple[str, str]]:
    """(start folder, pattern) of every unittest discovery in one command file's ``text``, in order."""
    if not text or "unittest" not in text:
        return []
    return list(dict.fromkeys(found for line in text.splitlines() for found in commands(line)))


def commands(line: str) -> list[tuple[str, str]]:
    """(start folder, pattern) of each unittest discovery on one line of a command file, however it is quoted:
    a TOML string holding the command (``test = 'python -m unittest discover -p "*tests.py"'``) is read again."""
    words = _words(line)
    found: list[tuple[str, str]] = []
    for number, word in enumerate(words):
        if " " in word and "unittest" in word:
            found.extend(commands(word))
        elif word == "unittest" and number and words[number - 1] == "-m":
            args = words[number + 1 :]
            args = args[: next((i for i, a in enumerate(args) if a in _SHELL_BREAKS), len(args))]
            if (where := _discovery(args)) is not None:
                found.append(where)
    return found


def _discovery(args: list[str]) -> tuple[str, str] | None:
    """``discover -s mkdocs -p '*tests.py'`` -> ("mkdocs", "*tests.py"); a bare ``unittest`` (options alone)
    discovers with the defaults; ``unittest tests.test_x`` names modules, which is no discovery."""
    discover = bool(args) and args[0] == "discover"
    args = [a.replace("{toxinidir}", ".") for a in (args[1:] if discover else args)]  # Markdown's tox.ini
    args = [a for a in args if "{" not in a]  # tox's {posargs}
    try:
        parsed, _ = _PARSER.parse_known_args(args)
    except argparse.ArgumentError:
        return None
    if not discover and parsed.positional:
        return None
    start, pattern, *_ = [*parsed.positional, None, None] if discover else [None, None]
    start = (parsed.start_directory or start or ".").strip()
    folder = PurePosixPath(start.removeprefix("./"))
    if folder.is_absolute() or ".." in folder.parts:
        return None
    return ("" if str(folder) == "." else str(folder)), (parsed.pattern or pattern or DEFAULT_PATTERN)


def _words(line: str) -> list[str]:
    try:  # a TOML list's item ends in a comma outside its quotes: "... -p '*tests.py'",
        return [w.removesuffix(",") for w in shlex.split(line, comments=False)]
    except ValueError:  # an unbalanced quote, as in a TOML line shlex cannot close: the plain words still say it
        return [w.strip("'\",[]") for w in line.split()]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(add_help=False, exit_on_error=False)
    parser.add_argument("-s", "--start-directory")
    parser.add_argument("-p", "--pattern")
    parser.add_argument("-t", "--top-level-directory")
    parser.add_argument("-k", action="append")
    parser.add_argument("--durations")
    parser.add_argument("positional", nargs="*")
    return parser


_PARSER = _parser()
