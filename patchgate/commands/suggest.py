"""``patchgate suggest``: for CI, propose a gated fix for what fails on a pull request; never pushes."""

from __future__ import annotations

import json
from pathlib import Path

import click

from core.atomic import atomic_write_text
from core.console import emit_json, err, json_error


@click.command("suggest")
@click.option("--base", required=True, help="Base ref of the pull request (e.g. origin/main).")
@click.option("--failing", multiple=True, help='A failing test id, e.g. "tests/test_x.py::test_y" (repeatable).')
@click.option("--junit", type=click.Path(path_type=Path, dir_okay=False), help="A JUnit XML report of the failing run.")
@click.option(
    "--log", "log", type=click.Path(path_type=Path, dir_okay=False), help="A lint/test log of the failing run."
)
@click.option("--repo", type=click.Path(path_type=Path), default=".", help="Repository (default: here).")
@click.option("--model", "model_spec", help="Model, e.g. openai:gpt-4.1 (default: PATCHGATE_MODEL or config).")
@click.option("--rounds", type=click.IntRange(min=1), default=None, help="Gate rounds per candidate (default 3).")
@click.option("--candidates", type=click.IntRange(min=1), default=None, help="Candidates to sample (default 1).")
@click.option("--patch-out", type=click.Path(path_type=Path, dir_okay=False), help="Write the patch here.")
@click.option(
    "--github",
    "github_out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write GitHub review comments (```suggestion blocks) as JSON here.",
)
@click.option("--sarif", "sarif_out", type=click.Path(path_type=Path, dir_okay=False), help="Write SARIF here.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON line.")
@click.pass_context
def suggest_command(
    ctx: click.Context,
    base: str,
    failing: tuple[str, ...],
    junit: Path | None,
    log: Path | None,
    repo: Path,
    model_spec: str | None,
    rounds: int | None,
    candidates: int | None,
    patch_out: Path | None,
    github_out: Path | None,
    sarif_out: Path | None,
    as_json: bool,
) -> None:
    """Propose a fix for the failing checks of a pull request, as files CI can post (exit 1: none passed)."""
    from agent.ci import ci_issue, suggestion_comments
    from agent.gating import sarif
    from agent.pipeline import solve
    from core.git import repo_root
    from core.settings import resolve
    from patchgate.commands.solve import render, to_json

    with json_error(as_json):
        root = repo_root(repo)
        issue = ci_issue(root, base, failing=list(failing), junit=junit, log=log)
        settings = resolve(root, base="HEAD", model=model_spec, agent={"rounds": rounds, "candidates": candidates})
        with err.status("suggesting") as status:
            result = solve(root, issue, settings, targets=list(failing), progress=lambda msg: status.update(msg))
    best = result.best
    diff = best.diff if best is not None and best.passed else ""
    if patch_out:
        atomic_write_text(patch_out, diff)
    if github_out:
        atomic_write_text(github_out, json.dumps(suggestion_comments(diff), indent=2) + "\n")
    if sarif_out and best is not None and best.review is not None:
        atomic_write_text(sarif_out, json.dumps(sarif(best.review), indent=2) + "\n")
    if as_json:
        emit_json(to_json(result, applied=False))
    else:
        render(result)
    ctx.exit(0 if result.passed else 1)
