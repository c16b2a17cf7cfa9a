"""``patchgate solve ISSUE``: from an issue to a gated patch, applied only when every gate passed."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.text import Text

from core.console import emit_json, err, json_error, out
from core.errors import GateFailure, InputError
from patchgate.commands.context import read_issue


@click.command("solve")
@click.argument("issue", required=False)
@click.option("--file", "file", type=click.Path(path_type=Path), help="Read the issue from a file.")
@click.option("--repo", type=click.Path(path_type=Path), default=".", help="Repository (default: here).")
@click.option("--model", "model_spec", help="Model, e.g. openai:gpt-4.1 (default: PATCHGATE_MODEL or config).")
@click.option("--rounds", type=click.IntRange(min=1), default=None, help="Gate rounds per candidate (default 3).")
@click.option("--candidates", type=click.IntRange(min=1), default=None, help="Candidates to sample (default 1).")
@click.option("--apply", "do_apply", is_flag=True, help="Apply the patch to your tree if every gate passed.")
@click.option("--yes", is_flag=True, help="Apply without asking (with --apply).")
@click.option("--rerank/--no-rerank", default=None, help="Let the model reorder the top files first (default: config).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON line.")
@click.pass_context
def solve_command(
    ctx: click.Context,
    issue: str | None,
    file: Path | None,
    repo: Path,
    model_spec: str | None,
    rounds: int | None,
    candidates: int | None,
    do_apply: bool,
    yes: bool,
    rerank: bool | None,
    as_json: bool,
) -> None:
    """Propose a gated patch for ISSUE (text, --file F, or - for stdin)."""
    from agent.pipeline import solve
    from core.git import repo_root
    from core.settings import resolve

    with json_error(as_json):
        if do_apply and not yes and not sys.stdin.isatty():  # nobody can answer the question: say so up front
            raise InputError(
                "solve --apply asks before it changes your tree, and there is no terminal to ask: "
                "add --yes to apply without asking"
            )
        text = read_issue(issue, file)
        root = repo_root(repo)
        settings = resolve(
            root, base="HEAD", model=model_spec, agent={"rounds": rounds, "candidates": candidates, "rerank": rerank}
        )
        with err.status("solving") as status:
            result = solve(root, text, settings, progress=lambda msg: status.update(msg))
    finish(ctx, root, result, do_apply=do_apply, yes=yes, as_json=as_json)


def finish(ctx: click.Context, root: Path, result, *, do_apply: bool, yes: bool, as_json: bool) -> None:
    """Show the result, apply it when asked and allowed, and exit 0 (green) or 1."""
    from agent.pipeline import apply_result

    saved = result.run_dir / "patch.diff"
    applied = False
    if not as_json:
        render(result)
    if do_apply and result.passed and (yes or click.confirm("Apply this patch to your working tree?", err=True)):
        apply_result(root, result)
        applied = True
    if as_json:
        emit_json(to_json(result, applied=applied))
    elif applied:
        out.print(
            Text.assemble(("applied", "green"), f" to {root}; trace: {result.run_dir / 'trace.jsonl'}"), soft_wrap=True
        )  # paths stay whole, to be copied
    elif result.passed:
        out.print(f"patch saved to {saved}\napply it later with: git apply {saved}", soft_wrap=True)
    elif result.best is not None and result.best.diff:
        out.print(
            f"the best rejected candidate is saved in {saved} (for reading; it did not pass the gates)", soft_wrap=True
        )
    if not result.passed:
        if as_json:
            ctx.exit(1)
        raise GateFailure(
            f"no candidate passed every gate (run {result.run_id}; see patchgate runs show {result.run_id})"
        )


def render(result) -> None:
    """The coloured diff, the gate table and what the run cost."""
    from rich.syntax import Syntax

    from agent.gating import print_gate_table

    best = result.best
    if best is not None and best.diff:
        out.print(Syntax(best.diff, "diff", theme="ansi_dark", background_color="default"))
    if best is not None and best.review is not None:
        print_gate_table(best.review, out)
    elif best is not None and best.problem:
        out.print(Text.assemble(("no edit could be applied: ", "red"), best.problem))
    out.print(
        f"run {result.run_id}: {result.calls} model calls, {result.usage.tokens} tokens, ${result.usage.cost_usd:.4f}",
        style="dim",
    )


def to_json(result, *, applied: bool) -> dict:
    best = result.best
    return {
        "run_id": result.run_id,
        "passed": result.passed,
        "applied": applied,
        "chosen": best.index if best else None,
        "diff": best.diff if best else "",
        "patch_file": str(result.run_dir / "patch.diff") if best and best.diff else None,
        "gates": [g.model_dump() for g in best.review.gates] if best and best.review else [],
        "plan": result.plan.model_dump() if result.plan else None,
        "candidates": [
            {"index": c.index, "passed": c.passed, "gates_passed": c.score, "rounds": c.rounds}
            for c in result.candidates
        ],
        "model_calls": result.calls,
        "prompt_tokens": result.usage.prompt_tokens,
        "completion_tokens": result.usage.completion_tokens,
        "cost_usd": result.usage.cost_usd,
    }
