"""``patchgate index [PATH]``: build or refresh the repository index."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import get_args

import click

from core.console import emit_json, out
from core.settings import TUNED_VECTOR_SECONDS, Dense


@click.command("index")
@click.argument("path", type=click.Path(path_type=Path), default=".")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default=None, help="Where embeddings run.")
@click.option(
    "--dense",
    type=click.Choice(get_args(Dense)),
    default=None,
    help="Which dense vectors to keep (auto: tuned on a GPU, and on a bfloat16 CPU for a repository it embeds in "
    f"{TUNED_VECTOR_SECONDS} s, timed once; static elsewhere).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON line instead of a table.")
def index_command(path: Path, device: str | None, dense: str | None, as_json: bool) -> None:
    """Index the repository at PATH (incremental: unchanged files and chunks are reused)."""
    from core.git import repo_root
    from core.settings import resolve
    from retrieval.index import build_index

    root = repo_root(path)
    config = resolve(root, index={"device": device, "dense": dense}).index
    stats = build_index(root, config=config, progress=not as_json)
    if as_json:
        emit_json(asdict(stats))
        return
    from rich.table import Table  # --json (scripts, hooks) never draws one

    table = Table(title=f"index of {root}", show_header=False)
    for label, value in [
        ("files", stats.files),
        ("chunks", stats.chunks),
        ("files parsed / reused", f"{stats.parsed_files} / {stats.reused_files}"),
        ("chunks embedded / reused", f"{stats.embedded} / {stats.reused_vectors}"),
        ("dense vectors", stats.dense),
        ("seconds", f"{stats.seconds:.1f}"),
    ]:
        table.add_row(label, str(value))
    out.print(table)
