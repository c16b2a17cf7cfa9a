"""The Lark grammars patchgate generates and validates config files with.

The same ``.lark`` file drives llguidance during local generation and the
``lark`` parser when checking a hosted model's answer, so both paths agree on
what a valid document is.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from core.errors import InputError

GRAMMARS = ("json", "yaml", "toml", "kubernetes")


def grammar_text(name: str) -> str:
    """The Lark source of a shipped grammar; an unknown name lists the valid ones."""
    if name not in GRAMMARS:
        raise InputError(f"unknown grammar {name!r}; valid: {', '.join(GRAMMARS)}")
    return resources.files("core.grammars").joinpath(f"{name}.lark").read_text(encoding="utf-8")


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
