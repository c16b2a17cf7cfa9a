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
from dataclasses import dataclass, field
from typing import Any

from agent.models.base import (
    ConstrainedModel,
    GrammarToolModel,
    Message,
    Model,
)
from agent.writing.grammar_plan import (
    TIE_TOKENS,
    GrammarPlan,
    document_lark,
    plan_for,
    tie_lark,
    tie_messages,
)
from core.errors import GateFailure, ModelError
from core.grammars import grammar_text, parse_error, read_ties

HOSTED_ATTEMPTS = 3


@dataclass
class Document:
    """A generated document and how it came to be."""

    text: str
    model: str
    attempts: int = 1
    constrained: bool = False
    forced_close: bool = False
    ties: dict[str, str] = field(default_factory=dict)  # the tied values fixed before a local decode


def document_prompt(instruction: str, *, grammar: str | None, schema: dict[str, Any] | None) -> list[Message]:
    """The instruction plus what kind of document is wanted."""
    kind = f"a {grammar} document" if grammar else "one JSON value matching this JSON Schema:\n" + json.dumps(schema)
    return [
        Message("system", f"Write {kind}. Output only the document, no prose, no code fence."),
        Message("user", instruction),
    ]


# the file name the parse gate judges a document of each grammar as
GATE_NAMES = {"json": "document.json", "yaml": "document.yaml", "toml": "document.toml", "kubernetes": "manifest.yaml"}
LOCAL_ATTEMPTS = 4


def document_error(text: str, *, grammar: str | None, schema: dict[str, Any] | None) -> str | None:
    """Why ``text`` is not a valid document (None when it is): the grammar, then the parse gate, agree."""
    return parse_problem(text, grammar=grammar, schema=schema) or (
        gate_error(GATE_NAMES[grammar], text) if grammar else None
    )


def parse_problem(text: str, *, grammar: str | None, schema: dict[str, Any] | None) -> str | None:
    """Why ``text`` does not parse under ``grammar`` or validate against ``schema`` (None when it does)."""
    if grammar:
        return parse_error(grammar, text)
    import jsonschema

    try:
        jsonschema.validate(json.loads(text), schema)
    except (ValueError, jsonschema.ValidationError) as exc:
        return " ".join(str(exc).split())[:300]
    return None


def generate_document(
    model: Model,
    instruction: str,
    *,
    grammar: str | None = None,
    schema: dict[str, Any] | None = None,
    max_tokens: int = 512,
    seed: int | None = None,
    temperature: float = 0.0,
) -> Document:
    """Generate a document under ``grammar`` (a shipped name) or ``schema`` (a JSON Schema)."""
    messages = document_prompt(instruction, grammar=grammar, schema=schema)
    if isinstance(model, ConstrainedModel):
        plan = plan_for(grammar, instruction) if grammar else None

        def sample(attempt: int) -> Document:
            # a retry samples (a greedy retry would only repeat itself), each with its own seed
            heat, salt = (temperature, seed) if attempt == 0 else (1.0, (seed or 0) + attempt)
            return _local(
                model, messages, plan, schema, max_tokens=max_tokens, temperature=heat, seed=salt, attempt=attempt
            )

        return first_valid(sample, grammar=grammar, schema=schema)
    return _hosted(model, messages, grammar=grammar, schema=schema, max_tokens=max_tokens, seed=seed)


def _local(
    model: ConstrainedModel,
    messages: list[Message],
    plan: GrammarPlan | None,
    schema: dict[str, Any] | None,
    *,
    max_tokens: int,
    temperature: float,
    seed: int | None,
    attempt: int,
) -> Document:
    """One document decoded under the grammar: first the tied values, then the document with them fixed."""
    from agent.decoding.constrained import llg_grammar

    tie_lines = ""
    if plan is not None and plan.open_ties:
        tie_lines = model.generate_constrained(
            tie_messages(messages, plan),
            llg_grammar(lark=tie_lark(plan)),
            max_tokens=TIE_TOKENS,
            temperature=temperature,
            seed=seed,
        )[0].text
    compiled = llg_grammar(schema=schema) if plan is None else llg_grammar(lark=document_lark(plan, tie_lines))
    completion, stats = model.generate_constrained(
        messages, compiled, max_tokens=max_tokens, temperature=temperature, seed=seed
    )
    return Document(
        completion.text,
        model.name,
        attempts=attempt + 1,
        constrained=True,
        forced_close=stats.forced_close,
        ties={**read_ties(tie_lines), **(plan.fixed if plan else {})},
    )


def first_valid(
    sample: Callable[[int], Document],
    *,
    grammar: str | None,
    schema: dict[str, Any] | None,
    attempts: int = LOCAL_ATTEMPTS,
) -> Document:
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
    return "; ".join(errors)[:600] if errors else None


def _hosted(
    model: Model,
    messages: list[Message],
    *,
    grammar: str | None,
    schema: dict[str, Any] | None,
    max_tokens: int,
    seed: int | None,
) -> Document:
    """Custom-tool grammar first (if offered), then free text; each answer is checked and sent back with its error."""
    if grammar and isinstance(model, GrammarToolModel):
        lark = grammar_text(grammar)
        try:
            # the server holds the answer to the grammar: one answer, and one repair if the gate refuses it;
            # an answer that does not parse means it did not, and free text takes over
            doc = _checked(
                model.name,
                lambda asked: model.grammar_call(asked, lark, max_tokens=max_tokens, seed=seed).text,
                messages,
                grammar=grammar,
                schema=schema,
                attempts=2,
                constrained=True,
            )
            if doc is not None:
                return doc
        except ModelError as exc:
            if getattr(exc, "status", None) != 400:
                raise
    doc = _checked(
        model.name,
        lambda asked: _normalise(model.complete(asked, max_tokens=max_tokens, seed=seed).text, grammar),
        messages,
        grammar=grammar,
        schema=schema,
        attempts=HOSTED_ATTEMPTS,
    )
    assert doc is not None  # free text answers every parse error with another attempt
    return doc


def _checked(
    name: str,
    ask: Callable[[list[Message]], str],
    messages: list[Message],
    *,
    grammar: str | None,
    schema: dict[str, Any] | None,
    attempts: int,
    constrained: bool = False,
) -> Document | None:
    """Ask until an answer parses and the gate accepts it: parse errors up to ``attempts``, gate refusals once.

    A ``constrained`` answer (a grammar tool's) that does not parse gives None: the server did not hold it.
    """
    repaired, error = False, "no answer"
    for attempt in range(1, attempts + 1):
        text = ask(messages)
        if (error := parse_problem(text, grammar=grammar, schema=schema) or "") == "":
            refused = gate_error(GATE_NAMES[grammar], text) if grammar else None
            if refused is None:
                return Document(text, name, attempts=attempt, constrained=constrained)
            if repaired:
                raise GateFailure(f"{name}'s document is still refused after one repair: {refused}")
            repaired, error = True, refused
            feedback = (
                f"The gate refuses that document: {refused}\nFix exactly that and write it again, only the document."
            )
        elif constrained:
            return None
        else:
            feedback = f"That document does not parse: {error}\nWrite it again, only the document."
        messages = [*messages, Message("assistant", text), Message("user", feedback)]
    raise GateFailure(f"{name} gave no valid document in {attempts} attempts; last problem: {error}")


def _normalise(text: str, grammar: str | None) -> str:
    """Drop a Markdown fence; line-based formats end with exactly one newline."""
    body = text.strip()
    if body.startswith("```"):
        body = body.split("\n", 1)[1] if "\n" in body else ""
        body = body.rsplit("```", 1)[0].strip()
    return body + "\n" if grammar and grammar != "json" else body
