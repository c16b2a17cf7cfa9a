"""The same correct fix written the ways chat models write edits: one function per answer style.

A gold unified diff becomes search/replace blocks (each hunk's context and
removed lines are SEARCH, context and added lines REPLACE, with context
widened until SEARCH occurs once in the file, as a careful model would), and
each style renders those blocks, or the diff itself, the way an answer in
that habit looks. ``bench_answer_styles.py`` sends them through ``solve``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

Style = Callable[[list["Block"], str], "str | None"]
HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@.*$")


@dataclass(frozen=True)
class Block:
    path: str
    search: str
    replace: str


def gold_blocks(diff: str, read: Callable[[str], str]) -> list[Block] | None:
    """The diff's hunks as unique search/replace blocks, or None if some hunk cannot be made unique."""
    blocks: list[Block] = []
    path = ""
    lines = diff.splitlines()
    k = 0
    while k < len(lines):
        line = lines[k]
        if line.startswith("+++ "):
            path = line[4:].strip().removeprefix("b/")
        match = HUNK.match(line)
        if not match:
            k += 1
            continue
        body: list[str] = []
        k += 1
        while k < len(lines) and lines[k][:1] in (" ", "-", "+", "\\"):
            body.append(lines[k])
            k += 1
        block = _unique(path, int(match.group(1)), body, read(path))
        if block is None:
            return None
        blocks.append(block)
    return blocks


def _unique(path: str, start: int, body: list[str], text: str) -> Block | None:
    """The hunk as a block whose SEARCH occurs once in ``text``, widening context a line at a time."""
    old = text.splitlines(keepends=True)
    search = [x[1:] + "\n" for x in body if x[:1] in (" ", "-")]
    replace = [x[1:] + "\n" for x in body if x[:1] in (" ", "+")]
    first, last = start - 1, start - 1 + len(search)
    for _ in range(40):
        s = "".join(search)
        if s and text.count(s) == 1:
            return Block(path, s, "".join(replace))
        if first > 0:
            first -= 1
            search.insert(0, old[first])
            replace.insert(0, old[first])
        elif last < len(old):
            search.append(old[last])
            replace.append(old[last])
            last += 1
        else:
            return None
    return None


def _block(b: Block, search: str | None = None, replace: str | None = None) -> str:
    return (
        f"<<<<<<< SEARCH\n{b.search if search is None else search}=======\n"
        f"{b.replace if replace is None else replace}>>>>>>> REPLACE\n"
    )


def _each(blocks: list[Block], head: Callable[[Block], str], body: Callable[[Block], str] = _block) -> str:
    return "Here is the fix.\n\n" + "\n".join(head(b) + body(b) for b in blocks) + "\nThis should resolve the issue.\n"


def documented(blocks: list[Block], diff: str) -> str:
    return "".join(f"{b.path}\n{_block(b)}" for b in blocks)


def labelled(head: str, close: str) -> Callable[[list[Block], str], str]:
    """A style that writes ``head`` (``{path}`` filled in) above each block and ``close`` after it."""

    def write(blocks: list[Block], diff: str) -> str:
        return _each(blocks, lambda b: head.format(path=b.path), lambda b: _block(b) + close)

    return write


LABELLED = {  # aider's habit (path, then a ```python fence) first
    "fenced": ("{path}\n```python\n", "```\n"),
    "bare_fence": ("{path}\n```\n", "```\n"),
    "path_in_fence": ("```python {path}\n", "```\n"),
    "file_label": ("File: `{path}`\n```python\n", "```\n"),
    "heading": ("### {path}\n\n```python\n", "```\n"),
    "bold": ("**{path}**\n````py\n", "````\n"),
    "tildes": ("In `{path}`:\n~~~~python\n", "~~~~\n"),
}


def no_path(blocks: list[Block], diff: str) -> str | None:
    """No path at all: only sensible when the fix (and so the plan) names one file."""
    if len({b.path for b in blocks}) != 1:
        return None
    return _each(blocks, lambda b: "```python\n", lambda b: _block(b) + "```\n")


def dedented(blocks: list[Block], diff: str) -> str:
    """SEARCH and REPLACE shifted together to column 0 (a common slip on nested code)."""

    def body(b: Block) -> str:
        lines = (b.search + b.replace).splitlines()
        cut = min((len(x) - len(x.lstrip()) for x in lines if x.strip()), default=0)

        def shift(text: str) -> str:
            return "".join(x[cut:] + "\n" if x.strip() else "\n" for x in text.splitlines())

        return _block(b, shift(b.search), shift(b.replace))

    return _each(blocks, lambda b: f"{b.path}\n```python\n", lambda b: body(b) + "```\n")


def tabs(blocks: list[Block], diff: str) -> str:
    """Indented with tabs where the file uses spaces."""

    def tab(text: str) -> str:
        return "".join(
            re.sub(r"^((?:    )+)", lambda m: "\t" * (len(m.group(1)) // 4), x) for x in text.splitlines(keepends=True)
        )

    return _each(
        blocks, lambda b: f"{b.path}\n```python\n", lambda b: _block(b, tab(b.search), tab(b.replace)) + "```\n"
    )


def no_trailing_spaces(blocks: list[Block], diff: str) -> str:
    def strip(text: str) -> str:
        return "".join(x.rstrip() + "\n" for x in text.splitlines())

    return "".join(f"{b.path}\n{_block(b, strip(b.search), strip(b.replace))}" for b in blocks)


def crlf(blocks: list[Block], diff: str) -> str:
    return labelled(*LABELLED["fenced"])(blocks, diff).replace("\n", "\r\n")


def udiff(blocks: list[Block], diff: str) -> str:
    return f"The fix:\n\n```diff\n{diff.rstrip()}\n```\n"


def udiff_no_prefix(blocks: list[Block], diff: str) -> str:
    plain = re.sub(r"^(---|\+\+\+) [ab]/", r"\1 ", diff, flags=re.M)
    plain = "\n".join(x for x in plain.splitlines() if not x.startswith(("diff --git", "index ")))
    return f"```diff\n{plain}\n```\n"


def udiff_no_numbers(blocks: list[Block], diff: str) -> str:
    bare = re.sub(r"^@@ [^@]* @@.*$", "@@ ... @@", diff, flags=re.M)
    return f"```diff\n{bare.rstrip()}\n```\n"


STYLES: dict[str, Style] = {
    "documented": documented,
    **{name: labelled(*parts) for name, parts in LABELLED.items()},
    **{
        f.__name__: f
        for f in (no_path, dedented, tabs, no_trailing_spaces, crlf, udiff, udiff_no_prefix, udiff_no_numbers)
    },
}

__all__ = ["STYLES", "Block", "gold_blocks"]
