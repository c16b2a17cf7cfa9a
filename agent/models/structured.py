"""Structured answers: parse, validate, one repair round, then an error (never a guess).

Shared by every provider: the provider supplies ``ask`` (one call returning
text, already constrained as well as it can) and this module owns validation
and the repair prompt that shows the model what was wrong.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from agent.models.base import Completion, Message, Usage
from core.errors import OutputValidationError

T = TypeVar("T", bound=BaseModel)


def schema_instruction(schema: type[BaseModel]) -> str:
    """The system text that asks for JSON when the server cannot enforce a schema."""
    return (
        "Answer with exactly one JSON object and nothing else (no prose, no code fence). "
        f"It must validate against this JSON Schema:\n{json.dumps(schema.model_json_schema(), sort_keys=True)}"
    )


def validate_answer(text: str, schema: type[T]) -> T:
    """The first JSON object in ``text`` that validates as ``schema``: the whole answer, a fenced block, or
    an object inside prose (chat models wrap JSON in sentences and Markdown fences).

    When none validates, the error is the one of the most plausible candidate (the whole answer, else the
    first object found), so the repair round shows the model what was wrong.
    """
    candidates = json_candidates(text)
    first_error: ValidationError | None = None
    for body in candidates:
        try:
            return schema.model_validate_json(body)
        except ValidationError as exc:
            first_error = first_error or exc
    if first_error is not None and candidates[0] != text.strip():
        raise first_error
    return schema.model_validate_json(text.strip())


FENCE = re.compile(r"^\s*(`{3,}|~{3,})[^\n]*\n(.*?)^\s*\1\s*$", re.S | re.M)


def json_candidates(text: str) -> list[str]:
    """Texts in ``text`` that parse as JSON objects, most likely first: the whole, fenced blocks, bare objects."""
    found: list[str] = []
    decoder = json.JSONDecoder()
    pieces = [text.strip(), *(m.group(2).strip() for m in FENCE.finditer(text))]
    for piece in pieces:
        if _is_object(piece):
            found.append(piece)
    for start in (m.start() for m in re.finditer(r"\{", text)):
        try:
            value, end = decoder.raw_decode(text, start)
        except ValueError:
            continue
        if isinstance(value, dict):
            found.append(text[start:end])
    return list(dict.fromkeys(found))


def _is_object(piece: str) -> bool:
    try:
        return isinstance(json.loads(piece), dict)
    except ValueError:
        return False


def structured_with_repair(
    ask: Callable[[list[Message]], Completion], messages: list[Message], schema: type[T]
) -> tuple[T, Usage]:
    """Ask, validate, and on failure ask once more with the validation error in the prompt."""
    first = ask(messages)
    try:
        return validate_answer(first.text, schema), first.usage
    except ValidationError as exc:
        problem = _describe(exc)
    repair = [
        *messages,
        Message("assistant", first.text),
        Message(
            "user",
            f"That answer is not valid: {problem}\n"
            f"Reply again with only the corrected JSON object for {schema.__name__}.",
        ),
    ]
    second = ask(repair)
    usage = first.usage + second.usage  # a repair round costs a second call
    try:
        return validate_answer(second.text, schema), usage
    except ValidationError as exc:
        raise OutputValidationError(
            f"the model's answer is not a valid {schema.__name__} after one repair round: {_describe(exc)}"
        ) from None


def _describe(exc: ValidationError) -> str:
    """A short, model-readable list of what failed (at most five problems)."""
    parts = []
    for error in exc.errors()[:5]:
        where = ".".join(str(p) for p in error["loc"]) or "(root)"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)
