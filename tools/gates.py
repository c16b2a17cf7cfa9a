"""Run every registered gate on one candidate diff, in a worktree of its base.

This is the one entry point the CLI, the pre-commit hook and the agent share:
``review(root, diff, base=..., options=..., tests=...) -> ReviewResult``. The
settings are the base commit's (or a person's approved own), resolved by the
caller at its edge (``core.settings.resolve``); this module reads no
configuration. The user's working tree is never written; the worktree is one
kept between reviews and reset after each (``core.worktrees``), or a
throw-away one removed on success, error and Ctrl-C alike (``core.worktrees.worktree``).
"""

from __future__ import annotations

from pathlib import Path

from core.git import file_at, open_repo, resolve_rev
from core.settings import ReviewOptions, TestSettings
from core.worktrees import kept_worktree, worktree
from tools.baseline import Baseline
from tools.baserules import policy_folder
from tools.candidate import parse_diff
from tools.envbuild import Progress
from tools.findings import GateReport, ReviewResult
from tools.gate import GateContext, gate_names, load_gate
from tools.options import check_gates
from tools.policy import Policies

__all__ = ["ReviewOptions", "review"]


def review(
    root: Path,
    diff: str,
    *,
    base: str = "HEAD",
    options: ReviewOptions | None = None,
    tests: TestSettings | None = None,
    baseline: Baseline | None = None,
    progress: Progress | None = None,
) -> ReviewResult:
    """Apply ``diff`` to ``base`` in an isolated worktree and run the gates; bad input raises InputError.

    ``options`` and ``tests`` default to patchgate's defaults, not to any file: every command passes the
    base commit's own (``core.settings.resolve(root, base=...)``), so the review command, the hook and the
    agent hold a candidate to the same policy. ``baseline`` shares the base's worktree and test runs
    between the reviews of several candidates (``tools.baseline``). ``progress`` hears what runs now (the gate,
    the test files and on which side), for a person who waits minutes on a large suite.
    """
    repo = open_repo(root)
    commit = resolve_rev(repo, base)
    options = check_gates(options or ReviewOptions())
    policies = Policies(policy_folder(repo, commit, options.policy_dir))
    candidate = parse_diff(diff)
    reports: list[GateReport] = []
    with (kept_worktree if options.reuse_worktrees else worktree)(repo, commit) as tree:
        ctx = GateContext(
            repo=repo,
            base=commit,
            diff=diff,
            candidate=candidate,
            tree=tree,
            options=options,
            tests=tests or TestSettings(),
            policies=policies,
            base_text=lambda path: file_at(repo, commit, path),
            baseline=baseline,
        )
        if progress is not None:
            ctx.progress = progress
        for name in gate_names():
            if not options.enabled(name):
                if name != "issue-tests":  # listed only when the caller named tests
                    reports.append(GateReport(name=name, passed=True, skipped=True, detail="turned off"))
                continue
            gate = load_gate(name)
            if gate.needs == "applied" and not ctx.applied:
                reports.append(_not_run(name, "the patch does not apply"))
            elif gate.needs == "green" and not (ctx.applied and all(r.passed for r in reports if not r.skipped)):
                reports.append(_not_run(name, "another gate failed"))
            else:
                ctx.progress(f"the {name} gate")
                report = gate.run(ctx)
                reports.append(report)
                if name == "apply":
                    ctx.applied = report.passed
    return ReviewResult(passed=all(g.passed for g in reports if not g.skipped), gates=reports)


def _not_run(name: str, why: str) -> GateReport:
    return GateReport(name=name, passed=False, skipped=True, detail=f"not run: {why}")
