"""The fast gates on one proposed edit, without a worktree: what an agent hook runs before every edit lands.

``review()`` checks a change out into a throw-away worktree and runs the project's tests: right for a
commit, far too slow for a coding agent's inner loop, where every ``Edit`` waits for the answer. An edit
is small and its texts are known (the file as saved, the file as the edit leaves it), so the gates that
read only texts (parse, scope with its weakening and reviewer rules, security, license) run on a tiny
overlay folder holding just the edited files. Tests and the import check need the whole tree and run in
the agent's Stop review instead; the result says so, so nothing here claims they passed.

Settings and policies still come from the base commit (``tools.baserules``), as in ``review()``.
"""

from __future__ import annotations

import difflib
import tempfile
from dataclasses import dataclass
from pathlib import Path

from core.git import file_at, open_repo
from core.settings import RunSettings
from tools.baserules import policy_folder
from tools.candidate import check_paths, parse_diff
from tools.findings import GateReport, ReviewResult
from tools.gate import GateContext, load_gate
from tools.options import check_gates
from tools.policy import Policies

FAST_GATES = ("parse", "scope", "security", "license")
# Rules about a whole change, not one step of it: an agent that adds a module before it edits the code that
# uses it is not done yet. The Stop review judges them on the session's whole diff.
WHOLE_CHANGE_RULES = ("scope.only-new-files",)
NOT_RUN = "not run before an edit: the review when the agent stops runs the tests"


@dataclass(frozen=True)
class FileEdit:
    """One file as an edit leaves it: its text before (None: a new file) and after (None: deleted)."""

    path: str  # repository-relative, posix
    before: str | None
    after: str | None


def edits_diff(edits: list[FileEdit]) -> str:
    """A git-style unified diff of ``edits`` (what ``git diff`` would show once they are written)."""
    parts = []
    for edit in edits:
        old = (edit.before or "").splitlines(keepends=True)
        new = (edit.after or "").splitlines(keepends=True)
        header = [f"diff --git a/{edit.path} b/{edit.path}\n"]
        if edit.before is None:
            header.append("new file mode 100644\n")
        elif edit.after is None:
            header.append("deleted file mode 100644\n")
        body = list(
            difflib.unified_diff(
                old,
                new,
                "/dev/null" if edit.before is None else f"a/{edit.path}",
                "/dev/null" if edit.after is None else f"b/{edit.path}",
            )
        )
        if not body:
            continue
        parts.extend(header)
        parts.extend(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in body)
    return "".join(parts)


def gate_edits(root: Path, edits: list[FileEdit], settings: RunSettings) -> ReviewResult:
    """Run the fast gates on ``edits`` to the repository at ``root``; an unsafe path raises ``UnsafePath``.

    ``settings`` come from the command edge (``core.settings.resolve`` at the base, with the ``origin``); the
    ``apply`` gate passes because the caller built each edit from the file as saved (a stale edit never gets
    here).
    """
    repo = open_repo(root)
    commit, options = settings.commit, check_gates(settings.review)
    diff = edits_diff(edits)
    candidate = parse_diff(diff)
    check_paths(root, candidate)
    before = {e.path: e.before for e in edits}
    policies = Policies(policy_folder(repo, commit, options.policy_dir))
    reports = [GateReport(name="apply", passed=True, detail="the edit applies to the files as saved")]
    with tempfile.TemporaryDirectory(prefix="patchgate-edit-") as folder:
        overlay = Path(folder)
        for edit in edits:
            if edit.after is not None:
                target = overlay / edit.path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(edit.after, encoding="utf-8")

        def base_text(path: str) -> str | None:
            return before[path] if path in before else file_at(repo, commit, path)

        ctx = GateContext(
            repo=repo,
            base=commit,
            diff=diff,
            candidate=candidate,
            tree=overlay,
            options=options,
            tests=settings.tests,
            policies=policies,
            base_text=base_text,
            applied=True,
        )
        for name in FAST_GATES:
            if options.enabled(name):
                reports.append(_per_edit(load_gate(name).run(ctx)))
    reports.append(GateReport(name="tests", passed=True, skipped=True, detail=NOT_RUN))
    return ReviewResult(passed=all(g.passed for g in reports if not g.skipped), gates=reports)


def _per_edit(report: GateReport) -> GateReport:
    """``report`` without the findings that only a whole change can earn."""
    findings = [f for f in report.findings if f.rule not in WHOLE_CHANGE_RULES]
    if len(findings) == len(report.findings):
        return report
    return report.model_copy(update={"findings": findings, "passed": not any(f.severity == "error" for f in findings)})
