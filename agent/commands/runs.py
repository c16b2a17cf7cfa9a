"""``patchgate runs`` lists the agent's runs; ``patchgate runs show ID`` replays one trace."""

from __future__ import annotations

from pathlib import Path

import click
from patchgate.console import emit_json, out
from rich.table import Table


@click.group("runs", invoke_without_command=True)
@click.option("--repo", type=click.Path(path_type=Path), default=".", help="Repository (default: here).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON line.")
@click.pass_context
def runs_group(ctx: click.Context, repo: Path, as_json: bool) -> None:
    """List solve/suggest runs, newest first."""
    from patchgate.git import repo_root

    ctx.obj = {**(ctx.obj or {}), "root": repo_root(repo), "json": as_json}
    if ctx.invoked_subcommand is not None:
        return
    from patchgate.agent.runs import list_runs

    runs = list_runs(ctx.obj["root"])
    if as_json:
        emit_json([vars(r) for r in runs])
        return
    table = Table(title="runs")
    for column in ("id", "outcome", "calls", "tokens", "cost $", "issue"):
        table.add_column(column)
    for r in runs:
        colour = "green" if r.outcome == "passed" else "red"
        table.add_row(r.run_id, f"[{colour}]{r.outcome}[/]", str(r.calls), str(r.tokens), f"{r.cost_usd:.4f}", r.issue)
    out.print(table)


@runs_group.command("show")
@click.argument("run_id")
@click.pass_context
def show(ctx: click.Context, run_id: str) -> None:
    """Replay run RUN_ID (a unique prefix is enough) step by step."""
    from patchgate.agent.runs import describe, load_events

    events = load_events(ctx.obj["root"], run_id)
    if ctx.obj["json"]:
        emit_json(events)
        return
    for event in events:
        out.print(describe(event), markup=True, highlight=False)
