"""What tox installs for a project's tests: its ``[testenv]`` deps and extras, wherever tox reads them.

A built environment installs them beside the project's own test extras, because
many projects list their test dependencies only there: a 2018 itsdangerous
lists freezegun in tox.ini alone, and tqdm's pytest settings need
pytest-asyncio (``--asyncio-mode=strict``), which its tox configuration,
written as ``legacy_tox_ini`` inside pyproject.toml, names through a
``{[core]deps}`` reference to another section.

tox reads tox.ini first, then pyproject.toml's ``[tool.tox]`` (an ini text
under ``legacy_tox_ini``, or tox 4's native ``env_run_base`` table), then
tox.toml. Kept: plain requirement lines, ``-r``/``-c`` files inside the tree
(``{toxinidir}/`` and ``{tox_root}/`` understood), ``{[section]key}``
references (under a factor too), tox 4's ``dependency_groups``, the
project's own extras (``.[exchange]``); apart: the lines under a factor of
another env (``django: django``), which authlib's and factory_boy's tests of
Django and SQLAlchemy need (a build tries them first, and goes on without them
when they conflict; one package named under several factors, one version each, is
named once, bare); left out: lines for another Python, negated factors, URLs
and other substitutions.
"""

from __future__ import annotations

import configparser
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from core.tables import ini_file, ini_text, pyproject_of, strings_in, table_at, toml_file
from tools.envvars import path_folders, project_may_set
from tools.reqfiles import COMMENT, parsed_requirement

_REFERENCE = re.compile(r"^\{\[([^\]]+)\]([\w-]+)\}$")


# A factor-conditional line: `django: django`, `py311-django42: Django<4.3`, `{py38,py39}-flask: flask`, `!pypy: x`
_FACTORED = re.compile(r"^([\w.,!{}-]+):\s*([^/\s].*)$")
# the project itself with extras, as tox's deps name it: `.[exchange]`, `-e {toxinidir}[test]`, `-e ".[tests]"`
_OWN = re.compile(r"""^(?:(?:-e|--editable)\s*)?(["']?)(?:\.|\{toxinidir\}|\{tox_root\})/?\[([\w.,\s-]+)\]\1$""")
_PYTHON_FACTOR = re.compile(r"^(?:py|pypy|python)\d*(?:\.\d+)?$")
_VERSION = re.compile(r"(?:python|py)(\d)\.?(\d+)")  # an interpreter basepython names: python3.9, py39


@dataclass(frozen=True)
class ToxNeeds:
    """What tox installs for the env of this Python: uv arguments, extras and PEP 735 groups; and, apart, the
    arguments and groups under the other factors of its envs (``django: django``)."""

    deps: list[str] = field(default_factory=list)
    extras: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    factored: list[str] = field(default_factory=list)
    factored_groups: list[str] = field(default_factory=list)

    @property
    def requirements(self) -> list[str]:
        """The deps that are requirement lines: not the ``-r``/``-c`` files, nor their names."""
        files = {i + 1 for i, arg in enumerate(self.deps) if arg in ("-r", "-c")}
        return [arg for i, arg in enumerate(self.deps) if i not in files and arg not in ("-r", "-c")]


def tox_requirements(tree: Path, python: str) -> ToxNeeds:
    """What tox installs for the project in ``tree`` in the environment it would run on Python ``python``
    ("3.11"); empty without a tox config."""
    env = "py" + python.replace(".", "")
    tox = table_at(pyproject_of(tree), "tool", "tox")
    if (tree / "tox.ini").is_file() or isinstance(tox.get("legacy_tox_ini"), str):
        return _from_ini(_ini_config(tree), tree, env)
    if tox:
        return _from_table(table_at(tox, "env_run_base"), tree)
    return _from_table(table_at(toml_file(tree / "tox.toml"), "env_run_base"), tree)


def _ini_config(tree: Path) -> configparser.ConfigParser | None:
    """tox's configuration where it is an ini text: tox.ini, else pyproject.toml's ``legacy_tox_ini``."""
    if (tree / "tox.ini").is_file():
        return ini_file(tree / "tox.ini")
    legacy = table_at(pyproject_of(tree), "tool", "tox").get("legacy_tox_ini")
    return ini_text(legacy) if isinstance(legacy, str) else None


def tox_pythonpath(tree: Path) -> list[Path]:
    """The folders of ``tree`` that tox's ``[testenv] setenv`` puts on ``PYTHONPATH`` (``{toxinidir}`` read as the
    root), in tox.ini or ``legacy_tox_ini``: microdot's ``PYTHONPATH=libs/common`` holds the utemplate its package
    imports, and without it every test failed on every commit, so none judged anything."""
    found = []
    for line in _testenv(tree, "setenv"):
        name, equals, value = line.partition("=")
        if equals and name.strip() == "PYTHONPATH":
            found += path_folders(tree, _rooted(value.strip(), "."))
    return list(dict.fromkeys(found))


def tox_setenv(tree: Path) -> dict[str, str]:
    """The variables tox's ``[testenv] setenv`` gives the tests: its plain lines, and those under a factor named
    for SQLite, the one database the sandbox holds (it runs in the process): django-silk's settings use a PostgreSQL
    server unless ``sqlite3: DB_ENGINE=sqlite3`` says otherwise, and none of its tests could run here. A value
    with a substitution tox makes (``{env:X}``, ``{envtmpdir}``) is left out, ``{toxinidir}`` read as the tree;
    the names Python, pytest and the sandbox read stay ours (PATH, HOME, TMPDIR, ``PYTHON*``, ``PYTEST_*``), and
    ``PYTHONPATH`` is read apart (``tox_pythonpath``)."""
    found: dict[str, str] = {}
    for line in _testenv(tree, "setenv"):
        if factor := _FACTORED.match(line):
            if not any("sqlite" in f and not f.startswith("!") for a in _alternatives(factor[1]) for f in a):
                continue
            line = factor[2]
        name, equals, value = (part.strip() for part in line.partition("="))
        value = _rooted(value, str(tree))
        if len(value) > 1 and value[0] == value[-1] and value[0] in "\"'":  # `DB_NAME=":memory:"`
            value = value[1:-1]
        if equals and project_may_set(name, value):
            found[name] = value
    return found


def tox_changedir(tree: Path) -> str:
    """The folder of ``tree`` (repository-relative, "" for its root) that tox's ``[testenv] changedir`` runs the
    commands in: django-auditlog's ``changedir = auditlog_tests`` runs ``./manage.py test`` there."""
    named = _rooted(next(iter(_testenv(tree, "changedir")), ""), ".")
    folder, root = (tree / named).resolve(), tree.resolve()
    if not named or "{" in named or not folder.is_dir() or not folder.is_relative_to(root):
        return ""
    return "" if folder == root else folder.relative_to(root).as_posix()


def _testenv(tree: Path, key: str) -> list[str]:
    """The lines of ``[testenv]``'s ``key`` in ``tree``'s tox configuration (none where it has no ini one)."""
    parser = _ini_config(tree)
    return _lines(parser, "testenv", key, depth=3) if parser is not None else []


def _rooted(text: str, root: str) -> str:
    """``text`` with tox's substitutions for the tree's folder (``{toxinidir}``, ``{tox_root}``) read as ``root``,
    and its path separator (``{/}``) as ``/``."""
    return text.replace("{toxinidir}", root).replace("{tox_root}", root).replace("{/}", "/")


def _alternatives(factors: str) -> list[list[str]]:
    """The factor combinations a line's condition names, each a list of factors: ``{py310,py311}-sqla`` is
    ``py310-sqla`` or ``py311-sqla``, and ``django,flask`` is either."""
    return [a.split("-") for e in _expand(factors) for a in e.split(",")]


def _split(
    lines: list[str], env: str, elsewhere: frozenset[frozenset[str]] = frozenset()
) -> tuple[list[str], list[str]]:
    """(the lines that hold for ``env``, those held under another factor of it) of a tox setting: a line for
    another Python, under a negated factor, or for factors whose envs run on another Python (``elsewhere``), is
    in neither."""
    plain: list[str] = []
    factored: list[str] = []
    for line in lines:
        if (match := _FACTORED.match(line)) is None:
            plain.append(line)
            continue
        if "!" in match[1]:  # a negated factor
            continue
        alternatives = _alternatives(match[1])
        ours = [
            a
            for a in alternatives
            if all(f == env or not _PYTHON_FACTOR.match(f) for f in a) and frozenset(a) not in elsewhere
        ]
        if any(all(f == env for f in a) for a in ours):
            plain.append(match[2].strip())
        elif ours:
            factored.append(match[2].strip())
    return list(dict.fromkeys(plain)), list(dict.fromkeys(factored))  # a file two factors name is installed once


def _from_ini(parser: configparser.ConfigParser | None, tree: Path, env: str) -> ToxNeeds:
    """``[testenv]``'s deps, extras and dependency groups, and those of the section for ``env`` ("py311"):
    markdown-it-py installs its linkify extra, which its tests need, from ``[testenv:py{310,311,312,313}]``."""
    if parser is None:
        return ToxNeeds()
    sections = ["testenv", *(s for s in parser.sections() if s.startswith("testenv:") and env in _expand(s[8:]))]
    elsewhere = _on_other_pythons(_lines(parser, "testenv", "basepython", depth=3), env)

    def setting(key: str) -> tuple[list[str], list[str]]:
        lines = [line for section in sections for line in _lines(parser, section, key, depth=3)]
        return _split(list(dict.fromkeys(lines)), env, elsewhere)

    (deps, factored), (extras, _), (groups, factored_groups) = (
        setting("deps"),
        setting("extras"),
        setting("dependency_groups"),
    )
    return ToxNeeds(
        _arguments(deps, tree),
        _extras([e for line in [*extras, *_own_extras(deps)] for e in line.split(",")]),
        _extras(groups),
        _one_of_each(_arguments(factored, tree)),
        _extras(factored_groups),
    )


def _on_other_pythons(basepython: list[str], env: str) -> frozenset[frozenset[str]]:
    """The factor combinations whose envs ``basepython`` runs on another Python than ``env``'s: itemadapter's
    ``min-attrs,min-scrapy: python3.9`` envs pin the oldest attrs and scrapy they support, which fail to import
    on Python 3.11 (``inspect.ArgSpec``), and installed beside its other factors they broke every test."""
    found: set[frozenset[str]] = set()
    for line in basepython:
        match = _FACTORED.match(line)
        named = _VERSION.fullmatch(match[2].strip()) if match else None
        if match and named and "py" + named[1] + named[2] != env:
            found |= {frozenset(a.split("-")) for e in _expand(match[1]) for a in e.split(",")}
    return frozenset(found)


def _expand(name: str) -> list[str]:
    """tox's env names from a section name: ``py{310,311}`` -> py310, py311; ``py3{10-12}`` -> py310 ... py312."""
    head, brace, rest = name.partition("{")
    if not brace or "}" not in rest:
        return [name]
    inside, _, tail = rest.partition("}")
    choices: list[str] = []
    for part in inside.split(","):
        low, dash, high = part.strip().partition("-")
        if dash and low.isdigit() and high.isdigit() and int(high) - int(low) < 100:
            choices += [str(n) for n in range(int(low), int(high) + 1)]
        else:
            choices.append(part.strip())
    return [head + choice + end for choice in choices for end in _expand(tail)]


def _lines(parser: configparser.ConfigParser, section: str, key: str, depth: int) -> list[str]:
    """A setting's lines without comments, each ``{[other]key}`` line replaced by that setting's own (to ``depth``
    references). tox drops a comment after a value as pip does: vulture's ``pint  # Use latest version`` is pint,
    and kept whole it was a requirement uv refused, which dropped tox's deps and its pytest-cov with them."""
    try:
        value = parser.get(section, key, fallback="")
    except configparser.Error:
        return []
    lines: list[str] = []
    for raw in value.splitlines():
        line = COMMENT.sub("", raw).strip()
        factor = _FACTORED.match(line)
        if (reference := _REFERENCE.match(line)) and depth > 0:
            lines += _lines(parser, reference[1], reference[2], depth - 1)
        elif factor and (reference := _REFERENCE.match(factor[2].strip())) and depth > 0:
            # under a factor (django-money's `django42: {[django]42}`): each of its lines, under that factor
            lines += [f"{factor[1]}: {inner}" for inner in _lines(parser, reference[1], reference[2], depth - 1)]
        elif line:
            lines.append(line)
    return lines


def _from_table(table: dict[str, Any], tree: Path) -> ToxNeeds:
    return ToxNeeds(
        _arguments(strings_in(table.get("deps")), tree),
        _extras(strings_in(table.get("extras"))),
        _extras(strings_in(table.get("dependency_groups"))),
    )


def _arguments(lines: list[str], tree: Path) -> list[str]:
    """uv arguments for tox's deps: requirement lines as they are, ``-r``/``-c`` files that exist inside ``tree``
    (tox's ``{/}`` is the path separator: cheroot's ``-rdependencies{/}tests.in`` holds its pytest-cov)."""
    root = tree.resolve()
    args: list[str] = []
    for raw in lines:
        line = raw.strip().replace("{/}", "/").replace("{toxinidir}/", "").replace("{tox_root}/", "")
        if line.startswith(("-r", "-c")) and "{" not in line:
            named = line[2:].strip()
            if named and (root / named).is_file() and (root / named).resolve().is_relative_to(root):
                args += [line[:2], named]
        elif line and not line.startswith(("-", "#", "{", ".")) and "{" not in line and ":" not in line:
            args.append(line)
    return args


def _one_of_each(args: list[str]) -> list[str]:
    """Factor lines that name one package more than once, as its bare name, once: they are alternatives, one env
    each (django-constance's ``dj42: django>=4.2,<4.3`` ... ``dj52: django>=5.2,<5.3``), which no one install
    holds, so the build went on without any, and every test failed for want of Django. Its name alone takes the
    newest of the build's date."""
    named: dict[str, list[tuple[int, Requirement]]] = {}
    for at, arg in enumerate(args):
        if (requirement := parsed_requirement(arg)) is not None:
            named.setdefault(canonicalize_name(requirement.name), []).append((at, requirement))
    bare: dict[int, str] = {}  # where a repeated name is first: the name, with every extra any of its lines asks
    for name, lines in named.items():
        extras = sorted({extra for _, requirement in lines for extra in requirement.extras})
        if len(lines) > 1:
            bare |= {at: "" for at, _ in lines} | {lines[0][0]: name + (f"[{','.join(extras)}]" if extras else "")}
    return [bare.get(at, arg) for at, arg in enumerate(args) if bare.get(at, arg)]


def _own_extras(deps: list[str]) -> list[str]:
    """The extras of the project itself that deps install (django-money's ``.[exchange]``, which holds the certifi
    its exchange tests import; ``-e {toxinidir}[test]``): the build installs the project with them."""
    return [found[2] for line in deps if (found := _OWN.match(line.strip()))]


def _extras(names: list[str]) -> list[str]:
    return [e.strip() for e in names if e.strip() and "{" not in e and ":" not in e]
