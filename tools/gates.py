"""Run every gate on one candidate diff, in a throw-away worktree of its base.

This is the one entry point the CLI, the pre-commit hook and the agent share:
``review(root, diff, base=..., options=...) -> ReviewResult``. The user's
working tree is never written; the worktree is removed on success, error and
Ctrl-C alike (``tools.git.worktree``).
"""

from __future__ import annotations

from pathlib import Path

from patchgate.config import section
from patchgate.git import file_at, open_repo, resolve_rev, worktree
from patchgate.tools.candidate import parse_diff
from patchgate.tools.findings import GateReport, ReviewResult
from patchgate.tools.licenses import license_gate
from patchgate.tools.options import ReviewOptions
from patchgate.tools.parsers import parse_gate
from patchgate.tools.patch import apply_patch
from patchgate.tools.scope import scope_gate
from patchgate.tools.security import security_gate

__all__ = ["ReviewOptions", "load_options", "review"]


def load_options(root: Path, overrides: dict | None = None) -> ReviewOptions:
    """``[tool.patchgate.review]`` of the repository at ``root``, with flag ``overrides`` on top."""
    return section(root, "review", ReviewOptions, overrides)


def review(root: Path, diff: str, *, base: str = "HEAD", options: ReviewOptions | None = None) -> ReviewResult:
    """Apply ``diff`` to ``base`` in an isolated worktree and run the gates; bad input raises InputError.

    Without ``options`` the repository's own ``[tool.patchgate.review]`` applies, so every caller (the
    review command, the hook, the agent) holds a candidate to the same policy.
    """
    options = options or load_options(root)
    repo = open_repo(root)
    commit = resolve_rev(repo, base)
    candidate = parse_diff(diff)
    reports: dict[str, GateReport] = {}
    with worktree(repo, commit) as tree:
        reports["apply"] = apply_patch(tree, diff, three_way=True)
        applied = reports["apply"].passed
        if options.enabled("parse"):
            reports["parse"] = (parse_gate(candidate, tree, lambda p: file_at(repo, commit, p), options)
                                if applied else _blocked("parse"))
        if options.enabled("tests"):
            from patchgate.tools.testing import tests_gate

            reports["tests"] = tests_gate(repo, commit, candidate, tree, options) if applied else _blocked("tests")
        if options.enabled("scope"):
            reports["scope"] = scope_gate(candidate, options)
        if options.enabled("security"):
            reports["security"] = security_gate(candidate, tree if applied else None, options)
        if options.enabled("license"):
            reports["license"] = license_gate(candidate, options)
    gates = [reports.get(name) or GateReport(name=name, passed=True, skipped=True, detail="turned off")
             for name in ("apply", "parse", "tests", "scope", "security", "license")]
    return ReviewResult(passed=all(g.passed for g in gates if not g.skipped), gates=gates)


def _blocked(name: str) -> GateReport:
    return GateReport(name=name, passed=False, skipped=True, detail="not run: the patch does not apply")
