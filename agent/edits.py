"""The edit format the model answers in, its types, and the unified diff a set of edits becomes.

The one documented format is a search/replace block::

    path/to/file.py
    <<<<<<< SEARCH
    lines exactly as they are in the file
    =======
    the lines that replace them
    >>>>>>> REPLACE

An empty SEARCH creates the file (or appends to an empty one). A unified
diff is accepted too: each hunk becomes a block, so both formats go through
the same matcher. Reading answers is ``agent.edit_parse``; matching blocks
against file text is ``agent.edit_match``.
"""

from __future__ import annotations

import difflib
import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field

SEARCH, DIVIDER, REPLACE = "<<<<<<< SEARCH", "=======", ">>>>>>> REPLACE"
DELETE = "\0delete"  # replace text of a block that removes the whole file (``+++ /dev/null``)
FORMAT_HELP = f"""Answer with search/replace blocks, one per change, each preceded by the file's path:

path/to/file.py
{SEARCH}
lines copied exactly from the current file (enough to be unique)
{DIVIDER}
the new lines
{REPLACE}

An empty SEARCH section creates a new file. Copy SEARCH lines character for character from the file,
without the line numbers shown beside them. A unified diff is accepted too."""
ReadFile = Callable[[str], "str | None"]  # a file's text at the base, None if there is no such file


@dataclass(frozen=True)
class EditBlock:
    """One change to one file: replace ``search`` by ``replace``."""

    path: str
    search: str
    replace: str
    line: int | None = None  # where the change starts in the original file (a unified diff's @@ number)


@dataclass
class EditProblem:
    """Why a block could not be applied, written for the model."""

    block: EditBlock
    message: str


@dataclass
class EditOutcome:
    """New file texts (None = deleted) for the blocks that applied, and the problems of those that did not."""

    files: dict[str, str | None] = field(default_factory=dict)
    problems: list[EditProblem] = field(default_factory=list)
    tolerant: set[str] = field(default_factory=set)  # files where a block matched only ignoring whitespace


class EditFormatError(ValueError):
    """The answer holds no readable edit at all."""


def repo_path(path: str) -> str | None:
    """``path`` as a clean repository-relative path, or None if it leaves the repository or names .git."""
    clean = posixpath.normpath(path.strip().replace("\\", "/").lstrip("/"))
    if clean == "." or clean == ".." or clean.startswith("../") or clean.split("/")[0] == ".git":
        return None
    return clean


def unified_diff(originals: dict[str, str | None], changed: dict[str, str | None]) -> str:
    """A git-style unified diff from the original texts (None: absent) to the changed ones."""
    parts: list[str] = []
    for path in sorted(changed):
        before, after = originals.get(path), changed[path]
        if before == after:
            continue
        header = [f"diff --git a/{path} b/{path}\n"]
        if before is None:
            header.append("new file mode 100644\n")
        elif after is None:
            header.append("deleted file mode 100644\n")
        old = f"a/{path}" if before is not None else "/dev/null"
        new = f"b/{path}" if after is not None else "/dev/null"
        body = difflib.unified_diff(_lines(before), _lines(after), old, new)
        parts.append("".join(header) + "".join(body))
    return "".join(parts)


def _lines(text: str | None) -> list[str]:
    """Lines with endings; a last line without one gets git's marker so ``git apply`` reads it."""
    if not text:
        return []
    lines = text.splitlines(keepends=True)
    if not lines[-1].endswith("\n"):
        lines[-1] += "\n\\ No newline at end of file\n"
    return lines


def touched_paths(diff: str) -> list[str]:
    """Repository paths a unified diff changes (old and new names of renames), in order, whatever the names hold."""
    from tools.candidate import parse_diff

    return parse_diff(diff).touched
