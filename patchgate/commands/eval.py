"""``patchgate eval localize`` (do the files a fix touches rank in the top k?) and ``eval solve`` (SWE-bench)."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import get_args

import click
from rich.table import Table
from rich.text import Text

from core.console import emit_json, err, out, progress
from core.errors import InputError
from core.settings import Dense


@click.group("eval")
def eval_group() -> None:
    """Measure patchgate on benchmark datasets."""


@eval_group.command("localize")
@click.option("--dataset", type=click.Path(path_type=Path), required=True, help="SWE-bench-style JSON or JSONL.")
@click.option("--repos", type=click.Path(path_type=Path), required=True, help="Folder of <owner>__<name> repos.")
@click.option("--k", "ks", default="1,5,10", help="Comma-separated cut-offs.")
@click.option("--dense", type=click.Choice(get_args(Dense)), default="auto")
@click.option(
    "--work-dir",
    type=click.Path(path_type=Path),
    help="Keep indexes and caches here for the next run (default: a temporary folder, removed).",
)
@click.option("--json", "as_json", is_flag=True, help="End with one JSON summary line.")
def localize(dataset: Path, repos: Path, ks: str, dense: str, work_dir: Path | None, as_json: bool) -> None:
    """Acc@k of file localization, one row per instance."""
    from retrieval.embeddings import EmbeddingConfig
    from retrieval.evaluate import evaluate, load_dataset

    cutoffs = _cutoffs(ks)
    rows = load_dataset(dataset)
    if not repos.is_dir():
        raise InputError(f"--repos {repos} is not a directory")
    with progress() as bar:
        task = bar.add_task("localizing", total=len(rows))
        report = evaluate(
            rows,
            repos,
            work_dir=work_dir,
            config=EmbeddingConfig(dense=dense),
            on_instance=lambda *_: bar.advance(task),
        )
    table = Table(title="localization")
    table.add_column("instance")
    table.add_column("gold file → rank")
    for k in cutoffs:
        table.add_column(f"@{k}", justify="center")
    table.add_column("gold function → rank")
    for r in report.results:
        ranks = ", ".join(f"{g} → {rank or '-'}" for g, rank in r.ranks.items())
        functions = ", ".join(f"{g.split('::', 1)[1]} → {rank or '-'}" for g, rank in r.function_ranks.items())
        marks = (Text("✓", "green") if r.hit(k) else Text("✗", "red") for k in cutoffs)
        table.add_row(r.instance_id, ranks, *marks, functions or Text("(no definition changed)", "dim"))
    (err if as_json else out).print(table)
    for instance, why in report.skipped:
        err.print(f"skipped {instance}: {why}", style="yellow")
    summary = report.summary(cutoffs)
    if as_json:
        emit_json(summary)
    else:
        out.print(
            f"file level ({summary['instances']} instances, dense vectors: {summary['dense']}): "
            + "  ".join(f"Acc@{k} {summary[f'acc@{k}']}" for k in cutoffs)
        )
        out.print(
            f"function level ({summary['function_instances']} instances that change a definition): "
            + "  ".join(f"Acc@{k} {summary[f'function_acc@{k}']}" for k in cutoffs)
        )


def _cutoffs(ks: str) -> list[int]:
    try:
        values = sorted({int(k) for k in ks.split(",") if k.strip()})
    except ValueError:
        raise InputError(f"--k must be comma-separated integers, got {ks!r}") from None
    if not values or min(values) < 1:
        raise InputError("--k needs positive integers")
    return values


@eval_group.command("solve")
@click.option("--dataset", type=click.Path(path_type=Path), required=True, help="SWE-bench-style JSON or JSONL.")
@click.option("--repos", type=click.Path(path_type=Path), required=True, help="Folder of <owner>__<name> repos.")
@click.option(
    "--predictions",
    multiple=True,
    help="A SWE-bench predictions file, or 'gold' / 'empty' (the harness's "
    "controls); repeat it for several samples per instance: pass@k and the gates' choice (select).",
)
@click.option("--model", "model_spec", help="Let the agent write the predictions with this model (patchgate solve).")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Folder for predictions, logs, report.")
@click.option("--instances", help="Comma-separated instance ids (default: all).")
@click.option(
    "--samples", type=click.IntRange(min=1), default=1, help="Candidates per instance (with --model): pass@k."
)
@click.option("--workers", type=click.IntRange(min=1), default=1, help="Instances evaluated in parallel.")
@click.option(
    "--ray",
    "ray_address",
    is_flag=False,
    flag_value="local",
    default=None,
    help="Run instances as Ray tasks: on a new local cluster, or on the cluster at ADDRESS.",
)
@click.option("--timeout", type=click.FloatRange(min=1), default=900.0, help="Seconds one instance's tests may take.")
@click.option("--envs", type=click.Path(path_type=Path), help="Environment cache (default ~/.cache/patchgate/envs).")
@click.option("--json", "as_json", is_flag=True, help="End with one JSON summary line.")
def solve(
    dataset: Path,
    repos: Path,
    predictions: tuple[str, ...],
    model_spec: str | None,
    out: Path,
    instances: str | None,
    samples: int,
    workers: int,
    ray_address: str | None,
    timeout: float,
    envs: Path | None,
    as_json: bool,
) -> None:
    """SWE-bench resolution of predictions (or of the agent's own patches), one row per instance."""
    from evaluation.run import SolveEval, evaluate_solve

    config = SolveEval(
        dataset,
        repos,
        out,
        predictions[0] if predictions else None,
        model_spec,
        tuple(i.strip() for i in (instances or "").split(",") if i.strip()),
        samples,
        workers,
        ray_address,
        timeout,
        envs,
        predictions[1:],
    )
    with contextlib.ExitStack() as stack:
        bar = None  # started once the input is known good, so an error stays one line

        def show(finished: int, resolved: int, evaluated: int, total: int) -> None:
            nonlocal bar
            if bar is None:
                bar = stack.enter_context(progress())
                bar.add_task("evaluating", total=total)
            bar.update(bar.task_ids[0], completed=finished, description=f"resolved {resolved}/{evaluated} evaluated")

        report = evaluate_solve(config, show)
    _print_solve(report, out, as_json)


def _print_solve(report: dict, out_dir: Path, as_json: bool) -> None:
    from rich.markup import escape

    table = Table(title="resolution")
    table.add_column("instance")
    table.add_column("status")
    table.add_column("why")
    reasons = report.get("reasons", {})
    status = {
        **{i: Text("resolved", "green") for i in report["resolved_ids"]},
        **{i: Text("unresolved", "red") for i in report["unresolved_ids"]},
        **{i: Text("env_failed", "yellow") for i in report["env_failed_ids"]},
        **{i: Text("error", "red") for i in report["error_ids"]},
        **{i: Text("patch_failed", "red") for i in report["patch_failed_ids"]},
    }
    for iid in sorted(status):
        table.add_row(Text(iid), status[iid], Text(reasons.get(iid, ""), "dim"))
    (err if as_json else out).print(table)
    gates = report["gates"]
    line = (
        f"resolved {report['resolved_instances']} of {report['completed_instances']} evaluated "
        f"({report['total_instances']} instances, {report['env_failed_instances']} env_failed, "
        f"{report['harness_error_instances']} error, {report['patch_failed_instances']} patch_failed); gates precision {gates['precision']} "
        f"recall {gates['recall']}; report: {out_dir / 'report.json'}"
    )
    (err if as_json else out).print(escape(line))
    if as_json:
        from evaluation.report import summary_line

        emit_json(summary_line(report))
