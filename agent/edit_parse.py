"""Reading edits out of an answer the way chat models really write them.

Models mark the file of a search/replace block in many ways: a plain line,
a line above a fenced block (with any language tag), the fence's own first
line (```` ```python src/x.py ````), ``File: `x` ``, ``### x``, ``**x**``,
``a/x``; sometimes not at all when only one file is planned. Fences are
three or more backticks or tildes; answers may come with CRLF line endings.
Unified diffs come bare or in ```` ```diff ```` fences, with or without
``a/``/``b/`` prefixes and with or without line numbers in ``@@`` headers.

Every candidate path is checked against the repository when a reader is
given, so a language tag (``python``) or a sentence is never taken for a
path, and a real path that contains a space is kept.
"""

from __future__ import annotations

import re

from agent.edits import (
    DELETE,
    FORMAT_HELP,
    EditBlock,
    EditFormatError,
    ReadFile,
)

SEARCH_RE = re.compile(r"^\s*(?:<{5,9}|-{5,9}) ?SEARCH>?\s*$")  # aider's <<<<<<<, Cline's -------
DIVIDER_RE = re.compile(r"^\s*={5,9}\s*$")
REPLACE_RE = re.compile(r"^\s*(?:>{5,9}|\+{5,9}) ?REPLACE<?\s*$")  # aider's >>>>>>>, Cline's +++++++
FENCE_RE = re.compile(r"^\s*(`{3,}|~{3,})\s*(.*?)\s*$")
HUNK_RE = re.compile(r"^@@+ (?:-(\d+)(?:,\d+)? \+\d+(?:,\d+)? )?.*?@@")
NUMBERED_RE = re.compile(r"^\s*\d+ ?[|:] ?")  # "  12 | code": line numbers copied from the prompt
LABEL_RE = re.compile(r"^(?:(?:in|edit|update|change|modify|file ?name|file|path)\b\s*:?\s*)+", re.I)
PATHLIKE_RE = re.compile(r"^[\w.@+\-/\\ ]*[\w\-]\.[A-Za-z0-9_]{1,10}$|^[\w.@+\-]+(?:/[\w.@+\-]+)+$")
MAX_LOOKBACK = 3  # non-blank lines above a block searched for its path


class PathFinder:
    """Turns the text a model wrote next to a block into a repository path.

    With ``read`` (the repository's files) a candidate that names an existing
    file wins; without it, the first candidate shaped like a path does.
    """

    def __init__(self, read: ReadFile | None, default: str | None) -> None:
        self._read = read
        self._known: dict[str, bool] = {}
        self.default = default

    def exists(self, path: str) -> bool:
        if self._read is None:
            return False
        if path not in self._known:
            self._known[path] = self._read(path) is not None
        return self._known[path]

    def from_line(self, line: str) -> str:
        """The path a line names, or "" when it names none."""
        candidates = _candidates(line)
        for candidate in candidates:
            for variant in _variants(candidate):
                if self.exists(variant):
                    return variant
        shaped = [c for c in candidates if PATHLIKE_RE.match(c) and not c.startswith(("http:", "https:"))]
        if not shaped:
            return ""
        return self._unprefixed(min(shaped, key=lambda c: " " in c))  # a path with a space only if it exists

    def from_diff_header(self, raw: str) -> str:
        """The path of a ``---``/``+++``/``diff --git`` name: ``a/``, ``b/`` stripped unless the file has them."""
        name = raw.split("\t")[0].strip().strip('"')
        return name if name == "/dev/null" else self._unprefixed(name)

    def _unprefixed(self, path: str) -> str:
        for variant in _variants(path):
            if self.exists(variant):
                return variant
        return re.sub(r"^[ab]/", "", path)


def _variants(path: str) -> list[str]:
    stripped = re.sub(r"^[ab]/", "", path)
    return [path, stripped] if stripped != path else [path]


def _candidates(line: str) -> list[str]:
    """Pieces of ``line`` that may be a path, most likely first (backticked spans, then the whole line)."""
    text = line.strip()
    spans = re.findall(r"`+([^`]+)`+", text)
    bare = re.sub(r"^[#>*\-+\s]+|\*+$", "", text).strip()
    bare = LABEL_RE.sub("", bare).strip().strip("`'\"").rstrip(":").strip().strip("`'\"")
    words = [w.strip("`'\"*:,()") for w in bare.split()]
    return [c for c in dict.fromkeys([*(s.strip() for s in spans), bare, *words]) if c]


def parse_answer(text: str, read: ReadFile | None = None, default_path: str | None = None) -> list[EditBlock]:
    """Every edit in ``text``: search/replace blocks, else unified-diff hunks; EditFormatError if none.

    ``read`` gives the repository's files (to recognise paths and place
    ambiguous dividers); ``default_path`` is used for blocks that name no
    file, when the plan names exactly one.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    finder = PathFinder(read, default_path)
    blocks = _blocks(lines, finder, read)
    if not blocks:
        blocks = _unified(lines, finder)
    if not blocks:
        raise EditFormatError("no search/replace block found. " + FORMAT_HELP)
    missing = [b for b in blocks if not b.path]
    if missing:
        raise EditFormatError(
            f"{len(missing)} block(s) name no file: put the file's path on the line above each block. " + FORMAT_HELP
        )
    return blocks


def _blocks(lines: list[str], finder: PathFinder, read: ReadFile | None) -> list[EditBlock]:
    blocks: list[EditBlock] = []
    fence_path, last_path, i = "", "", 0
    fence: str | None = None
    while i < len(lines):
        line = lines[i]
        opened = FENCE_RE.match(line)
        if opened and fence is None:
            fence, fence_path = opened.group(1), finder.from_line(opened.group(2)) if opened.group(2) else ""
        elif opened and _closes(line, fence):
            fence, fence_path = None, ""
        if not SEARCH_RE.match(line):
            i += 1
            continue
        end = next((k for k in range(i + 1, len(lines)) if REPLACE_RE.match(lines[k])), None)
        if end is None:
            break
        named = [p for p in (fence_path, _path_above(lines, i, finder), last_path, finder.default or "") if p]
        existing = next((p for p in named if finder.exists(p)), "")
        search, replace = _split(lines[i + 1 : end], existing or (named[0] if named else ""), read)
        # an empty SEARCH creates the file named nearest; otherwise the nearest name that exists wins, so a
        # word like "self.r" in a sentence above the block is not taken for a new file
        path = named[0] if named and (not existing or not (search or "").strip()) else existing
        if search is not None:
            blocks.append(EditBlock(path, search, replace))
            last_path = path
        i = end + 1
    return blocks


def _closes(line: str, fence: str | None) -> bool:
    stripped = line.strip()
    return (
        fence is not None and stripped[:1] == fence[0] and set(stripped) == {fence[0]} and len(stripped) >= len(fence)
    )


def _path_above(lines: list[str], i: int, finder: PathFinder) -> str:
    """The path named within a few non-blank lines above a SEARCH marker (stopping at a previous block).

    A name of an existing file wins over a nearer one that only looks like a path (``self.r`` in prose).
    """
    found: list[str] = []
    seen = 0
    for back in range(i - 1, -1, -1):
        line = lines[back]
        if not line.strip():
            continue
        if REPLACE_RE.match(line) or seen >= MAX_LOOKBACK:
            break
        fence = FENCE_RE.match(line)
        if path := finder.from_line(fence.group(2) if fence else line):
            found.append(path)
        seen += 1
    return next((p for p in found if finder.exists(p)), found[0] if found else "")


def _split(body: list[str], path: str, read: ReadFile | None) -> tuple[str | None, str]:
    """SEARCH and REPLACE text of a block's lines; a marker-like line inside code cannot split it.

    With several divider-like lines (an RST ``=======`` underline), the one at
    column 0 with exactly seven ``=`` wins; if still ambiguous, the longest
    SEARCH that occurs in the file (an underline belongs to the text above it).
    """
    dividers = [k for k, line in enumerate(body) if DIVIDER_RE.match(line)]
    if not dividers:
        return None, ""
    exact = [k for k in dividers if body[k].rstrip() == "======="]
    choices = exact or dividers
    if len(choices) > 1 and read is not None and (current := read(path)) is not None:
        flat = _flat(current)
        fitting = [k for k in choices if _flat("\n".join(body[:k])) in flat]
        choices = fitting[-1:] or choices
    k = choices[0] if len(choices) == 1 else choices[len(choices) // 2]
    return _text(_unnumbered(body[:k])), _text(_unnumbered(body[k + 1 :]))


def _flat(text: str) -> str:
    return "\n".join(line.strip() for line in text.splitlines())


def _unnumbered(lines: list[str]) -> list[str]:
    """Lines with copied line-number prefixes removed, when every non-blank line has one."""
    filled = [line for line in lines if line.strip()]
    if not filled or not all(NUMBERED_RE.match(line) for line in filled):
        return lines
    return [NUMBERED_RE.sub("", line, count=1) for line in lines]


def _text(lines: list[str]) -> str:
    return "".join(line + "\n" for line in lines)


def _unified(lines: list[str], finder: PathFinder) -> list[EditBlock]:
    """Hunks of a unified diff as blocks (context and removed lines search, context and added lines replace)."""
    blocks: list[EditBlock] = []
    old = path = finder.default or ""
    hunk: list[str] | None = None
    start: int | None = None

    def flush() -> None:
        if hunk is not None and path:
            block = _hunk_block(path, hunk, start)
            if block is not None:
                blocks.append(block)

    for k, line in enumerate(lines):
        header = HUNK_RE.match(line)
        following = lines[k + 1] if k + 1 < len(lines) else ""
        if line.startswith("--- ") and following.startswith("+++ "):  # else a removed line "-- x" (SQL, Lua)
            flush()
            hunk, old = None, finder.from_diff_header(line[4:])
        elif line.startswith("+++ ") and hunk is None:
            target = finder.from_diff_header(line[4:])
            path = old if target == "/dev/null" else target
            if target == "/dev/null":
                blocks.append(EditBlock(old, "", DELETE))
                path = ""
        elif line.startswith("diff --git "):
            flush()
            hunk = None
        elif header:
            flush()
            hunk, start = [], int(header.group(1)) if header.group(1) else None
        elif hunk is not None and (line[:1] in (" ", "-", "+", "\\") or line == ""):
            hunk.append(line)
        elif hunk is not None:
            flush()
            hunk = None
    flush()
    return blocks


def _hunk_block(path: str, hunk: list[str], start: int | None) -> EditBlock | None:
    while hunk and hunk[-1] == "":  # blank lines after a hunk (before a fence or prose) are not context
        hunk.pop()
    search = [line[1:] for line in hunk if line[:1] in (" ", "-", "")]
    replace = [line[1:] for line in hunk if line[:1] in (" ", "+", "")]
    if not search and not replace:
        return None
    return EditBlock(path, _text(search), _text(replace), line=start)
