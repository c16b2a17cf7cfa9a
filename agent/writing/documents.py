"""``patchgate generate``: a document that parses, from a local or a hosted model.

Local models decode under the grammar (``constrained.BudgetedGuide``): the
document parses under the grammar by construction. A grammar is context-free,
so what it cannot say (a TOML key defined twice) is checked afterwards with
the parse gate's own check, and a document it rejects is sampled again.
Hosted models use an OpenAI custom tool with
the same Lark grammar where the server supports it; otherwise their free-text
answer is checked with lark (or the JSON Schema) and retried with the error.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from agent.models.base import (
    ConstrainedModel,
    GrammarToolModel,
    Message,
    Model,
)
from core.errors import GateFailure, ModelError
from core.grammars import grammar_text, parse_error

HOSTED_ATTEMPTS = 3


@dataclass
class Document:
    """A generated document and how it came to be."""

    text: str
    model: str
    attempts: int = 1
    constrained: bool = False
    forced_close: bool = False


def document_prompt(instruction: str, *, grammar: str | None, schema: dict[str, Any] | None) -> list[Message]:
    """The instruction plus what kind of document is wanted."""
    kind = f"a {grammar} document" if grammar else "one JSON value matching this JSON Schema:\n" + json.dumps(schema)
    return [Message("system", f"Write {kind}. Output only the document, no prose, no code fence."),
            Message("user", instruction)]


# the file name the parse gate judges a document of each grammar as
GATE_NAMES = {"json": "document.json", "yaml": "document.yaml", "toml": "document.toml",
              "kubernetes": "manifest.yaml"}
LOCAL_ATTEMPTS = 4


def document_error(text: str, *, grammar: str | None, schema: dict[str, Any] | None) -> str | None:
    """Why ``text`` is not a valid document (None when it is): the grammar, then the parse gate, agree."""
    if grammar:
        return parse_error(grammar, text) or gate_error(GATE_NAMES[grammar], text)
    import jsonschema

    try:
        jsonschema.validate(json.loads(text), schema)
    except (ValueError, jsonschema.ValidationError) as exc:
        return " ".join(str(exc).split())[:300]
    return None


def generate_document(model: Model, instruction: str, *, grammar: str | None = None,
                      schema: dict[str, Any] | None = None, max_tokens: int = 512, seed: int | None = None,
                      temperature: float = 0.0) -> Document:
    """Generate a document under ``grammar`` (a shipped name) or ``schema`` (a JSON Schema)."""
    messages = document_prompt(instruction, grammar=grammar, schema=schema)
    if isinstance(model, ConstrainedModel):
        from agent.decoding.constrained import llg_grammar

        compiled = llg_grammar(grammar=grammar, schema=schema)

        def sample(attempt: int) -> Document:
            # a retry samples (a greedy retry would only repeat itself), each with its own seed
            completion, stats = model.generate_constrained(
                messages, compiled, max_tokens=max_tokens, temperature=temperature if attempt == 0 else 1.0,
                seed=seed if attempt == 0 else (seed or 0) + attempt)
            return Document(completion.text, model.name, attempts=attempt + 1, constrained=True,
                            forced_close=stats.forced_close)

        return first_valid(sample, grammar=grammar, schema=schema)
    return _hosted(model, messages, grammar=grammar, schema=schema, max_tokens=max_tokens, seed=seed)


def first_valid(sample: Callable[[int], Document], *, grammar: str | None, schema: dict[str, Any] | None,
                attempts: int = LOCAL_ATTEMPTS) -> Document:
    """The first of up to ``attempts`` samples (``sample(attempt)``) that is a valid document."""
    error = "no sample"
    for attempt in range(attempts):
        doc = sample(attempt)
        error = document_error(doc.text, grammar=grammar, schema=schema) or ""
        if not error:
            return doc
    raise GateFailure(f"no valid document in {attempts} samples; last problem: {error}")


def gate_error(name: str, text: str) -> str | None:
    """What the parse gate says about ``text`` as file ``name`` (its errors, not its warnings), or None."""
    from tools.options import ReviewOptions
    from tools.parsers import check_file
    from tools.policy import Policies

    errors = [f.message for f in check_file(name, text, ReviewOptions(), Policies()) if f.severity == "error"]
    return "; ".join(errors)[:300] if errors else None


def _hosted(model: Model, messages: list[Message], *, grammar: str | None, schema: dict[str, Any] | None,
            max_tokens: int, seed: int | None) -> Document:
    """Custom-tool grammar first (if offered), then validate-and-retry with the parser's error."""
    if grammar and isinstance(model, GrammarToolModel):
        try:
            text = model.grammar_call(messages, grammar_text(grammar), max_tokens=max_tokens, seed=seed).text
            if document_error(text, grammar=grammar, schema=schema) is None:
                return Document(text, model.name, constrained=True)
        except ModelError as exc:
            if getattr(exc, "status", None) != 400:
                raise
    error: str | None = "no answer"
    for attempt in range(1, HOSTED_ATTEMPTS + 1):
        text = _normalise(model.complete(messages, max_tokens=max_tokens, seed=seed).text, grammar)
        error = document_error(text, grammar=grammar, schema=schema)
        if error is None:
            return Document(text, model.name, attempts=attempt)
        messages = [*messages, Message("assistant", text),
                    Message("user", f"That document does not parse: {error}\nWrite it again, only the document.")]
    raise GateFailure(f"{model.name} gave no valid document in {HOSTED_ATTEMPTS} attempts; last problem: {error}")


def _normalise(text: str, grammar: str | None) -> str:
    """Drop a Markdown fence; line-based formats end with exactly one newline."""
    body = text.strip()
    if body.startswith("```"):
        body = body.split("\n", 1)[1] if "\n" in body else ""
        body = body.rsplit("```", 1)[0].strip()
    return body + "\n" if grammar and grammar != "json" else body
