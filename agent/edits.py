"""The edit format the model answers in, matched against real file text, turned into a unified diff.

The one documented format is a search/replace block::

    path/to/file.py
    <<<<<<< SEARCH
    lines exactly as they are in the file
    =======
    the lines that replace them
    >>>>>>> REPLACE

An empty SEARCH creates the file (or appends to an empty one). A unified
diff (``--- a/x`` / ``+++ b/x`` / ``@@`` hunks) is accepted too: each hunk
becomes a block, so both formats go through the same matcher. A block is
matched exactly first, then line by line ignoring surrounding whitespace
(re-indenting the replacement); a block that matches nothing, or more than
one place, gets a precise message naming the file and the closest real
lines, which goes back to the model for one more try.
"""

from __future__ import annotations

import difflib
import posixpath
import re
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

An empty SEARCH section creates a new file. Copy SEARCH lines character for character. A unified diff is accepted too."""

ReadFile = Callable[[str], "str | None"]


@dataclass(frozen=True)
class EditBlock:
    """One change to one file: replace ``search`` by ``replace``."""

    path: str
    search: str
    replace: str


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


class EditFormatError(ValueError):
    """The answer holds no readable edit at all."""


def parse_edits(text: str) -> list[EditBlock]:
    """Every search/replace block in ``text``, or the hunks of a unified diff; EditFormatError if none."""
    blocks = _parse_blocks(text)
    if not blocks and re.search(r"^\+\+\+ ", text, re.M):
        blocks = _parse_unified(text)
    if not blocks:
        raise EditFormatError("no search/replace block found. " + FORMAT_HELP)
    return blocks


def _parse_blocks(text: str) -> list[EditBlock]:
    lines = text.splitlines()
    blocks: list[EditBlock] = []
    i = 0
    while i < len(lines):
        if lines[i].strip() != SEARCH:
            i += 1
            continue
        path = _path_before(lines, i)
        j = i + 1
        search: list[str] = []
        while j < len(lines) and lines[j].strip() != DIVIDER:
            search.append(lines[j])
            j += 1
        k = j + 1
        replace: list[str] = []
        while k < len(lines) and lines[k].strip() != REPLACE:
            replace.append(lines[k])
            k += 1
        if path and k < len(lines):
            blocks.append(EditBlock(path, _joined(search), _joined(replace)))
        i = k + 1
    return blocks


def _path_before(lines: list[str], i: int) -> str:
    """The nearest non-fence line above a SEARCH marker, cleaned of Markdown decoration."""
    for back in range(i - 1, max(-1, i - 4), -1):
        candidate = lines[back].strip().strip("`*#: ").strip()
        if candidate and not candidate.startswith("```") and candidate != REPLACE:
            return candidate.removeprefix("a/").removeprefix("b/") if " " not in candidate else ""
    return ""


def _joined(lines: list[str]) -> str:
    return "".join(line + "\n" for line in lines)


def _parse_unified(text: str) -> list[EditBlock]:
    """Hunks of a unified diff as blocks: context and removed lines search, context and added lines replace."""
    blocks: list[EditBlock] = []
    path, search, replace, in_hunk = "", [], [], False

    def flush() -> None:
        if path and (search or replace):
            blocks.append(EditBlock(path, _joined(search), _joined(replace)))

    old_path = ""
    for line in text.splitlines():
        if line.startswith("--- "):
            flush()
            search, replace, in_hunk = [], [], False
            old_path = line[4:].split("\t")[0].strip().removeprefix("a/")
        elif line.startswith("+++ "):
            target = line[4:].split("\t")[0].strip()
            path = old_path if target == "/dev/null" else target.removeprefix("b/")
            if target == "/dev/null":
                blocks.append(EditBlock(path, "", DELETE))
                path = ""
        elif line.startswith("@@"):
            flush()
            search, replace, in_hunk = [], [], True
        elif in_hunk and line.startswith("\\"):
            continue
        elif in_hunk and line[:1] in (" ", "-", "+", ""):
            body = line[1:]
            if line[:1] in (" ", "", "-"):
                search.append(body)
            if line[:1] in (" ", "", "+"):
                replace.append(body)
        elif in_hunk:
            flush()
            search, replace, in_hunk = [], [], False
    flush()
    return blocks


def repo_path(path: str) -> str | None:
    """``path`` as a clean repository-relative path, or None if it leaves the repository or names .git."""
    clean = posixpath.normpath(path.strip().replace("\\", "/").lstrip("/"))
    if clean == "." or clean == ".." or clean.startswith("../") or clean.split("/")[0] == ".git":
        return None
    return clean


def apply_edits(blocks: list[EditBlock], read: ReadFile) -> EditOutcome:
    """Apply ``blocks`` in order to the texts ``read`` returns (None: no such file)."""
    outcome = EditOutcome()
    for block in blocks:
        if repo_path(block.path) != block.path:
            outcome.problems.append(EditProblem(block, f"{block.path}: not a path inside the repository; "
                                                       "use a repository-relative path such as src/module.py"))
            continue
        current = outcome.files[block.path] if block.path in outcome.files else read(block.path)
        if block.replace == DELETE:
            if current is None:
                outcome.problems.append(EditProblem(block, f"{block.path}: cannot delete, no such file"))
            else:
                outcome.files[block.path] = None
            continue
        result = apply_block(block, current)
        if isinstance(result, EditProblem):
            outcome.problems.append(result)
        else:
            outcome.files[block.path] = result
    return outcome


def apply_block(block: EditBlock, current: str | None) -> str | EditProblem:
    """The file text after ``block``, or a problem that says which lines came closest."""
    if not block.search.strip():
        if current is None or not current.strip():
            return block.replace
        return EditProblem(block, f"{block.path}: the SEARCH section is empty but the file already exists; "
                                  "copy the lines to change into SEARCH")
    if current is None:
        return EditProblem(block, f"{block.path}: no such file in the repository; check the path "
                                  "(an empty SEARCH section creates a new file)")
    count = current.count(block.search)
    if count == 1:
        return current.replace(block.search, block.replace, 1)
    if count > 1:
        return EditProblem(block, f"{block.path}: the SEARCH text occurs {count} times; "
                                  "add surrounding lines so it matches exactly one place")
    return _tolerant(block, current)


def _tolerant(block: EditBlock, current: str) -> str | EditProblem:
    """Match line by line ignoring surrounding whitespace; re-indent the replacement to the file's indentation."""
    lines = current.splitlines(keepends=True)
    wanted = [line.strip() for line in block.search.splitlines()]
    while wanted and not wanted[-1]:
        wanted.pop()
    n = len(wanted)
    starts = [i for i in range(len(lines) - n + 1) if [x.strip() for x in lines[i:i + n]] == wanted]
    if len(starts) != 1:
        return EditProblem(block, closest_lines_message(block, current, ambiguous=len(starts)))
    start = starts[0]
    shift = _indent(lines[start]) - _indent(block.search.splitlines()[0])
    replacement = [_reindent(line, shift) for line in block.replace.splitlines(keepends=True)]
    return "".join(lines[:start] + replacement + lines[start + n:])


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _reindent(line: str, shift: int) -> str:
    if not line.strip() or shift == 0:
        return line
    return " " * shift + line if shift > 0 else line[min(-shift, _indent(line)):]


def closest_lines_message(block: EditBlock, current: str, *, ambiguous: int = 0) -> str:
    """Which file, and the real lines most like the SEARCH text (with line numbers), for one more try."""
    lines = current.splitlines()
    wanted = block.search.splitlines()
    if ambiguous > 1:
        return (f"{block.path}: the SEARCH text matches {ambiguous} places (ignoring whitespace); "
                "add surrounding lines so it matches exactly one")
    start, end, similarity = _closest_window(wanted, lines)
    shown = lines[start:end]
    numbered = "\n".join(f"{start + k + 1:>5} | {text}" for k, text in enumerate(shown))
    return (f"{block.path}: the SEARCH text matches nothing in the file. The closest real lines are "
            f"{start + 1}-{end} ({similarity:.0%} similar):\n{numbered}\n"
            "Copy the SEARCH lines exactly from the file (without the line numbers).")


def _closest_window(wanted: list[str], lines: list[str], slack: int = 3) -> tuple[int, int, float]:
    """The span of ``lines`` whose lines best match ``wanted`` line by line (a few extra lines allowed).

    Scoring each wanted line by its best partner inside the window finds the
    right place even when the model left out or added a line (a docstring).
    """
    wanted = [w.strip() for w in wanted if w.strip()] or [""]
    stripped = [line.strip() for line in lines]
    ratio = [[difflib.SequenceMatcher(None, w, x, autojunk=False).ratio() for x in stripped] for w in wanted]
    size = len(wanted) + slack
    best = (0, min(len(lines), 1), -1.0)
    for start in range(max(1, len(lines) - len(wanted) + 1)):
        window = range(start, min(len(lines), start + size))
        picks = [max(window, key=lambda i: row[i]) for row in ratio] if window else [start]
        score = sum(row[i] for row, i in zip(ratio, picks)) / len(wanted)
        if score > best[2] + 1e-9:
            best = (min(picks), max(picks) + 1, score)
    return best


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
    from patchgate.tools.candidate import parse_diff

    paths = [p for f in parse_diff(diff).files for p in (f.path, f.old_path) if p]
    return list(dict.fromkeys(paths))
