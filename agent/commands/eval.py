"""``patchgate eval localize``: how often the files a fix touches rank in the top k."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table
from rich.text import Text

from patchgate.console import emit_json, err, out, progress
from patchgate.errors import InputError


@click.group("eval")
def eval_group() -> None:
    """Measure patchgate on benchmark datasets."""


@eval_group.command("localize")
@click.option("--dataset", type=click.Path(path_type=Path), required=True, help="SWE-bench-style JSON or JSONL.")
@click.option("--repos", type=click.Path(path_type=Path), required=True, help="Folder of <owner>__<name> repos.")
@click.option("--k", "ks", default="1,5,10", help="Comma-separated cut-offs.")
@click.option("--dense", type=click.Choice(["auto", "transformer", "static", "none"]), default="auto")
@click.option("--work-dir", type=click.Path(path_type=Path), help="Where indexes and caches go (reused).")
@click.option("--json", "as_json", is_flag=True, help="End with one JSON summary line.")
def localize(dataset: Path, repos: Path, ks: str, dense: str, work_dir: Path | None, as_json: bool) -> None:
    """Acc@k of file localization, one row per instance."""
    from patchgate.retrieval.embeddings import EmbeddingConfig
    from patchgate.retrieval.evaluate import evaluate, load_dataset

    cutoffs = _cutoffs(ks)
    rows = load_dataset(dataset)
    if not repos.is_dir():
        raise InputError(f"--repos {repos} is not a directory")
    with progress() as bar:
        task = bar.add_task("localizing", total=len(rows))
        report = evaluate(rows, repos, work_dir=work_dir, config=EmbeddingConfig(dense=dense),
                          on_instance=lambda *_: bar.advance(task))
    table = Table(title="localization")
    table.add_column("instance")
    table.add_column("gold file → rank")
    for k in cutoffs:
        table.add_column(f"@{k}", justify="center")
    for r in report.results:
        ranks = ", ".join(f"{g} → {rank or '-'}" for g, rank in r.ranks.items())
        table.add_row(r.instance_id, ranks, *(Text("✓", "green") if r.hit(k) else Text("✗", "red") for k in cutoffs))
    (err if as_json else out).print(table)
    for instance, why in report.skipped:
        err.print(f"skipped {instance}: {why}", style="yellow")
    summary = report.summary(cutoffs)
    if as_json:
        emit_json(summary)
    else:
        out.print("  ".join(f"{k}: {v}" for k, v in summary.items()))


def _cutoffs(ks: str) -> list[int]:
    try:
        values = sorted({int(k) for k in ks.split(",") if k.strip()})
    except ValueError:
        raise InputError(f"--k must be comma-separated integers, got {ks!r}") from None
    if not values or min(values) < 1:
        raise InputError("--k needs positive integers")
    return values
