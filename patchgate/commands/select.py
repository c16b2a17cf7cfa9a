"""``patchgate select``: rank candidate patches for one issue and choose the one the gates trust most."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.table import Table
from rich.text import Text

from core.console import emit_json, err, json_error, out
from core.errors import GateFailure, InputError
from patchgate.commands.review import read_patch

if TYPE_CHECKING:
    from core.settings import RunSettings


@click.command("select")
@click.option("--issue", "issue_file", help="The issue text from a file, or - for stdin (issue evidence).")
@click.option("--patch", "patches", multiple=True, help="A candidate patch file (repeat; - reads one from stdin).")
@click.option("--repo", type=click.Path(path_type=Path), default=".", help="Repository (default: here).")
@click.option("--base", default="HEAD", help="Revision the candidates apply to (default HEAD).")
@click.option(
    "--tests",
    "tests_mode",
    type=click.Choice(["related", "all", "none"]),
    default=None,
    help="Which tests run on each candidate and the base (default: config, else related).",
)
@click.option("--judge", "judge_spec", help="Let this model choose among the green candidates (off by default).")
@click.option("--json", "as_json", is_flag=True, help="End with one JSON line: chosen, ranking, clusters.")
@click.pass_context
def select_command(
    ctx: click.Context,
    issue_file: str | None,
    patches: tuple[str, ...],
    repo: Path,
    base: str,
    tests_mode: str | None,
    judge_spec: str | None,
    as_json: bool,
) -> None:
    """Rank the candidates (--patch P1 --patch P2 ...) and choose one.

    Exit 0 with a chosen candidate, 1 when none passed the gates, 2 on bad input.
    """
    from agent.selection import select
    from core.git import repo_root
    from core.settings import resolve

    with json_error(as_json):
        if not patches:
            raise InputError("no candidates: give at least one --patch FILE")
        if [issue_file, *patches].count("-") > 1:
            raise InputError("only one of --issue and --patch can read stdin (-)")
        issue = _read_issue(issue_file) if issue_file else ""
        diffs = [read_patch(p) for p in patches]
        root = repo_root(repo)
        settings = resolve(root, base=base, model=judge_spec, review={"tests": tests_mode})
        judge = _judge(settings, root) if judge_spec else None
        with err.status("selecting") as status:
            selection = select(
                root, issue, diffs, settings=settings, judge=judge, progress=lambda msg: status.update(msg)
            )
    _render(selection, patches, as_json)
    if selection.chosen is None:
        if as_json:
            ctx.exit(1)
        raise GateFailure("no candidate passed the gates")


def _read_issue(source: str) -> str:
    from patchgate.commands.context import read_issue

    return read_issue("-", None) if source == "-" else read_issue(None, Path(source))


def _judge(settings: RunSettings, root: Path):
    from agent.models.registry import resolve_model
    from agent.selection.judge import model_judge

    return model_judge(resolve_model(settings, root))


def _render(selection, patches: tuple[str, ...], as_json: bool) -> None:
    """The ranking table (problems first, in red), what was checked, and the chosen patch."""
    console = err if as_json else out
    for row in selection.ranking:  # errors first: candidates that can never win, said once each
        if row.score == float("-inf"):
            console.print(Text(f"#{row.index} {patches[row.index]}: {row.reason}", "red"), soft_wrap=True)
    table = Table(title="patchgate select", title_justify="left")
    table.add_column("rank", justify="right")
    table.add_column("candidate", overflow="fold")
    table.add_column("gates")
    table.add_column("why", overflow="fold")
    for place, row in enumerate(selection.ranking, start=1):
        verdict = Text("passed", "green") if row.passed else Text("failed", "red")
        table.add_row(str(place), f"#{row.index} {patches[row.index]}", verdict, Text(row.reason))
    console.print(table)
    console.print(Text(f"checked: {selection.checked}", "dim"), soft_wrap=True)
    if selection.chosen is not None:
        console.print(
            Text.assemble(("chosen: ", "green"), f"#{selection.chosen} {patches[selection.chosen]}"), soft_wrap=True
        )
    else:
        console.print(Text("chosen: none (no candidate passed the gates)", "red"))
    if as_json:
        emit_json(selection.to_json())
