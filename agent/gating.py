"""The agent's one door to the gates (``tools.gates.review``) and to the user's tree.

Every call into the gates module lives here, so a change in its interface
is a change in this file only. It also turns a failed review into the short
report that goes back to the model: the first failing test's output, the
parse error's location, the policy finding, nothing more.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from agent.errors import InputError
from tools.findings import ReviewResult

REPORT_CHARS = 2500


def gate(root: Path, diff: str, *, base: str) -> ReviewResult:
    """Run every gate of ``patchgate review`` on ``diff`` over ``base``, in an isolated worktree."""
    from tools.gates import review

    return review(root, diff, base=base)


def passed_count(result: ReviewResult | None) -> int:
    """How many gates ran and passed (the score candidates are compared by)."""
    if result is None:
        return 0
    return sum(1 for g in result.gates if g.passed and not g.skipped)


def short_report(result: ReviewResult) -> str:
    """What the model needs to fix a rejected candidate, bounded in size."""
    parts: list[str] = []
    for report in result.failed():
        lines = [f"gate {report.name} failed"]
        for finding in report.findings[:5]:
            where = f"{finding.path}:{finding.line}" if finding.path and finding.line else (finding.path or "")
            lines.append(f"- [{finding.rule}] {where} {finding.message}".replace("  ", " "))
        if report.detail:
            lines.append(report.detail.strip())
        parts.append("\n".join(lines))
    text = "\n\n".join(parts) or "the gates rejected the candidate without details"
    return text if len(text) <= REPORT_CHARS else text[:REPORT_CHARS] + "\n[... report cut ...]"


def apply_to_tree(root: Path, diff: str) -> None:
    """Apply ``diff`` to the user's working tree with ``git apply`` (checked first, so all or nothing)."""
    for args in (["--check"], []):
        done = subprocess.run(["git", "apply", "--whitespace=nowarn", *args, "-"], cwd=root, input=diff, text=True,
                              capture_output=True)
        if done.returncode != 0:
            raise InputError(f"the patch does not apply to your working tree: {done.stderr.strip()}")


def gate_table(result: ReviewResult):
    """The gate table a person reads: one row per gate, its verdict and its first finding."""
    from rich.table import Table

    table = Table(title="gates")
    table.add_column("gate")
    table.add_column("result")
    table.add_column("first finding")
    for report in result.gates:
        verdict = "[dim]skipped[/]" if report.skipped else "[green]passed[/]" if report.passed else "[red]failed[/]"
        first = report.findings[0] if report.findings else None
        note = f"{first.path or ''}{':' + str(first.line) if first and first.line else ''} {first.message}" if first else ""
        table.add_row(report.name, verdict, note.strip()[:100])
    return table


def sarif(result: ReviewResult) -> dict:
    """The review as a SARIF log (rendered by the gates' reporter)."""
    from tools.report import to_sarif

    return to_sarif(result)
