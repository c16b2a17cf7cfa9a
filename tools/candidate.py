"""A candidate patch read once: which files it touches, which lines it adds and removes.

Every gate reads the same parsed view, so "the added lines of ``x.py``" means
one thing everywhere. unidiff does the parsing; this module adds the path
safety check (a patch may not reach outside the repository) and the small
views the gates need.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from unidiff import PatchSet
from unidiff.errors import UnidiffParseError

from core.errors import InputError
from core.submodules import GITLINK

MAX_PATCH_CHARS = 10 * 2**20  # characters of diff text, checked before parsing
MAX_LINE_CHARS = 2**20  # one line: minified files pass, a 50 MB blob does not


class UnsafePath(InputError):
    """A patch names a path outside the repository (``..``, absolute, or through a symlink)."""


@dataclass(frozen=True)
class Hunk:
    """One hunk: where it starts in the old and new file, and its header for messages."""

    index: int
    old_start: int
    new_start: int
    header: str


@dataclass
class ChangedFile:
    """One file of a candidate, with its added and removed lines (1-based line numbers)."""

    path: str
    old_path: str | None
    status: str  # "added", "modified", "deleted", "renamed"
    binary: bool = False
    submodule: bool = False  # a submodule's recorded commit (git's gitlink), not a file
    added: list[tuple[int, str]] = field(default_factory=list)
    removed: list[tuple[int, str]] = field(default_factory=list)
    hunks: list[Hunk] = field(default_factory=list)

    @property
    def deleted(self) -> bool:
        return self.status == "deleted"

    def added_text(self) -> str:
        """The added lines joined, for scanners that read text."""
        return "\n".join(text for _, text in self.added)


@dataclass
class Candidate:
    """A parsed unified diff."""

    diff: str
    files: list[ChangedFile]

    @property
    def paths(self) -> list[str]:
        return [f.path for f in self.files]

    @property
    def touched(self) -> list[str]:
        """Every path the change reaches, the old name of a rename or move too, in order and once each."""
        return list(dict.fromkeys(p for f in self.files for p in (f.path, f.old_path) if p))

    def file(self, path: str) -> ChangedFile | None:
        return next((f for f in self.files if f.path == path), None)

    @property
    def changed_lines(self) -> int:
        return sum(len(f.added) + len(f.removed) for f in self.files)


def check_size(diff: str, source: str = "the patch") -> None:
    """Refuse a diff too large to review before anything parses it (an InputError naming the limit).

    Real reviews are far below these bounds; past them parsing and scanning
    take minutes and gigabytes, so the answer is a clear error instead.
    """
    if len(diff) > MAX_PATCH_CHARS:
        raise too_large(source)
    start, longest_at, longest = 0, 0, 0
    while start < len(diff):
        end = diff.find("\n", start)
        end = len(diff) if end < 0 else end
        if end - start > longest:
            longest_at, longest = start, end - start
        start = end + 1
    if longest > MAX_LINE_CHARS:
        line = diff.count("\n", 0, longest_at) + 1
        raise InputError(
            f"{source} has a line of {longest:,} characters (line {line}); the limit is "
            f"{MAX_LINE_CHARS // 2**10} KiB per line"
        )


def too_large(source: str) -> InputError:
    """The error for a patch over MAX_PATCH_CHARS (also raised by readers that stop reading at the limit)."""
    return InputError(
        f"{source} is larger than {MAX_PATCH_CHARS // 2**20} MiB; patchgate reviews patches up to "
        "that size: split the change"
    )


def parse_diff(diff: str) -> Candidate:
    """Parse a unified diff (``git diff`` output or plain ``diff -u``); bad input is an InputError."""
    check_size(diff)
    try:
        patch = PatchSet(diff)
    except UnidiffParseError as exc:
        raise InputError(f"not a unified diff: {exc}") from None
    if not diff.strip():
        return Candidate(diff, [])
    _check_hunk_headers(diff)
    files = [_changed_file(pf) for pf in patch]
    if not files:
        raise InputError("not a unified diff: no file headers found")
    for pf, changed in zip(patch, files, strict=True):
        if not changed.hunks and not changed.binary and not _header_only_change(pf):
            raise InputError(f"not a unified diff: {changed.path} has a file header but no hunk")
    return Candidate(diff, files)


_HUNK_HEADER = re.compile(r"^@@ -\d+(?:,\d+)? \+\d+(?:,\d+)? @@")
# What git writes for a change without content lines: an empty file added or removed, a mode change, a rename.
_HEADER_ONLY = (
    "new file mode",
    "deleted file mode",
    "old mode",
    "new mode",
    "rename from",
    "copy from",
    "similarity index",
)


# git's header of a submodule's entry: its "file" is the commit the submodule is at ("Subproject commit <sha>")
_GITLINK = re.compile(rf"(?:index [0-9a-f]+\.\.[0-9a-f]+ |(?:new file |deleted file |new |old )mode ){GITLINK}\s*$")


def _check_hunk_headers(diff: str) -> None:
    """A line that starts like a hunk header must be one: unidiff would skip it, and the hunk with it."""
    for number, line in enumerate(diff.splitlines(), start=1):
        if line.startswith("@@") and not _HUNK_HEADER.match(line):
            raise InputError(f"not a unified diff: line {number} is not a hunk header: {line[:60]!r}")


def _header_only_change(pf) -> bool:
    return any(str(line).startswith(_HEADER_ONLY) for line in (pf.patch_info or []))


def _strip(name: str | None) -> str | None:
    if name is None or name == "/dev/null":
        return None
    for prefix in ("a/", "b/"):
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def _git_says(pf, mode: str) -> bool | None:
    """For a git diff, whether its header has ``new file mode``/``deleted file mode``; None for plain diffs.

    unidiff guesses "added" from a hunk at line 0, which is also what filling an empty file looks like;
    git's header says which it is.
    """
    info = [str(line) for line in (pf.patch_info or [])]
    if not any(line.startswith("diff --git ") for line in info):
        return None
    return any(line.startswith(mode) for line in info)


def _changed_file(pf) -> ChangedFile:
    source, target = _strip(pf.source_file), _strip(pf.target_file)
    added, removed = _git_says(pf, "new file mode"), _git_says(pf, "deleted file mode")
    if pf.is_added_file if added is None else added:
        status, path, old = "added", target, None
    elif pf.is_removed_file if removed is None else removed:
        status, path, old = "deleted", source, source
    elif source and target and source != target:
        status, path, old = "renamed", target, source
    else:
        status, path, old = "modified", target or source, source
    gitlink = any(_GITLINK.match(str(line)) for line in (pf.patch_info or []))
    changed = ChangedFile(
        path=path or pf.path, old_path=old, status=status, binary=pf.is_binary_file, submodule=gitlink
    )
    for index, hunk in enumerate(pf, start=1):
        header = f"@@ -{hunk.source_start},{hunk.source_length} +{hunk.target_start},{hunk.target_length} @@"
        changed.hunks.append(Hunk(index, hunk.source_start, hunk.target_start, header))
        for line in hunk:
            if line.is_added:
                changed.added.append((line.target_line_no, line.value.rstrip("\r\n")))
            elif line.is_removed:
                changed.removed.append((line.source_line_no, line.value.rstrip("\r\n")))
    return changed


def check_paths(root: Path, candidate: Candidate) -> None:
    """Refuse a candidate that names a path leaving ``root``: ``..``, absolute, or through a symlink."""
    base = root.resolve()
    for changed in candidate.files:
        for rel in {p for p in (changed.path, changed.old_path) if p is not None}:
            pure = PurePosixPath(rel)
            if pure.is_absolute() or ".." in pure.parts or rel.startswith("~"):
                raise UnsafePath(f"patch path {rel!r} leaves the repository")
            if ".git" in pure.parts:
                raise UnsafePath(f"patch path {rel!r} writes into .git")
            resolved = (base / rel).resolve()
            if resolved != base and base not in resolved.parents:
                raise UnsafePath(f"patch path {rel!r} leaves the repository through a symlink")
