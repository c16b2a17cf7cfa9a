"""What CI knows, as an issue for the agent: failing tests, a JUnit report, a log, the pull request's files.

CI runs ``patchgate suggest`` on a pull request; the failure it should fix
arrives as test ids, a JUnit XML file or a raw log. This module turns them
into issue text (untrusted data like any issue) and turns the resulting
patch into GitHub review comments with ```suggestion blocks.
"""

from __future__ import annotations

from pathlib import Path

import unidiff

from core.errors import InputError
from core.git import open_repo, resolve_rev
from core.junit import read_junit
from core.secrets import redact

LOG_LINES = 80


def ci_issue(root: Path, base: str, *, failing: list[str], junit: Path | None, log: Path | None) -> str:
    """Issue text describing what fails on this pull request."""
    repo = open_repo(root)
    base_commit = resolve_rev(repo, base)
    changed = [p for p in repo.git.diff("--name-only", "-z", f"{base_commit}...HEAD").split("\0") if p]
    parts = ["Make the failing checks of this pull request pass without weakening them."]
    failures = [*failing, *(junit_failures(junit) if junit else [])]
    if failures:
        parts.append("Failing tests:\n" + "\n".join(f"- {f}" for f in failures))
    if log is not None:
        parts.append("End of the CI log:\n" + tail(log))
    if changed:
        parts.append("Files changed by the pull request:\n" + "\n".join(f"- {p}" for p in changed[:50]))
    if not failures and log is None:
        raise InputError("nothing to fix: give --failing TEST, --junit FILE or --log FILE")
    return "\n\n".join(parts)


def junit_failures(path: Path) -> list[str]:
    """``file::name: message`` for every failed or errored test case in a JUnit XML report."""
    return [
        f"{case.file or case.classname.replace('.', '/') + '.py'}::{case.name}: {case.message[:200] or 'failed'}"
        for case in read_junit(path)
        if case.failed
    ]


def tail(path: Path) -> str:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as exc:
        raise InputError(f"cannot read log {path}: {exc}") from None
    return redact("\n".join(lines[-LOG_LINES:]))


def suggestion_comments(diff: str) -> list[dict]:
    """One GitHub review comment per hunk: the lines it replaces and a ```suggestion with the new text.

    The shape is what the "create a review" API takes in ``comments``
    (path, start_line, line, side, body). Hunks that only add or delete
    whole files cannot be suggestions and are left to the patch file.
    """
    comments = []
    for patched in unidiff.PatchSet(diff):
        if patched.is_added_file or patched.is_removed_file:
            continue
        for hunk in patched:
            start, length = hunk.source_start, hunk.source_length
            new_text = "".join(line.value for line in hunk if not line.is_removed)
            comment = {
                "path": patched.path,
                "line": start + max(length, 1) - 1,
                "side": "RIGHT",
                "body": f"patchgate suggests:\n```suggestion\n{new_text}```",
            }
            if length > 1:
                comment["start_line"] = start
            comments.append(comment)
    return comments
