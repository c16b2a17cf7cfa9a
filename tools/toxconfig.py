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
references; left out: factor-conditional lines, URLs and other substitutions.
"""

from __future__ import annotations

import configparser
import re
from pathlib import Path
from typing import Any

from core.tables import pyproject_of, table_at, toml_file

_REFERENCE = re.compile(r"^\{\[([^\]]+)\]([\w-]+)\}$")
# A comment: a whole line, or from whitespace and `#` to the line's end (pip's rule; `pkg#egg=x` is no comment).
_COMMENT = re.compile(r"(?:^|\s+)#.*$")


def tox_requirements(tree: Path, python: str) -> tuple[list[str], list[str]]:
    """(uv arguments for tox's test deps, tox's extras) of the project in ``tree`` for the environment tox would
    run on Python ``python`` ("3.11"); empty without a tox config."""
    env = "py" + python.replace(".", "")
    if (tree / "tox.ini").is_file():
        return _from_ini(_ini(tree / "tox.ini"), tree, env)
    tox = table_at(pyproject_of(tree), "tool", "tox")
    if isinstance(tox.get("legacy_tox_ini"), str):
        return _from_ini(_ini_text(tox["legacy_tox_ini"]), tree, env)
    if tox:
        return _from_table(table_at(tox, "env_run_base"), tree)
    return _from_table(table_at(toml_file(tree / "tox.toml"), "env_run_base"), tree)


def _ini(path: Path) -> configparser.ConfigParser | None:
    try:
        return _ini_text(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return None


def _ini_text(text: str) -> configparser.ConfigParser | None:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error:
        return None
    return parser


def _from_ini(parser: configparser.ConfigParser | None, tree: Path, env: str) -> tuple[list[str], list[str]]:
    """``[testenv]``'s deps and extras, and those of the section for ``env`` ("py311"): markdown-it-py installs its
    linkify extra, which its tests need, from ``[testenv:py{310,311,312,313}]``."""
    if parser is None:
        return [], []
    sections = ["testenv", *(s for s in parser.sections() if s.startswith("testenv:") and env in _expand(s[8:]))]
    deps = [line for section in sections for line in _lines(parser, section, "deps", depth=3)]
    extras = [line for section in sections for line in _lines(parser, section, "extras", depth=3)]
    return _arguments(list(dict.fromkeys(deps)), tree), _extras([e for line in extras for e in line.split(",")])


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
        line = _COMMENT.sub("", raw).strip()
        if (reference := _REFERENCE.match(line)) and depth > 0:
            lines += _lines(parser, reference[1], reference[2], depth - 1)
        elif line:
            lines.append(line)
    return lines


def _from_table(table: dict[str, Any], tree: Path) -> tuple[list[str], list[str]]:
    deps, extras = table.get("deps"), table.get("extras")
    return (
        _arguments([d for d in deps if isinstance(d, str)] if isinstance(deps, list) else [], tree),
        _extras([e for e in extras if isinstance(e, str)] if isinstance(extras, list) else []),
    )


def _arguments(lines: list[str], tree: Path) -> list[str]:
    """uv arguments for tox's deps: requirement lines as they are, ``-r``/``-c`` files that exist inside ``tree``."""
    root = tree.resolve()
    args: list[str] = []
    for raw in lines:
        line = raw.strip().replace("{toxinidir}/", "").replace("{tox_root}/", "")
        if line.startswith(("-r", "-c")) and "{" not in line:
            named = line[2:].strip()
            if named and (root / named).is_file() and (root / named).resolve().is_relative_to(root):
                args += [line[:2], named]
        elif line and not line.startswith(("-", "#", "{", ".")) and "{" not in line and ":" not in line:
            args.append(line)
    return args


def _extras(names: list[str]) -> list[str]:
    return [e.strip() for e in names if e.strip() and "{" not in e and ":" not in e]
