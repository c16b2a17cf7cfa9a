"""The Lark grammars patchgate generates and validates config files with.

The same ``.lark`` file drives llguidance during local generation and the
``lark`` parser when checking a hosted model's answer, so both paths agree on
what a valid document is.

A context-free grammar cannot say that two values are equal (a Deployment's
selector and its pod template's labels). Such values are one terminal used in
several places, listed in ``TIES``; a local generator ``specialise``s the
grammar with one value per tie before it decodes, so they are equal by
construction. An alternative of ``start`` named ``gpu_*`` requests GPUs.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

from core.errors import InputError

GRAMMARS = ("json", "yaml", "toml", "kubernetes")

# grammar -> terminal -> what the one value stands for (said to the model that chooses it)
TIES: dict[str, dict[str, str]] = {
    "kubernetes": {
        "APP": "the app label that the selector, the pod template and a Service share",
        "MEM": "the container's memory request, also its limit",
        "GPUS": "how many GPUs the container requests, also its limit",
    },
}
GPU_PREFIX = "gpu_"


def grammar_text(name: str) -> str:
    """The Lark source of a shipped grammar; an unknown name lists the valid ones."""
    if name not in GRAMMARS:
        raise InputError(f"unknown grammar {name!r}; valid: {', '.join(GRAMMARS)}")
    return resources.files("core.grammars").joinpath(f"{name}.lark").read_text(encoding="utf-8")


def start_alternatives(name: str) -> list[str]:
    """The rules ``start`` chooses between (one for a grammar whose start is a single expression)."""
    line = re.search(r"^start:(.*)$", grammar_text(name), flags=re.M)
    body = line.group(1) if line else ""
    parts = [p.strip() for p in body.split("|")]
    return parts if all(re.fullmatch(r"[a-z_][a-z0-9_]*", p) for p in parts) else [body.strip()]


def specialise(name: str, *, start: list[str] | None = None, fixed: dict[str, str] | None = None) -> str:
    """Grammar ``name`` with ``start`` narrowed to some of its alternatives and tie terminals fixed to values.

    A fixed value must be one the terminal itself matches (``"web"`` with its quotes for a quoted name),
    so the specialised grammar only ever writes documents the original grammar accepts.
    """
    text = grammar_text(name)
    if start is not None:
        unknown = sorted(set(start) - set(start_alternatives(name)))
        if unknown or not start:
            raise InputError(f"grammar {name} has no start alternative {', '.join(unknown) or '(none given)'}")
        text = _replace_rule(text, "start", " | ".join(start))
    for terminal, value in (fixed or {}).items():
        if terminal not in TIES.get(name, {}):
            raise InputError(f"grammar {name} has no tie {terminal}; ties: {', '.join(TIES.get(name, {})) or 'none'}")
        if not tie_matches(name, terminal, value):
            raise InputError(f"{value!r} is not a value of {terminal} in grammar {name}")
        literal = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
        text = _replace_rule(text, terminal, literal)
    return text


def _replace_rule(text: str, name: str, body: str) -> str:
    """``text`` with the one-line definition of rule or terminal ``name`` replaced by ``name: body``."""
    return re.sub(rf"^{name}:.*$", lambda _: f"{name}: {body}", text, count=1, flags=re.M)


def ties_text(name: str, terminals: list[str]) -> str:
    """Grammar ``name`` rewritten to write one ``TERMINAL: value`` line per tie in ``terminals``, nothing else."""
    unknown = [t for t in terminals if t not in TIES.get(name, {})]
    if unknown or not terminals:
        raise InputError(f"grammar {name} has no tie {', '.join(unknown) or '(none given)'}")
    return _replace_rule(grammar_text(name), "start", " ".join(f'"{t}: " {t} "\\n"' for t in terminals))


def read_ties(text: str) -> dict[str, str]:
    """The values of a document written under ``ties_text``."""
    return dict(line.split(": ", 1) for line in text.splitlines() if ": " in line)


def tie_matches(name: str, terminal: str, value: str) -> bool:
    """Whether ``value`` is one the tie ``terminal`` of grammar ``name`` matches."""
    import lark

    try:
        _terminal_parser(name, terminal).parse(value)
    except lark.exceptions.LarkError:
        return False
    return True


@cache
def _terminal_parser(name: str, terminal: str):
    import lark

    return lark.Lark(_replace_rule(grammar_text(name), "start", terminal), parser="earley", lexer="dynamic")


@cache
def _parser(name: str):
    import lark

    return lark.Lark(grammar_text(name), parser="earley", lexer="dynamic")


def parse_error(name: str, text: str) -> str | None:
    """None if ``text`` parses under grammar ``name``, else the parser's message (one line)."""
    import lark

    try:
        _parser(name).parse(text)
    except lark.exceptions.LarkError as exc:
        return " ".join(str(exc).split())[:300]
    return None
