"""``patchgate complete FILE:LINE[:COL]``: fill in code at the cursor, show the diff, write with --write."""

from __future__ import annotations

import difflib
from pathlib import Path

import click

from core.atomic import atomic_write_text
from core.console import emit_json, out
from core.errors import GateFailure

DIFF_STYLES = {"+": "green", "-": "red", "@": "cyan"}


@click.command()
@click.argument("location")
@click.option("--model", "model_spec", help="A local FIM model, e.g. hf:/models/Qwen2.5-Coder-1.5B.")
@click.option("--draft-model", help="A smaller model with the same tokenizer for speculative decoding (hf:PATH).")
@click.option("--max-tokens", type=click.IntRange(1), default=128, show_default=True, help="Longest middle.")
@click.option("--write", is_flag=True, help="Write the completed file (atomically) if it still parses.")
@click.option("--force", is_flag=True, help="With --write: write even if the completed file does not parse.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON line (middle, family, written, problems).")
def complete(
    location: str,
    model_spec: str | None,
    draft_model: str | None,
    max_tokens: int,
    write: bool,
    force: bool,
    as_json: bool,
) -> None:
    """Insert generated code at FILE:LINE[:COL] (1-based; no column means the end of the line).

    A completion that breaks the file (it no longer parses) is shown but not
    written, unless --force; then the exit code is 1.
    """
    from agent.models.registry import resolve_model
    from agent.writing.infill import completion_problems, infill_file, parse_location, read_cursor
    from core.settings import resolve

    path, line, col = parse_location(location)
    read_cursor(path, line, col)  # a bad location fails before a model is loaded
    settings = resolve(
        Path.cwd(),
        model=model_spec,
        models={"draft_model": draft_model, "speculation": "draft" if draft_model else None},
    )
    model = resolve_model(settings, Path.cwd(), local_only="complete")
    result = infill_file(model, path, line, col, max_tokens=max_tokens)
    problems = completion_problems(result)
    written = write and result.updated != result.original and (force or not problems)
    if written:
        atomic_write_text(path, result.updated)
    if as_json:
        emit_json(
            {
                "path": str(path),
                "line": result.line,
                "col": result.col,
                "middle": result.middle,
                "family": result.family,
                "written": written,
                "problems": problems,
            }
        )
    else:
        diff = difflib.unified_diff(
            result.original.splitlines(keepends=True),
            result.updated.splitlines(keepends=True),
            f"a/{path}",
            f"b/{path}",
        )
        for row in diff:
            out.print(row.rstrip("\n"), style=DIFF_STYLES.get(row[:1]))
        if not write:
            out.print("(not written: pass --write to apply)", style="dim")
    if write and problems and not force:
        raise GateFailure(f"not written: {'; '.join(problems)} (pass --force to write it anyway)")
