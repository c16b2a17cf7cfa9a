"""The ``scope`` gate: where a change may go, how large it may be, and whether it weakens tests.

A model that cannot fix a bug is tempted to edit CI, the lockfile or the test
that fails; this gate makes each of those a named finding.
"""

from __future__ import annotations

import re

from patchgate.tools.candidate import Candidate, ChangedFile
from patchgate.tools.findings import Finding, GateReport
from patchgate.tools.gate import GateContext
from patchgate.tools.options import ReviewOptions
from patchgate.tools.policy import Scope, TestRules, matches

_TEST_DEF = re.compile(r"^\s*(?:async\s+)?def\s+(test\w*)\s*\(")


class ScopeGate:
    """``scope``: paths, size limits and test weakening under policies/default.yaml and the config."""

    name = "scope"
    needs = "nothing"

    def run(self, ctx: GateContext) -> GateReport:
        return scope_gate(ctx.candidate, ctx.options, ctx.policies.default.scope)


def scope_gate(candidate: Candidate, options: ReviewOptions, policy: Scope) -> GateReport:
    """Paths, size limits and test weakening of ``candidate`` under ``policy`` and the config."""
    findings = [*_path_findings(candidate, policy, options), *_limit_findings(candidate, policy, options)]
    tests = policy.tests
    for changed in candidate.files:
        if matches(changed.path, tests.paths) or (changed.old_path and matches(changed.old_path, tests.paths)):
            findings.extend(weakened_tests(changed, tests))
    return GateReport(name="scope", passed=not any(f.severity == "error" for f in findings), findings=findings)


def _path_findings(candidate: Candidate, policy: Scope, options: ReviewOptions) -> list[Finding]:
    allowed = [*policy.allowed, *options.allowed_paths]
    denied = [*policy.denied, *options.denied_paths]
    findings = []
    for changed in candidate.files:
        for path in dict.fromkeys(p for p in (changed.path, changed.old_path) if p):
            if matches(path, denied):
                findings.append(Finding(rule="scope.denied-path", path=path, message=f"{path} is a denied path"))
            elif allowed and not matches(path, allowed):
                findings.append(Finding(rule="scope.outside-allowed", path=path,
                                        message=f"{path} is outside the allowed paths"))
            elif matches(path, policy.protected) and not matches(path, options.allow_protected):
                findings.append(Finding(rule="scope.protected-path", path=path,
                                        message=f"{path} is protected (CI config, lockfile or .git); "
                                                "allow it with [tool.patchgate.review] allow_protected"))
    return findings


def _limit_findings(candidate: Candidate, policy: Scope, options: ReviewOptions) -> list[Finding]:
    limits = policy.limits
    measured = {
        "files": (len(candidate.files), options.max_files or limits.max_files),
        "hunks": (sum(len(f.hunks) for f in candidate.files), options.max_hunks or limits.max_hunks),
        "changed lines": (candidate.changed_lines, options.max_changed_lines or limits.max_changed_lines),
    }
    return [Finding(rule=f"scope.too-many-{what.replace(' ', '-')}", message=f"{count} {what} changed; the limit is {limit}")
            for what, (count, limit) in measured.items() if limit is not None and count > limit]


def weakened_tests(changed: ChangedFile, rules: TestRules) -> list[Finding]:
    """Deleted test files and functions, removed assertions, added skip/xfail markers in one test file."""
    path = changed.path
    if changed.deleted:
        return [Finding(rule="scope.deleted-test-file", path=path, message=f"test file {path} is deleted")]
    findings = []
    added_text = {text.strip() for _, text in changed.added}
    added_defs = {m[1] for _, text in changed.added if (m := _TEST_DEF.match(text))}
    for line, text in changed.removed:
        if (m := _TEST_DEF.match(text)) and m[1] not in added_defs:
            findings.append(Finding(rule="scope.deleted-test", path=path, line=line,
                                    message=f"test function {m[1]} is deleted"))
    asserts = [re.compile(p) for p in rules.assertions]
    removed = [(n, t) for n, t in changed.removed if any(p.search(t) for p in asserts)]
    added_count = sum(1 for _, t in changed.added if any(p.search(t) for p in asserts))
    dropped = [(n, t) for n, t in removed if t.strip() not in added_text]
    for line, text in dropped[: max(0, len(removed) - added_count)]:
        findings.append(Finding(rule="scope.removed-assertion", path=path, line=line,
                                message=f"assertion removed: {text.strip()[:120]}"))
    skips = [re.compile(p) for p in rules.skip_markers]
    for line, text in changed.added:
        if any(p.search(text) for p in skips):
            findings.append(Finding(rule="scope.added-skip", path=path, line=line,
                                    message=f"test skipped or marked xfail: {text.strip()[:120]}", suggestion=""))
    return findings
