"""Which files are tests in a project that never configures pytest, read from the command that runs them.

mkdocs' tests are unittest files named ``*tests.py``, run by a hatch script
(``python -m unittest discover -s mkdocs -p "*tests.py"``). pytest's default
``test_*.py`` names none of them, so the related-test selection found none and
every review said "no related tests" with the project's tests unrun. pytest runs
unittest's ``TestCase`` classes in any file it is given by path, so once the
project's command says which files are tests, the tests gate runs them as it
runs any other.

The command is read where projects state their commands (pyproject.toml's
hatch, pdm or poe scripts, tox.ini, setup.cfg, hatch.toml, noxfile.py, a
Makefile, the GitHub workflows), and only counts when no file configures pytest:
a project that does is run the way its pytest settings say. unittest's own
rules: ``discover`` with ``-s``/``--start-directory`` (default ``.``) and
``-p``/``--pattern`` (default ``test*.py``, matched against file names), or the
same as positional arguments; a bare ``python -m unittest`` discovers with the
defaults; ``python -m unittest tests.test_x`` and ``python tests/test.py`` name
their test module (one whose name starts with ``test``), and so does ``coverage
run`` in python's place; a named module adds itself to pytest's default names,
narrowing nothing. python-slugify keeps its tests in ``test.py`` and runs
``pytest test.py`` (tox) or ``coverage run test.py`` (CI): pytest collects a
file named on its command line whatever its name, so a named test module is a
test beside pytest's default names over the whole tree. Django's test runner
(``manage.py test``, ``runtests.py``: ``tools.djangotests``) is unittest's discovery
with its defaults: a Django app keeps its tests in ``tests.py`` (django-mptt's
``tests/myapp/tests.py``), and a fix to the app selected none of them. Left out:
unittest only enters folders that are packages, which is not checked here.
"""

from __future__ import annotations

import argparse
import re
import shlex
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from tools.commandfiles import command_files, command_lines
from tools.djangotests import settings_module
from tools.gate import text_in
from tools.pytestconfig import DEFAULT_FILES, PytestConfig, read_pytest_config

DEFAULT_PATTERN = "test*.py"
_SHELL_BREAKS = {"&&", "||", ";", "|", ")", "&"}
_PYTHON = re.compile(r"python[0-9.]*")
# the interpreter as a variable: tox's {envpython} (feedparser's ``{envpython} -Wd tests/runtests.py``), make's $(PYTHON)
_PYTHON_VARIABLE = re.compile(r"\{envpython\}|\$[({]?python[0-9]*[)}]?", re.IGNORECASE)
_RUNNERS = ("unittest", "python", "pytest", "py.test", "coverage")  # a line naming none of them runs no test
# the word before a command (a workflow's ``run:``, ``python -m``, ``uv run``, tox's ``commands =``, a shell's)
_STARTS = {"run:", "-m", "run", "=", "&&", ";", "||", "exec"}
# pytest's options that take no value (a short one joined to its value, ``-ra``, ``-vv``, takes none either)
_PYTEST_FLAGS = {
    *("-v", "-q", "-s", "-x", "-l", "--verbose", "--quiet", "--exitfirst", "--showlocals", "--pdb", "--lf", "--ff"),
    *("--last-failed", "--failed-first", "--new-first", "--nf", "--sw", "--stepwise", "--strict-markers"),
    *("--strict-config", "--strict", "--doctest-modules", "--no-header", "--disable-warnings", "--runxfail"),
    *("--no-cov", "--pyargs", "--disable-pytest-warnings", "--full-trace", "--setup-show", "--collect-only"),
}


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
        runner="the test command",
    )


def discoveries(tree: Path) -> list[Discovery]:
    """Every unittest run the project's command files state (``discover``, a bare ``python -m unittest``, a test
    module named), in order."""
    found = [
        Discovery(start, pattern, name)
        for name in command_files(tree)
        for start, pattern in stated(text_in(tree, name))
    ]
    if django := settings_module(tree):  # Django's runner discovers as unittest does, from its working folder
        found.append(Discovery("", DEFAULT_PATTERN, django.source))
    return list(dict.fromkeys(found))


def stated(text: str | None) -> list[tuple[str, str]]:
    """(start folder, pattern) of every unittest discovery in one command file's ``text``, in order."""
    if not text:
        return []
    lines = (line for line in text.splitlines() if any(runner in line for runner in _RUNNERS))
    return list(dict.fromkeys(found for line in lines for found in commands(line)))


def commands(line: str) -> list[tuple[str, str]]:
    """(start folder, pattern) of each unittest discovery, test script or file pytest is given on one line of a
    command file, however it is quoted: a TOML string holding the command (``test = 'python -m unittest discover
    -p "*tests.py"'``) is read again."""
    words = _words(line)
    found: list[tuple[str, str]] = []
    for number, word in enumerate(words):
        name, rest = PurePosixPath(word).name, words[number + 1 :]
        if " " in word and any(runner in word for runner in _RUNNERS):
            found.extend(commands(word))
        elif word == "unittest" and number and words[number - 1] == "-m":
            found.extend(_unittest(_arguments(rest)))
        elif name in ("pytest", "py.test"):
            found.extend(_given_to_pytest(_arguments(rest)))
        elif script := _runs_script(name, rest):
            found.extend(_named([script]))
    return found


def _runs_script(name: str, rest: list[str]) -> str | None:
    """The script a ``python`` or ``coverage run`` word runs, or None."""
    if _PYTHON.fullmatch(name) or _PYTHON_VARIABLE.fullmatch(name):
        return _script(rest)
    return _script(rest[1:]) if name == "coverage" and rest[:1] == ["run"] else None


def _script(rest: list[str]) -> str | None:
    """The script ``python tests/test.py`` (decorator's CI) or ``coverage run --source=x test.py`` runs, without
    ``.py``: its first argument that is a ``.py`` file; None for ``-m``, ``-c`` ..."""
    for arg in _arguments(rest):
        if arg in ("-m", "-c"):
            return None
        if arg.endswith(".py") and not arg.startswith("-"):
            return arg.removesuffix(".py")
    return None


def _given_to_pytest(args: list[str]) -> list[tuple[str, str]]:
    """The test modules named on a pytest command line (``pytest test.py``, ``pytest tests/test_x.py::TestX``):
    a file named is a test whatever its name."""
    files = [a.split("::")[0] for a in args if not a.startswith("-") and a.split("::")[0].endswith(".py")]
    return _named([f.removesuffix(".py") for f in files])


def _arguments(rest: list[str]) -> list[str]:
    """The words of one command, up to a shell's ``&&``, ``;`` or ``|``, tox's ``{toxinidir}`` read as the root
    and its ``{posargs:docs parsel tests}`` as the words it runs with when given none (parsel's)."""
    end = next((i for i, word in enumerate(rest) if word in _SHELL_BREAKS), len(rest))
    words, default = [], False
    for word in rest[:end]:
        if word.startswith("{posargs:"):
            word, default = word.removeprefix("{posargs:"), True
        if default and word.endswith("}"):
            word, default = word.removesuffix("}"), False
        if word:
            words.append(word.replace("{toxinidir}", "."))
    return words


def scripts_run(tree: Path) -> dict[str, str]:
    """Every Python script in ``tree`` the project's command files run by path and without arguments (``python
    run_tests.py``, ``coverage run tests/runtests.py``, ``cd test && $(PYTHON) testlex.py``), repository-relative,
    in the order first named, with the folder it runs in ("" for the root)."""
    found: dict[str, str] = {}
    for line in command_lines(tree):
        if "python" in line.lower() or "coverage" in line:
            for script, folder in _scripts(line):
                found.setdefault(script, folder)
    return {script: folder for script, folder in found.items() if (tree / script).is_file()}


def pytest_commands(tree: Path) -> list[list[str]]:
    """The arguments of each pytest run the project's command files state (``py.test --doctest-modules pkg``,
    ``python -m pytest``), in order."""
    return [run.args for run in _pytest_runs_in(tree)]


@dataclass(frozen=True)
class _Run:
    args: list[str]
    command: bool  # pytest is plainly the command run: ``run: pytest``, ``python -m pytest``, a Makefile recipe's
    moved: bool = False  # in another folder: the line changes folder before it (``cd docs && pytest``)


def _pytest_runs_in(tree: Path) -> list[_Run]:
    found: list[_Run] = []
    for line in command_lines(tree):
        if "pytest" in line or "py.test" in line:
            found += _pytest_runs(_words(line), recipe=line.startswith("\t"))
    return found


def _pytest_runs(words: list[str], recipe: bool = False) -> list[_Run]:
    found: list[_Run] = []
    for number, word in enumerate(words):
        if " " in word and ("pytest" in word or "py.test" in word):
            found += _pytest_runs(_words(word), recipe=True)
        elif PurePosixPath(word).name in ("pytest", "py.test"):
            before = words[number - 1] if number else None
            command = before in _STARTS or (before is None and recipe)
            found.append(_Run(_arguments(words[number + 1 :]), command, "cd" in words[:number]))
    return found


def pytest_options(tree: Path) -> set[str]:
    """The long options (``--doctest-modules``) the project's command files give pytest on its command line:
    multipledispatch's CI runs ``py.test --doctest-modules multipledispatch`` and configures no addopts."""
    return {a.partition("=")[0] for args in pytest_commands(tree) for a in args if a.startswith("--")}


def pytest_paths(tree: Path) -> tuple[str, ...]:
    """The folders the project's pytest runs are given (dynaconf's tox and Makefile: ``py.test -m "not integration"
    -v -l tests/``), repository-relative; () where none is, or where a run given no path of the tree collects the
    whole tree or what cannot be told (``pytest``, ``pytest ${{ env.PYTEST_ARGS }}``); a file named narrows nothing
    (``python-slugify``'s ``pytest test.py``). dynaconf keeps example apps in tests_functional/, whose own
    tests/conftest.py pytest refuses beside tests/conftest.py (a second ``tests.conftest``): every review that
    selected one of their tests could run none. A line that changes folder first (``cd docs && pytest``) is another
    folder's."""
    found: list[str] = []
    for run in _pytest_runs_in(tree):
        if run.moved or not run.command:  # a comment's "via 'pytest' ...", a folder of its own
            continue
        given = [path for word in _given_paths(run.args) if (path := _inside(word)) is not None]
        if not any((tree / path).exists() for path in given) or "" in given:  # the whole tree, or we cannot tell
            return ()
        found += [path for path in given if (tree / path).is_dir()]
    return tuple(dict.fromkeys(found))


def _given_paths(args: list[str]) -> list[str]:
    """The words of a pytest command line that are its arguments, not options or their values: a word after an
    option that takes one (``-m "not integration"``, ``--cov-config pyproject.toml``) is the option's."""
    given = []
    for number, word in enumerate(args):
        before = args[number - 1] if number else ""
        joined = len(before) > 2 and before[1] != "-"  # a short option with its value (-ra) or short flags (-vv)
        takes_this = before.startswith("-") and "=" not in before and before not in _PYTEST_FLAGS and not joined
        if not word.startswith("-") and not takes_this:
            given.append(word)
    return given


def unittest_only(tree: Path) -> bool:
    """Whether the project runs its tests with unittest alone: it states a unittest run (``tools.unittestdiscovery``)
    and no pytest run, and configures no pytest. unittest runs only ``TestCase`` classes; contextlib2's tests
    (``python -m unittest discover``, CPython's own) keep shared tests in a mixin, ``TestBaseExitStack``, which
    pytest collected by its name and ran alone, where it fails: a sync of those tests was blocked."""
    return read_pytest_config(tree).source is None and not pytest_commands(tree) and unittest_config(tree) is not None


def _scripts(line: str) -> list[tuple[str, str]]:
    """(script, folder it runs in) for each script one command line runs, however it is quoted (a TOML string
    holding the command too); a ``cd`` earlier on the line moves the folder (ply's Makefile, until 2022: ``cd test
    && $(PYTHON) testlex.py``)."""
    words = _words(line)
    found: list[tuple[str, str]] = []
    at: str | None = ""
    for number, word in enumerate(words):
        if word == "cd" and number + 1 < len(words) and at is not None:
            at = _inside(str(PurePosixPath(at, words[number + 1])))
        elif " " in word and any(runner in word for runner in _RUNNERS):
            found += _scripts(word)
        elif (
            at is not None
            and (script := _runs_script(PurePosixPath(word).name, words[number + 1 :]))
            and not _given_arguments(script, words[number + 1 :])
            and (path := _inside(str(PurePosixPath(at, script)))) is not None
        ):
            found.append((path + ".py", at))
    return found


def _given_arguments(script: str, rest: list[str]) -> bool:
    """Whether the command hands ``script`` arguments of its own (tox's ``{posargs}`` aside): autoflake's CI runs
    ``python test_fuzz.py ./*.py``, a fuzzer that, run bare, walks every folder on ``sys.path``. Such a run is the
    command's, with its arguments, and not a test that runs the same without them."""
    args = _arguments(rest)
    at = next((i for i, arg in enumerate(args) if arg.removesuffix(".py") == script), len(args))
    return any(not (arg.startswith("{") and arg.endswith("}")) for arg in args[at + 1 :])


def _unittest(args: list[str]) -> list[tuple[str, str]]:
    """``discover -s mkdocs -p '*tests.py'`` -> ("mkdocs", "*tests.py"); a bare ``unittest`` (options alone)
    discovers with the defaults; ``unittest tests.test_x`` names its test modules."""
    discover = bool(args) and args[0] == "discover"
    args = [a for a in (args[1:] if discover else args) if "{" not in a]  # tox's {posargs}
    try:
        parsed, _ = _PARSER.parse_known_args(args)
    except argparse.ArgumentError:
        return []
    if not discover and parsed.positional:
        return _named([name.removesuffix(".py").replace(".", "/") for name in parsed.positional])
    start, pattern, *_ = [*parsed.positional, None, None] if discover else [None, None]
    folder = _inside(parsed.start_directory or start or ".")
    return [] if folder is None else [(folder, parsed.pattern or pattern or DEFAULT_PATTERN)]


def _named(modules: list[str]) -> list[tuple[str, str]]:
    """(folder, file name) of each module path a command names, when it is a test module (its name starts with
    ``test``): ``tests/test`` -> ("tests", "test.py"), with pytest's default names over the whole tree beside them:
    a command that runs one module does not make the project's other tests any less its tests (autoflake's CI runs
    ``python test_fuzz.py``, a fuzzer, and ``pytest`` for its tests in test_autoflake.py, which went unselected and
    every review found no test). A class or method after it (``tests.test_x.TestY``) is not told apart from a module
    without the tree, so only names whose last part is the test module count."""
    found = []
    for module in modules:
        path = PurePosixPath(module)
        if path.name.startswith("test") and (folder := _inside(str(path.parent))) is not None:
            found.append((folder, path.name + ".py"))
    return [*found, *(("", default) for default in DEFAULT_FILES)] if found else []


def _inside(start: str) -> str | None:
    """``start`` as a repository-relative folder ("" for the root), or None when it leaves the tree."""
    folder = PurePosixPath(start.strip().removeprefix("./"))
    if folder.is_absolute() or ".." in folder.parts:
        return None
    return "" if str(folder) == "." else str(folder)


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
