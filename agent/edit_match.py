"""Matching edit blocks against real file text, whole lines at a time, and re-indenting what replaces them.

Levels, strictest first: the exact lines; the lines ignoring trailing
whitespace; the lines ignoring indentation; each with SEARCH as written,
then without blank lines at its ends. Below the exact level the replacement
is rebuilt against the matched lines: a line the model kept unchanged is the
file's own line (its trailing spaces too).
Re-indentation is per line and taken from the matched file lines: a
replacement line that keeps a SEARCH line takes that line's real
indentation (plus any change the model made to it), a new line follows its
neighbour, and steps are converted to the file's unit (tabs or spaces). So a
block dedented to column 0, or written with tabs where the file uses
spaces, lands where it belongs. A SEARCH that occurs more than once is
placed by the block's line hint (unified-diff ``@@`` numbers) when it has one.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from agent.edits import (
    DELETE,
    EditBlock,
    EditOutcome,
    EditProblem,
    ReadFile,
    repo_path,
)

TAB_COLUMNS = 4


@dataclass(frozen=True)
class Match:
    """Where a block's SEARCH lines sit in the file (0-based, end exclusive) and how they were found."""

    start: int
    end: int
    search: list[str]
    replace: list[str]
    tolerant: bool


def apply_edits(blocks: list[EditBlock], read: ReadFile) -> EditOutcome:
    """Apply ``blocks`` in order to the texts ``read`` returns (None: no such file)."""
    outcome = EditOutcome()
    shifts: dict[str, list[tuple[int, int]]] = {}  # per file: (hinted line, lines added) of applied hunks
    for block in blocks:
        if repo_path(block.path) != block.path:
            outcome.problems.append(
                EditProblem(
                    block,
                    f"{block.path}: not a path inside the repository; "
                    "use a repository-relative path such as src/module.py",
                )
            )
            continue
        current = outcome.files[block.path] if block.path in outcome.files else read(block.path)
        if block.replace == DELETE:
            if current is None:
                outcome.problems.append(EditProblem(block, f"{block.path}: cannot delete, no such file"))
            else:
                outcome.files[block.path] = None
            continue
        hint = block.line
        if hint is not None:  # earlier hunks of the same diff moved the lines below them
            hint += sum(added for line, added in shifts.get(block.path, []) if line < hint)
        result = apply_block(block, current, hint=hint)
        if isinstance(result, EditProblem):
            outcome.problems.append(result)
            continue
        text, tolerant = result
        outcome.files[block.path] = text
        if tolerant:
            outcome.tolerant.add(block.path)
        if block.line is not None:
            added = len(block.replace.splitlines()) - len(block.search.splitlines())
            shifts.setdefault(block.path, []).append((block.line, added))
    return outcome


def apply_block(block: EditBlock, current: str | None, *, hint: int | None = None) -> tuple[str, bool] | EditProblem:
    """The file text after ``block`` and whether the match was tolerant, or a problem naming the closest lines."""
    if not block.search.strip():
        if current is None or not current.strip():
            return block.replace, False
        return EditProblem(
            block,
            f"{block.path}: the SEARCH section is empty but the file already exists; "
            "copy the lines to change into SEARCH",
        )
    if current is None:
        return EditProblem(
            block,
            f"{block.path}: no such file in the repository; check the path "
            "(an empty SEARCH section creates a new file)",
        )
    lines = current.splitlines(keepends=True)
    found = find(block, lines, hint)
    if isinstance(found, int):
        return EditProblem(block, closest_lines_message(block, current, ambiguous=found))
    newline = _newline(lines[found.start : found.end] or lines)
    if found.tolerant:
        body = reindent(found.search, found.replace, [_content(x) for x in lines[found.start : found.end]], lines)
    else:
        body = found.replace
    replacement = [line + newline for line in body]
    if found.end == len(lines) and replacement and not lines[-1].endswith(("\n", "\r")):
        replacement[-1] = _content(replacement[-1])  # a file without a final newline stays that way
    return "".join(lines[: found.start] + replacement + lines[found.end :]), found.tolerant


def find(block: EditBlock, lines: list[str], hint: int | None) -> Match | int:
    """The one place the block's SEARCH lines match, or the number of places (0 or >1) when not one."""
    file_lines = [_content(x) for x in lines]
    search, replace = block.search.split("\n")[:-1], block.replace.split("\n")[:-1]
    variants = [(search, replace)]
    trimmed = _trim_blank_ends(search, replace)
    if trimmed != (search, replace):
        variants.append(trimmed)
    count = 0
    keys: tuple[Callable[[str], str], ...] = (_exact, str.rstrip, str.strip)
    for level, key in enumerate(keys):
        for s, r in variants:
            starts = _starts(file_lines, [key(x) for x in s], key)
            if len(starts) > 1 and hint is not None:
                starts = [min(starts, key=lambda st: abs(st + 1 - hint))]
            if len(starts) == 1:
                return Match(starts[0], starts[0] + len(s), s, r, tolerant=level > 0)
            count = max(count, len(starts))
    return count


def _exact(line: str) -> str:
    return line


def _starts(file_lines: list[str], wanted: list[str], key: Callable[[str], str]) -> list[int]:
    n = len(wanted)
    if not n:
        return []
    keyed = [key(x) for x in file_lines]
    first = wanted[0]
    return [i for i in range(len(keyed) - n + 1) if keyed[i] == first and keyed[i : i + n] == wanted]


def _trim_blank_ends(search: list[str], replace: list[str]) -> tuple[list[str], list[str]]:
    """SEARCH without blank lines at its ends; REPLACE loses as many blank end lines as it has of those."""
    head = _blank_run(search)
    tail = _blank_run(search[::-1]) if head < len(search) else 0
    cut_head, cut_tail = min(head, _blank_run(replace)), min(tail, _blank_run(replace[::-1]))
    return search[head : len(search) - tail], replace[cut_head : len(replace) - cut_tail]


def _blank_run(lines: list[str]) -> int:
    n = 0
    while n < len(lines) and not lines[n].strip():
        n += 1
    return n


def _content(line: str) -> str:
    return line.rstrip("\r\n")


def _newline(lines: list[str]) -> str:
    return "\r\n" if lines and lines[0].endswith("\r\n") else "\n"


def reindent(search: list[str], replace: list[str], matched: list[str], file_lines: list[str]) -> list[str]:
    """``replace`` with each line's indentation taken from the real lines SEARCH matched (see module doc)."""
    unit = _file_unit(file_lines)
    model_width = [_width(x) for x in search]
    real = [_indent(x) for x in matched]
    pairs = difflib.SequenceMatcher(
        None, [x.strip() for x in search], [x.strip() for x in replace], autojunk=False
    ).get_matching_blocks()
    anchor: dict[int, int] = {}  # replace line -> search line it keeps
    for a, b, size in pairs:
        for k in range(size):
            if replace[b + k].strip():
                anchor[b + k] = a + k
    out: list[str] = []
    previous: tuple[int, str] | None = None  # (model width, real indent) of the last non-blank replace line
    first = next((k for k, x in enumerate(search) if x.strip()), 0)
    for k, line in enumerate(replace):
        if not line.strip():
            out.append("")
            continue
        width = _width(line)
        if k in anchor and line == search[anchor[k]]:  # a line the model kept: the file's own text
            out.append(matched[anchor[k]])
            previous = (width, real[anchor[k]])
            continue
        if k in anchor:
            s = anchor[k]
            base: tuple[int, str] = (model_width[s], real[s])
        elif previous is not None:
            base = previous
        else:
            base = (model_width[first], real[first]) if search else (0, "")
        indent = _shifted(base[1], width - base[0], unit)
        out.append(indent + line.lstrip(" \t"))
        previous = (width, indent)
    return out


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def _width(line: str) -> int:
    return sum(TAB_COLUMNS if c == "\t" else 1 for c in _indent(line))


def _file_unit(lines: list[str]) -> str:
    """The file's indentation step: a tab, or the most common step between consecutive indented lines."""
    indents = [_indent(x) for x in lines if x.strip()]
    if sum(1 for i in indents if i.startswith("\t")) > sum(1 for i in indents if i.startswith(" ")):
        return "\t"
    steps = Counter(b - a for a, b in zip(map(len, indents), map(len, indents[1:]), strict=False) if 2 <= b - a <= 8)
    return " " * (steps.most_common(1)[0][0] if steps else 4)


def _shifted(indent: str, delta: int, unit: str) -> str:
    """``indent`` moved by ``delta`` model columns, in the file's unit (partial steps stay spaces)."""
    if delta == 0:
        return indent
    if unit == "\t":
        steps, rest = divmod(abs(delta), TAB_COLUMNS)
        if delta > 0:
            return indent + "\t" * steps + " " * rest
        cut = indent
        for _ in range(steps):
            cut = cut[:-1] if cut.endswith("\t") else cut[:-TAB_COLUMNS] if cut.endswith(" " * TAB_COLUMNS) else cut
        return cut
    if delta > 0:
        return indent + " " * delta
    return indent[: max(0, len(indent) - abs(delta))]


def closest_lines_message(block: EditBlock, current: str, *, ambiguous: int = 0) -> str:
    """Which file, and the real lines most like the SEARCH text (with line numbers), for one more try."""
    lines = current.splitlines()
    wanted = block.search.splitlines()
    if ambiguous > 1:
        return (
            f"{block.path}: the SEARCH text occurs {ambiguous} times; "
            "add surrounding lines so it matches exactly one place"
        )
    start, end, similarity = _closest_window(wanted, lines)
    shown = lines[start:end]
    numbered = "\n".join(f"{start + k + 1:>5} | {text}" for k, text in enumerate(shown))
    return (
        f"{block.path}: the SEARCH text matches nothing in the file. The closest real lines are "
        f"{start + 1}-{end} ({similarity:.0%} similar):\n{numbered}\n"
        "Copy the SEARCH lines exactly from the file (without the line numbers)."
    )


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
        score = sum(row[i] for row, i in zip(ratio, picks, strict=True)) / len(wanted)
        if score > best[2] + 1e-9:
            best = (min(picks), max(picks) + 1, score)
    return best
