"""``patchgate context ISSUE``: the files and code an issue needs, with reasons."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.table import Table

from core.console import emit_json, err, out, print_data
from core.errors import InputError

if TYPE_CHECKING:
    from retrieval.rank import Reason

HELD_DOWN = -1.0  # a prior's share of the logit that is worth saying (odds divided by e or more)


def read_issue(issue: str | None, file: Path | None) -> str:
    """The issue text from an argument, ``--file F`` or ``-`` (stdin); shared by every issue command."""
    if file is not None:
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read issue file {file}: {exc}") from None
    elif issue == "-":
        text = sys.stdin.read()
    else:
        text = issue or ""
    if not text.strip():
        raise InputError("no issue text: give it as an argument, with --file F, or - for stdin")
    return text


@click.command("context")
@click.argument("issue", required=False)
@click.option("--file", "file", type=click.Path(path_type=Path), help="Read the issue from a file.")
@click.option("--repo", type=click.Path(path_type=Path), default=".", help="Repository (default: here).")
@click.option(
    "--budget", type=click.IntRange(min=100), default=None, help="Print a packed context of this many tokens."
)
@click.option("--current-file", help="Path the user is editing (boosts files near it).")
@click.option("--top", type=click.IntRange(min=1), default=10, help="How many files to list.")
@click.option("--no-refresh", is_flag=True, help="Use the index as it is, without refreshing it first.")
@click.option("--rerank", is_flag=True, help="Let the configured model reorder the top files (one model call).")
@click.option("--model", "model_spec", help="Model for --rerank (default: PATCHGATE_MODEL or config).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON line.")
def context_command(
    issue: str | None,
    file: Path | None,
    repo: Path,
    budget: int | None,
    current_file: str | None,
    top: int,
    no_refresh: bool,
    rerank: bool,
    model_spec: str | None,
    as_json: bool,
) -> None:
    """Rank the files and chunks ISSUE needs (text, --file F, or - for stdin)."""
    from core.git import repo_root
    from core.settings import resolve
    from retrieval.context import build_context

    text = read_issue(issue, file)
    root = repo_root(repo)
    settings = resolve(root, model=model_spec)
    reorder = model_reorder(settings, root, text) if rerank else None
    # the same default budget solve packs with, from [tool.patchgate.agent] context_tokens
    pack = build_context(
        root,
        text,
        config=settings.index,
        budget=budget or settings.agent.context_tokens,
        current_file=current_file,
        refresh=not no_refresh,
        top_files=top,
        reorder=reorder,
    )
    if as_json:
        emit_json(
            {
                "files": [_file_json(f) for f in pack.files],
                "functions": [
                    {
                        "path": c.chunk.path,
                        "name": c.chunk.name,
                        "start_line": c.chunk.start_line,
                        "score": round(c.score, 4),
                    }
                    for c in pack.functions
                ],
                "chunks": [
                    {
                        "path": c.chunk.path,
                        "name": c.chunk.name,
                        "start_line": c.chunk.start_line,
                        "end_line": c.chunk.end_line,
                        "score": round(c.score, 4),
                    }
                    for c in pack.chunks
                ],
                **({"context": pack.text, "tokens": pack.tokens} if budget else {}),
            }
        )
        return
    table = Table(title="ranked files", title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("file", style="cyan", overflow="fold", ratio=2)
    table.add_column("score", justify="right", no_wrap=True)
    table.add_column("reasons", overflow="fold", ratio=3)
    for n, f in enumerate(pack.files, start=1):
        table.add_row(str(n), f.path, f"{f.score:.3f}", shown_reasons(f.reasons))
    functions = Table(title="ranked functions", title_justify="left")
    functions.add_column("#", justify="right")
    functions.add_column("function", style="cyan", overflow="fold")
    functions.add_column("score", justify="right", no_wrap=True)
    for n, c in enumerate(pack.functions, start=1):
        functions.add_row(str(n), f"{c.chunk.path}:{c.chunk.start_line} {c.chunk.name}", f"{c.score:.3f}")
    if not budget:
        out.print(table)
        if pack.functions:
            out.print(functions)
        return
    # stdout is the packed context and nothing else, so `> prompt.txt` captures exactly what a model reads
    err.print(table)
    if pack.functions:
        err.print(functions)
    print_data(pack.text)
    err.print(f"{pack.tokens} of {budget} tokens", style="dim")


def model_reorder(settings, root: Path, issue: str):
    """A reorder hook asking the configured model for a listwise rerank of the top files."""
    from agent.models.registry import resolve_model
    from agent.rerank import rerank

    model = resolve_model(settings, root)
    return lambda files, chunks: rerank(model, issue, files, chunks)


def _file_json(f) -> dict:
    return {
        "path": f.path,
        "score": round(f.score, 4),
        "reasons": [{"signal": r.signal, "detail": r.detail, "score": round(r.score, 4)} for r in f.reasons],
    }


def shown_reasons(reasons: list[Reason], shown: int = 3) -> str:
    """The file's first reasons, and the prior that held it down most when that is not among them: a person
    asking why a file that matches every word sits third needs that one (a test file, a configuration file)."""
    from retrieval.rank import PRIORS

    text = [f"{r.signal}: {r.detail}" if r.detail else r.signal for r in reasons[:shown]]
    down = min((r for r in reasons if r.signal in PRIORS), key=lambda r: r.score, default=None)
    if down is not None and down.score <= HELD_DOWN and down not in reasons[:shown]:
        text.append(f"held down by {down.signal}")
    return "; ".join(text)
