"""``patchgate runs`` lists the agent's runs; ``patchgate runs show ID`` replays one trace."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table
from rich.text import Text

from core.console import emit_json, err, out


@click.group("runs", invoke_without_command=True)
@click.option("--repo", type=click.Path(path_type=Path), default=".", help="Repository (default: here).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON line.")
@click.pass_context
def runs_group(ctx: click.Context, repo: Path, as_json: bool) -> None:
    """List solve/suggest runs, newest first."""
    from core.git import repo_root

    ctx.obj = {**(ctx.obj or {}), "root": repo_root(repo), "json": as_json}
    if ctx.invoked_subcommand is not None:
        return
    from agent.runs import list_runs

    runs = list_runs(ctx.obj["root"])
    if as_json:
        emit_json([vars(r) for r in runs])
        return
    if not runs:
        err.print(f"no runs yet in {ctx.obj['root']}: `patchgate solve ISSUE` starts one")
        return
    table = Table(title="runs", title_justify="left")
    for column in ("id", "outcome", "calls", "tokens", "cost $"):  # never cut: an id is what `runs show` takes
        table.add_column(column, no_wrap=True, justify="left" if column in ("id", "outcome") else "right")
    table.add_column("issue", overflow="fold", ratio=1)
    for r in runs:
        outcome = Text(r.outcome, style="green" if r.outcome == "passed" else "red")
        table.add_row(r.run_id, outcome, str(r.calls), str(r.tokens), f"{r.cost_usd:.4f}", r.issue)
    out.print(table)


@runs_group.command("show")
@click.argument("run_id")
@click.pass_context
def show(ctx: click.Context, run_id: str) -> None:
    """Replay run RUN_ID (a unique prefix is enough) step by step."""
    from agent.runs import describe, load_events

    events = load_events(ctx.obj["root"], run_id)
    if ctx.obj["json"]:
        emit_json(events)
        return
    for event in events:
        out.print(describe(event))
