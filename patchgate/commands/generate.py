"""``patchgate generate``: print a document that parses under a grammar or a JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path

import click

from core.console import emit_json, print_data
from core.errors import InputError
from core.grammars import GRAMMARS


@click.command()
@click.argument("instruction")
@click.option("--grammar", type=click.Choice(GRAMMARS), help="Shipped grammar the document must parse under.")
@click.option(
    "--schema",
    "schema_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="JSON Schema file the document must validate against.",
)
@click.option("--model", "model_spec", help="Model, e.g. hf:/models/x or openai:gpt-4.1 (default: configured).")
@click.option("--seed", type=int, help="Sampling seed (sampling is on when a seed is given).")
@click.option(
    "--max-tokens",
    type=click.IntRange(1),
    default=512,
    show_default=True,
    help="Token budget; a local model always closes the document within it.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON line instead of the document.")
def generate(
    instruction: str,
    grammar: str | None,
    schema_file: Path | None,
    model_spec: str | None,
    seed: int | None,
    max_tokens: int,
    as_json: bool,
) -> None:
    """Generate a document (config, manifest, JSON) that parses: INSTRUCTION says what it should hold."""
    from agent.models.registry import resolve_model
    from agent.writing.documents import generate_document
    from core.settings import resolve

    if (grammar is None) == (schema_file is None):
        raise InputError("give exactly one of --grammar NAME or --schema FILE")
    schema = _read_schema(schema_file) if schema_file else None
    model = resolve_model(resolve(Path.cwd(), model=model_spec), Path.cwd())
    doc = generate_document(
        model,
        instruction,
        grammar=grammar,
        schema=schema,
        max_tokens=max_tokens,
        seed=seed,
        temperature=1.0 if seed is not None else 0.0,
    )
    if as_json:
        emit_json(
            {
                "text": doc.text,
                "model": doc.model,
                "attempts": doc.attempts,
                "constrained": doc.constrained,
                "forced_close": doc.forced_close,
                "ties": doc.ties,
            }
        )
    else:
        print_data(doc.text)  # the document itself: `> config.yaml` captures it byte for byte


def _read_schema(path: Path) -> dict:
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"cannot read JSON Schema {path}: {exc}") from None
    if not isinstance(schema, dict):
        raise InputError(f"{path}: a JSON Schema must be a JSON object")
    return schema
