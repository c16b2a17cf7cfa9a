"""Run every registered gate on one candidate diff, in a throw-away worktree of its base.

This is the one entry point the CLI, the pre-commit hook and the agent share:
``review(root, diff, base=..., options=...) -> ReviewResult``. The user's
working tree is never written; the worktree is removed on success, error and
Ctrl-C alike (``core.git.worktree``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.git import file_at, open_repo, resolve_rev, worktree
from tools.baseline import Baseline
from tools.baserules import options_at
from tools.candidate import parse_diff
from tools.findings import GateReport, ReviewResult
from tools.gate import GateContext, gate_names, load_gate
from tools.options import ReviewOptions
from tools.policy import Policies

__all__ = ["ReviewOptions", "load_options", "review"]


def load_options(root: Path, overrides: dict[str, Any] | None = None, *, base: str = "HEAD") -> ReviewOptions:
    """``[tool.patchgate.review]`` as commit ``base`` of the repository at ``root`` has it, flag ``overrides`` on top.

    Never the working tree: a staged or proposed change to the settings must
    not decide how that same change is reviewed (``tools.baserules``).
    """
    repo = open_repo(root)
    return options_at(repo, resolve_rev(repo, base), overrides)


def review(root: Path, diff: str, *, base: str = "HEAD", options: ReviewOptions | None = None,
           baseline: Baseline | None = None) -> ReviewResult:
    """Apply ``diff`` to ``base`` in an isolated worktree and run the gates; bad input raises InputError.

    Without ``options`` the base commit's own ``[tool.patchgate.review]`` applies, so every caller (the
    review command, the hook, the agent) holds a candidate to the same policy. ``baseline`` shares the base's
    worktree and test runs between the reviews of several candidates (``tools.baseline``).
    """
    repo = open_repo(root)
    commit = resolve_rev(repo, base)
    options = options or load_options(root, base=commit)
    policies = Policies(options.policy_dir)
    candidate = parse_diff(diff)
    reports: list[GateReport] = []
    with worktree(repo, commit) as tree:
        ctx = GateContext(repo=repo, base=commit, diff=diff, candidate=candidate, tree=tree, options=options,
                          policies=policies, base_text=lambda path: file_at(repo, commit, path), baseline=baseline)
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
                report = gate.run(ctx)
                reports.append(report)
                if name == "apply":
                    ctx.applied = report.passed
    return ReviewResult(passed=all(g.passed for g in reports if not g.skipped), gates=reports)


def _not_run(name: str, why: str) -> GateReport:
    return GateReport(name=name, passed=False, skipped=True, detail=f"not run: {why}")
