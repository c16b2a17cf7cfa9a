"""The ``scope`` gate: where a change may go, how large it may be, whether it weakens tests, and what a reviewer
would reject on sight (``tools.reviewer``).

A model that cannot fix a bug is tempted to edit CI, the lockfile or the test
that fails, or to leave scratch files behind; this gate makes each of those a
named finding, and so are the quieter forms of test weakening read from syntax
trees and pytest settings (``tools.weakening``) and changes to patchgate's own
rules (``tools.baserules``). On a person's own commit the weakening and the size
limits are warnings (``tools.findings.on_own_commit``): a maintainer deletes tests too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from tools.baserules import rule_change_findings
from tools.candidate import Candidate, ChangedFile
from tools.findings import Finding, GateReport, on_own_commit
from tools.gate import GateContext
from tools.options import ReviewOptions
from tools.policy import Scope, TestRules, matches
from tools.reviewer import ReadFile, reviewer_findings
from tools.weakening import weakening_findings

ALLOW_MARKER = "patchgate: allow"  # the inline marker the security rules honour, for fixtures that must look bad
# a test function (group 1) or a Test class (group 2) being defined
_TEST_DEF = re.compile(r"^\s*(?:(?:async\s+)?def\s+(test\w*)\s*\(|class\s+(Test\w*)\b)")


class ScopeGate:
    """``scope``: paths, size limits, test weakening and reviewer rules under policies/default.yaml and the config."""

    name = "scope"
    needs = "nothing"

    def run(self, ctx: GateContext) -> GateReport:
        read_new = ctx.new_text if ctx.applied else None
        report = scope_gate(ctx.candidate, ctx.options, ctx.policies.default.scope, ctx.base_text, read_new)
        rules = rule_change_findings(
            ctx.candidate,
            ctx.repo,
            ctx.base,
            ctx.tree if ctx.applied else None,
            ctx.options.policy_dir,
            approved=ctx.options.config_from == "candidate",
        )
        findings = [*report.findings, *rules]
        return GateReport(name="scope", passed=not any(f.severity == "error" for f in findings), findings=findings)


def scope_gate(
    candidate: Candidate,
    options: ReviewOptions,
    policy: Scope,
    read_base: ReadFile | None = None,
    read_new: ReadFile | None = None,
) -> GateReport:
    """Paths, size limits, test weakening and reviewer rules of ``candidate`` under ``policy`` and the config.

    ``read_base``/``read_new`` give a file's text before and after the change; without them the rules
    that compare the two (dependency tables of pyproject.toml, prints in modules that already print) are
    judged on the diff alone.
    """
    tests = policy.tests
    findings = _path_findings(candidate, policy, options)
    if options.model_patch_rules:  # a person's own commit may add a module or a root script
        findings.extend(reviewer_findings(candidate, policy.reviewer, tests.paths, read_base, read_new))
    weakened = _limit_findings(candidate, policy, options)
    if read_base is not None:
        weakened.extend(weakening_findings(candidate, read_base, read_new or (lambda _path: None), tests.paths))
    for changed in candidate.files:
        if matches(changed.path, tests.paths) or (changed.old_path and matches(changed.old_path, tests.paths)):
            weakened.extend(weakened_tests(changed, tests))
    findings.extend(on_own_commit(weakened, own=not options.model_patch_rules))
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
                findings.append(
                    Finding(rule="scope.outside-allowed", path=path, message=f"{path} is outside the allowed paths")
                )
            elif matches(path, policy.protected) and not matches(path, options.allow_protected):
                findings.append(_protected(path, options))
    return findings


def _protected(path: str, options: ReviewOptions) -> Finding:
    """A protected path (CI, lockfile): an error in a model's patch, a note on a person's own commit."""
    if options.model_patch_rules:
        return Finding(
            rule="scope.protected-path",
            path=path,
            message=f"{path} is protected (CI config, lockfile "
            "or .git); allow it with [tool.patchgate.review] allow_protected",
        )
    return Finding(
        rule="scope.protected-path",
        path=path,
        severity="note",
        message=f"{path} is protected from model patches; your own commit may change it",
    )


def _limit_findings(candidate: Candidate, policy: Scope, options: ReviewOptions) -> list[Finding]:
    limits = policy.limits
    measured = {
        "files": (len(candidate.files), options.max_files or limits.max_files),
        "hunks": (sum(len(f.hunks) for f in candidate.files), options.max_hunks or limits.max_hunks),
        "changed lines": (candidate.changed_lines, options.max_changed_lines or limits.max_changed_lines),
    }
    return [
        Finding(
            rule=f"scope.too-many-{what.replace(' ', '-')}", message=f"{count} {what} changed; the limit is {limit}"
        )
        for what, (count, limit) in measured.items()
        if limit is not None and count > limit
    ]


def weakened_tests(changed: ChangedFile, rules: TestRules) -> list[Finding]:
    """Deleted test files and functions, removed assertions, added skip/xfail markers in one test file."""
    path = changed.path
    if changed.deleted:
        return [Finding(rule="scope.deleted-test-file", path=path, message=f"test file {path} is deleted")]
    findings = [
        Finding(rule="scope.deleted-test", path=path, line=line, message=f"test function {name} is deleted")
        for line, name in deleted_tests(changed)
    ]
    added = dict(changed.added)
    added_text = {text.strip() for text in added.values()}
    added_tests = _tests_defined(added.values())
    asserts = [re.compile(p) for p in rules.assertions]
    removed = [(n, t) for n, t in changed.removed if any(p.search(t) for p in asserts)]
    added_count = sum(1 for _, t in changed.added if any(p.search(t) for p in asserts))
    dropped = [(n, t) for n, t in removed if t.strip() not in added_text]
    for line, text in dropped[: max(0, len(removed) - added_count)]:
        findings.append(
            Finding(
                rule="scope.removed-assertion", path=path, line=line, message=f"assertion removed: {text.strip()[:120]}"
            )
        )
    skips = [re.compile(p) for p in rules.skip_markers]
    if changed.status == "added":
        return findings  # skipping a test that did not exist weakens nothing
    new_tests = added_tests - _tests_defined(text for _, text in changed.removed)
    for line, text in changed.added:
        if any(p.search(text) for p in skips) and ALLOW_MARKER not in text and not _on_new_test(line, added, new_tests):
            findings.append(
                Finding(
                    rule="scope.added-skip",
                    path=path,
                    line=line,
                    message=f"test skipped or marked xfail: {text.strip()[:120]}",
                    suggestion="",
                )
            )
    return findings


def deleted_tests(changed: ChangedFile) -> list[tuple[int, str]]:
    """(line, name) of each test function the change removes from a file and does not define again there."""
    added_tests = _tests_defined(text for _, text in changed.added)
    return [
        (line, m[1])
        for line, text in changed.removed
        if (m := _TEST_DEF.match(text)) and m[1] and m[1] not in added_tests
    ]


def added_tests(changed: ChangedFile) -> set[str]:
    """The test functions and Test classes the change defines in a file that it did not define before."""
    return _tests_defined(text for _, text in changed.added) - _tests_defined(text for _, text in changed.removed)


def _tests_defined(lines: Iterable[str]) -> set[str]:
    """The test functions and Test classes ``lines`` define."""
    return {m[1] or m[2] for text in lines if (m := _TEST_DEF.match(text))}


def _on_new_test(line: int, added: dict[int, str], new_tests: set[str]) -> bool:
    """Whether the skip added at ``line`` decorates, or sits in, a test the same change adds.

    A new test skipped where it cannot run (``skipif(WIN)``, another interpreter) weakens nothing that ran
    before. A decorator belongs to the definition below it, a call to the one above; either way every line
    between them is new, or the test is not.
    """
    step = 1 if added[line].lstrip().startswith("@") else -1
    while line in added:
        if match := _TEST_DEF.match(added[line]):
            return (match[1] or match[2]) in new_tests
        line += step
    return False
