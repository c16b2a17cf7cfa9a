"""Apply a candidate diff to a tree with ``git apply``, and say which file and hunk failed.

The same function serves the ``apply`` gate (in a throw-away worktree, with a
3-way fallback) and the agent (a green candidate onto the user's tree, clean
apply only, so a conflict never leaves markers in their files).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from core.git import run_git
from tools.candidate import Candidate, UnsafePath, check_paths, parse_diff
from tools.findings import Finding, GateReport
from tools.gate import GateContext

_FAILED_AT = re.compile(r"^error: patch failed: (?P<path>.+):(?P<line>\d+)$")
_FILE_ERROR = re.compile(r"^error: (?P<path>[^:]+): (?P<why>.+)$")
# A file's header is a ``---`` line followed by a ``+++`` line: a removed line "-- by :user:`x`" (a towncrier
# fragment, SQL, Lua) also starts with "--- ", and read as a header it made yarl's release commit a -p0 patch.
_HEADER = re.compile(r"^--- (\S+)[^\n]*\n\+\+\+ (\S+)", re.M)
_GIT_HEADER = re.compile(r"^diff --git (\S+) (\S+)$", re.M)
_APPLY_FLAGS = ("--recount", "--whitespace=nowarn")


def apply_patch(root: Path, diff: str, check_only: bool = False, three_way: bool = False) -> GateReport:
    """Apply ``diff`` in ``root`` (or only check it); the report names the failing file and hunk.

    Paths are checked first: a patch reaching outside ``root`` is refused and
    nothing is written. ``three_way`` allows ``git apply --3way`` when a clean
    apply fails (meant for worktrees; conflicts fail the gate either way).
    """
    candidate = parse_diff(diff)
    try:
        check_paths(root, candidate)
    except UnsafePath as exc:
        return GateReport(
            name="apply", passed=False, findings=[Finding(rule="apply.unsafe-path", message=str(exc))], detail=str(exc)
        )
    if not candidate.files:
        return GateReport(name="apply", passed=True, detail="empty patch")
    data = diff if diff.endswith("\n") else diff + "\n"
    strip = f"-p{strip_level(diff)}"
    check = _git_apply(root, data, strip, "--check")
    if check.returncode == 0:
        if not check_only:
            _git_apply(root, data, strip)
        return GateReport(name="apply", passed=True, detail="applied cleanly")
    if three_way:
        merged = _git_apply(root, data, strip, *(["--check"] if check_only else []), "--3way")
        if merged.returncode == 0:
            return GateReport(name="apply", passed=True, detail="applied with a 3-way merge")
    findings = _findings(check.stderr, candidate)
    return GateReport(
        name="apply", passed=False, findings=findings, detail="; ".join(f.message for f in findings)[:1000]
    )


def strip_level(diff: str) -> int:
    """1 for git-style ``a/`` ``b/`` prefixes, 0 for plain ``diff -u`` paths (as unidiff reads them).

    A git diff of only new empty files, binary files or mode changes has no ``---``/``+++`` lines;
    its ``diff --git a/x b/x`` headers carry the prefixes instead.
    """
    names = [name for m in _HEADER.finditer(diff) for name in m.groups() if name != "/dev/null"]
    names = names or [name for m in _GIT_HEADER.finditer(diff) for name in m.groups()]
    return 1 if names and all(n.startswith(("a/", "b/")) for n in names) else 0


def _git_apply(root: Path, diff: str, *flags: str) -> subprocess.CompletedProcess[str]:
    # Diffs of files that are not UTF-8 arrive with surrogate escapes (GitPython); give git the original bytes.
    proc = run_git(root, "apply", *_APPLY_FLAGS, *flags, input=diff.encode("utf-8", "surrogateescape"), check=False)
    return subprocess.CompletedProcess(
        proc.args, proc.returncode, proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace")
    )


def _findings(stderr: str, candidate: Candidate) -> list[Finding]:
    """One finding per failing hunk or file, from ``git apply``'s messages."""
    findings: list[Finding] = []
    reported: set[str] = set()
    for raw in stderr.splitlines():
        line = raw.strip()
        if m := _FAILED_AT.match(line):
            path, at = m["path"], int(m["line"])
            hunk = _hunk_at(candidate, path, at)
            where = f"hunk #{hunk[0]} {hunk[1]}" if hunk else f"line {at}"
            findings.append(
                Finding(
                    rule="apply.hunk-failed", path=path, line=at, message=f"{path}: {where} does not apply to the base"
                )
            )
            reported.add(path)
        elif (m := _FILE_ERROR.match(line)) and m["path"] not in reported and m["why"] != "patch does not apply":
            findings.append(Finding(rule="apply.file-failed", path=m["path"], message=f"{m['path']}: {m['why']}"))
            reported.add(m["path"])
    if not findings:
        message = " ".join(stderr.split())[:300] or "git apply rejected the patch"
        findings.append(Finding(rule="apply.failed", message=message))
    return findings


def _hunk_at(candidate: Candidate, path: str, line: int) -> tuple[int, str] | None:
    changed = candidate.file(path) or next((f for f in candidate.files if f.old_path == path), None)
    if changed is None:
        return None
    before = [h for h in changed.hunks if h.old_start <= line] or changed.hunks[:1]
    if not before:
        return None
    hunk = max(before, key=lambda h: h.old_start)  # git names the start line of the failing hunk
    return hunk.index, hunk.header


class ApplyGate:
    """``apply``: the candidate applies to its base (a 3-way merge is allowed in the throw-away worktree)."""

    name = "apply"
    needs = "nothing"

    def run(self, ctx: GateContext) -> GateReport:
        return apply_patch(ctx.tree, ctx.diff, three_way=True)
