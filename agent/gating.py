"""The agent's one door to the gates (``tools.gates.review``) and to the user's tree.

Every call into the gates module lives here, so a change in its interface
is a change in this file only. It also turns a failed review into the short
report that goes back to the model: the first failing test's output, the
parse error's location, the policy finding, nothing more.
"""

from __future__ import annotations

from pathlib import Path

from patchgate.errors import InputError
from patchgate.tools.findings import Finding, GateReport, ReviewResult

REPORT_CHARS = 2500
ISSUE_TESTS = "issue-tests"


def gate(root: Path, diff: str, *, base: str, targets: list[str]) -> ReviewResult:
    """Every gate of ``patchgate review`` on ``diff`` over ``base``, then the issue's own tests.

    The review's tests gate only forbids *new* failures; an agent's patch must
    also make the tests that prove the fix (the plan's, or CI's failing ones)
    pass, so those run as one more gate, ``issue-tests``, once the others passed.
    """
    from patchgate.tools.gates import review

    result = review(root, diff, base=base)
    if not targets:
        return result
    if result.passed:
        extra = issue_tests(root, diff, base, targets)
    else:
        extra = GateReport(name=ISSUE_TESTS, passed=False, skipped=True, detail="not run: another gate failed")
    return ReviewResult(passed=result.passed and extra.passed, gates=[*result.gates, extra])


def issue_tests(root: Path, diff: str, base: str, targets: list[str]) -> GateReport:
    """Run ``targets`` (pytest ids) on the candidate in a throw-away worktree; every one must pass."""
    from patchgate.git import open_repo, worktree
    from patchgate.tools.gates import load_options
    from patchgate.tools.patch import apply_patch
    from patchgate.tools.testing import run_pytest

    with worktree(open_repo(root), base) as tree:
        apply_patch(tree, diff)
        present = [t for t in dict.fromkeys(targets) if _test_file(tree, t)]
        if not present:
            return GateReport(name=ISSUE_TESTS, passed=True, skipped=True, detail="none of the named tests exist")
        run = run_pytest(tree, present, load_options(root).timeout)
    if run.problem:
        return GateReport(name=ISSUE_TESTS, passed=False, detail=run.output[-1500:],
                          findings=[Finding(rule="issue-tests.not-run", message=run.problem)])
    findings = [Finding(rule="issue-tests.failing", path=path, line=line, message=f"{test_id} still fails: {message}")
                for test_id, (path, line, message) in run.failures.items()]
    return GateReport(name=ISSUE_TESTS, passed=not findings, findings=findings,
                      detail=run.output[-1500:] if findings else f"{run.passed} passed: {', '.join(present)}")


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


def _test_file(tree: Path, test_id: str) -> bool:
    """Whether ``test_id`` names a test file inside ``tree`` (never an option or a path outside it)."""
    from patchgate.agent.edits import repo_path

    path = test_id.split("::")[0]
    return not test_id.startswith("-") and repo_path(path) == path and (tree / path).is_file()


def apply_to_tree(root: Path, diff: str) -> None:
    """Apply ``diff`` to the user's working tree: checked first, clean apply only, all or nothing."""
    from patchgate.tools.patch import apply_patch

    report = apply_patch(root, diff)
    if not report.passed:
        raise InputError(f"the patch does not apply to your working tree: {report.detail}")


def print_gate_table(result: ReviewResult, console) -> None:
    """The gate table a person reads (the gates' own renderer, so review and solve look the same)."""
    from patchgate.tools.report import print_table

    print_table(result, console)

def sarif(result: ReviewResult) -> dict:
    """The review as a SARIF log (rendered by the gates' reporter)."""
    from patchgate.tools.report import to_sarif

    return to_sarif(result)
