"""A review's answer for another agent: passed, failed or undecided, what was checked, and a short reason.

A hook or an MCP client reads one word first. "passed" is said only when every gate that could decide ran
and passed; a gate that could not run (no sandbox, tests that could not be collected, a deadline) makes the
answer "undecided", never "passed". The reason is written for a model: the failing gates and their first
findings, each with the place and what to change, in a few lines.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from tools.findings import Finding, GateReport, ReviewResult

Status = Literal["passed", "failed", "undecided"]
# Rules that mean "could not check", not "found something wrong".
UNDECIDED_RULES = (".not-run", ".no-sandbox")
MAX_SHOWN = 8


class Verdict(BaseModel):
    """One review, for a machine: the status first, then what ran and what did not."""

    status: Status = Field(
        description="passed: every gate that could decide ran and passed; failed: a gate found "
        "a problem; undecided: a check could not run, so nothing is claimed."
    )
    checked: list[str] = Field(description="Gates that ran.")
    not_checked: list[str] = Field(description="Gates that did not run, each with why.")
    summary: str = Field(description="One paragraph for a model: the failures with places, or what passed.")
    gates: list[GateReport] = Field(description="Every gate's report with its findings.")


def _undecided(finding: Finding) -> bool:
    return finding.rule.endswith(UNDECIDED_RULES)


def _decisive(gate: GateReport) -> list[Finding]:
    """The error findings of a failed gate that say something is wrong (not that a check could not run)."""
    errors = [f for f in gate.findings if f.severity == "error"]
    return [f for f in errors if not _undecided(f)] if errors else []


def verdict_of(result: ReviewResult) -> Verdict:
    """``result`` as a Verdict; a failed gate with only could-not-run findings makes it undecided."""
    failed = result.failed()
    wrong = [g for g in failed if _decisive(g) or not g.findings]
    status: Status = "failed" if wrong else "undecided" if failed else "passed"
    checked = [g.name for g in result.gates if not g.skipped]
    not_checked = [f"{g.name}: {g.detail or 'not run'}" for g in result.gates if g.skipped]
    return Verdict(
        status=status, checked=checked, not_checked=not_checked, summary=summary(result, status), gates=result.gates
    )


def summary(result: ReviewResult, status: Status) -> str:
    """What a model needs to act: each failing finding with its place, or what was checked."""
    if status == "passed":
        skipped = [f"{g.name} ({g.detail})" for g in result.gates if g.skipped and g.detail]
        tail = f"; not checked: {', '.join(skipped)}" if skipped else ""
        return f"patchgate: passed {', '.join(g.name for g in result.gates if not g.skipped)}{tail}"
    lines = []
    for gate in result.failed():
        findings = [f for f in gate.findings if f.severity == "error"] or gate.findings
        if not findings:
            lines.append(f"- {gate.name}: {gate.detail or 'failed'}")
        for f in findings:
            where = f"{f.path}:{f.line}" if f.path and f.line else f.path or ""
            lines.append(f"- {gate.name}: {where + ' ' if where else ''}{f.message}")
    shown = lines[:MAX_SHOWN] + ([f"- and {len(lines) - MAX_SHOWN} more"] if len(lines) > MAX_SHOWN else [])
    head = "patchgate rejected the change" if status == "failed" else "patchgate could not check the change"
    return head + ":\n" + "\n".join(line[:400] for line in shown)
