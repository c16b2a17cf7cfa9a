"""Structured answers: parse, validate, one repair round, then an error (never a guess).

Shared by every provider: the provider supplies ``ask`` (one call returning
text, already constrained as well as it can) and this module owns validation
and the repair prompt that shows the model what was wrong.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from patchgate.agent.models.base import Completion, Message, Usage
from patchgate.errors import OutputValidationError

T = TypeVar("T", bound=BaseModel)


def schema_instruction(schema: type[BaseModel]) -> str:
    """The system text that asks for JSON when the server cannot enforce a schema."""
    return ("Answer with exactly one JSON object and nothing else (no prose, no code fence). "
            f"It must validate against this JSON Schema:\n{json.dumps(schema.model_json_schema(), sort_keys=True)}")


def validate_answer(text: str, schema: type[T]) -> T:
    """Parse ``text`` as ``schema``; tolerate a Markdown code fence around the JSON."""
    body = text.strip()
    if body.startswith("```"):
        body = body.split("\n", 1)[1] if "\n" in body else ""
        body = body.rsplit("```", 1)[0]
    return schema.model_validate_json(body)


def add_usage(total: Usage, extra: Usage) -> Usage:
    """Sum two calls' usage (a repair round costs a second call)."""
    return Usage(total.prompt_tokens + extra.prompt_tokens, total.completion_tokens + extra.completion_tokens,
                 total.latency_s + extra.latency_s, total.retries + extra.retries)


def structured_with_repair(ask: Callable[[list[Message]], Completion], messages: list[Message],
                           schema: type[T]) -> tuple[T, Usage]:
    """Ask, validate, and on failure ask once more with the validation error in the prompt."""
    first = ask(messages)
    try:
        return validate_answer(first.text, schema), first.usage
    except ValidationError as exc:
        problem = _describe(exc)
    repair = [*messages, Message("assistant", first.text),
              Message("user", f"That answer is not valid: {problem}\n"
                              f"Reply again with only the corrected JSON object for {schema.__name__}.")]
    second = ask(repair)
    usage = add_usage(first.usage, second.usage)
    try:
        return validate_answer(second.text, schema), usage
    except ValidationError as exc:
        raise OutputValidationError(
            f"the model's answer is not a valid {schema.__name__} after one repair round: {_describe(exc)}") from None


def _describe(exc: ValidationError) -> str:
    """A short, model-readable list of what failed (at most five problems)."""
    parts = []
    for error in exc.errors()[:5]:
        where = ".".join(str(p) for p in error["loc"]) or "(root)"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)
