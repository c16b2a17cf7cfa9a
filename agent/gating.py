"""The agent's one door to the gates (``tools.gates.review``) and to the user's tree.

Every call into the gates module lives here, so a change in its interface
is a change in this file only. It also turns a failed review into the short
report that goes back to the model: the first failing test's output, the
parse error's location, the policy finding, nothing more.
"""

from __future__ import annotations

from pathlib import Path

from core.errors import InputError
from core.settings import RunSettings, TestSettings
from tools.findings import ReviewResult

REPORT_CHARS = 2500


def gate(root: Path, diff: str, config: RunSettings, *, targets: list[str]) -> ReviewResult:
    """Every gate of ``patchgate review`` on ``diff`` over ``config.base`` under its rules, plus the issue's own
    tests (``targets``).

    The review's tests gate only forbids *new* failures; an agent's patch must also make the tests that prove
    the fix (the plan's, or CI's failing ones) pass, so they go to the ``issue-tests`` gate of the same review.
    """
    from tools.gates import review

    options = config.review.model_copy(update={"issue_tests": targets})
    return review(root, diff, base=config.commit, options=options, tests=config.tests)


def require_sandbox(tests: TestSettings) -> None:
    """Refuse to start a solve whose tests could not run sandboxed (SandboxUnavailable says how to fix it)."""
    from tools.sandbox import require

    require(tests)


def passed_count(result: ReviewResult | None) -> int:
    """How many gates ran and passed (the score candidates are compared by)."""
    if result is None:
        return 0
    return sum(1 for g in result.gates if g.passed and not g.skipped)


def short_report(result: ReviewResult) -> str:
    """What the model needs to fix a rejected candidate, bounded in size: new failures first, each gate's
    pre-existing warnings as one count (a report of five old warnings would hide the one new failure)."""
    parts: list[str] = []
    for report in result.failed():
        lines = [f"gate {report.name} failed"]
        errors = [f for f in report.findings if f.severity == "error"]
        for finding in errors[:5]:
            where = f"{finding.path}:{finding.line}" if finding.path and finding.line else (finding.path or "")
            lines.append(f"- [{finding.rule}] {where} {finding.message}".replace("  ", " "))
        if len(errors) > 5:
            lines.append(f"- and {len(errors) - 5} more like these")
        if lesser := len(report.findings) - len(errors):
            lines.append(
                f"({lesser} warning(s) not caused by this patch, such as tests that already failed "
                "on the base commit, are left out: do not try to fix them)"
            )
        if report.detail:
            lines.append(report.detail.strip())
        parts.append("\n".join(lines))
    text = "\n\n".join(parts) or "the gates rejected the candidate without details"
    return text if len(text) <= REPORT_CHARS else text[:REPORT_CHARS] + "\n[... report cut ...]"


def apply_to_tree(root: Path, diff: str) -> None:
    """Apply ``diff`` to the user's working tree: checked first, clean apply only, all or nothing."""
    from tools.patch import apply_patch

    report = apply_patch(root, diff)
    if not report.passed:
        raise InputError(f"the patch does not apply to your working tree: {report.detail}")


def print_gate_table(result: ReviewResult, console) -> None:
    """The gate table a person reads (the gates' own renderer, so review and solve look the same)."""
    from tools.report import print_table

    print_table(result, console)


def sarif(result: ReviewResult) -> dict:
    """The review as a SARIF log (rendered by the gates' reporter)."""
    from tools.report import to_sarif

    return to_sarif(result)
