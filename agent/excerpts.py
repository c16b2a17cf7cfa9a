"""The planned files as the edit prompt shows them: whole when they fit, else the parts the fix is about.

A model can only copy SEARCH lines it can see, and a local model has a small
context window. So each planned file is shown whole when the budget allows;
otherwise around the planned symbols (their whole definitions, found with
``ast`` for Python and by name elsewhere) and the regions the model opened
while planning, with a margin, merged, and numbered so the model can tell
where it is. Whatever the budget, the symbols' definitions come first.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

MARGIN = 6  # lines shown around each region
NEARBY = 15  # lines shown around a name found outside Python definitions


@dataclass(frozen=True)
class Region:
    """Lines ``start``..``end`` (1-based, inclusive) of one file, and why they are shown."""

    start: int
    end: int
    weight: int  # 0: a planned symbol's definition, 1: a region opened while planning, 2: a mention


def numbered(lines: list[str], start: int, end: int) -> str:
    """Lines ``start``..``end`` (1-based) as ``  12 | text``."""
    return "\n".join(f"{n:>5} | {lines[n - 1]}" for n in range(start, end + 1))


def view(path: str, text: str, symbols: list[str], opened: list[tuple[int, int]], budget_chars: int) -> str:
    """``text`` whole (numbered) if it fits ``budget_chars``, else the regions that fit, most important first."""
    lines = text.splitlines()
    whole = numbered(lines, 1, len(lines))
    if len(whole) <= budget_chars or not lines:
        return f"{path} (all {len(lines)} lines):\n{whole}"
    regions = sorted(
        symbol_regions(path, text, symbols) + [Region(a, b, 1) for a, b in opened],
        key=lambda r: (r.weight, r.end - r.start, r.start),
    )  # methods before their class
    chosen: list[tuple[int, int]] = []
    for region in regions:
        span = (max(1, region.start - MARGIN), min(len(lines), region.end + MARGIN))
        trial = merge([*chosen, span])
        if _size(lines, trial) <= budget_chars:
            chosen = trial
        elif not chosen:  # even one region is too big: show its head, which names the definition
            chosen = [(span[0], _fit(lines, span[0], budget_chars))]
    if not chosen:
        chosen = [(1, _fit(lines, 1, budget_chars))]
    parts = [numbered(lines, a, b) for a, b in chosen]
    return (
        f"{path} (lines {', '.join(f'{a}-{b}' for a, b in chosen)} of {len(lines)}; other lines unchanged "
        "and not shown):\n" + "\n  ...\n".join(parts)
    )


def merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, overlapping or touching spans joined."""
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _size(lines: list[str], spans: list[tuple[int, int]]) -> int:
    return sum(sum(len(lines[n - 1]) + 8 for n in range(a, b + 1)) for a, b in spans)


def _fit(lines: list[str], start: int, budget_chars: int) -> int:
    end, used = start, 0
    while end <= len(lines) and used + len(lines[end - 1]) + 8 <= budget_chars:
        used += len(lines[end - 1]) + 8
        end += 1
    return max(start, end - 1)


def symbol_regions(path: str, text: str, symbols: list[str]) -> list[Region]:
    """Where each planned symbol is defined (whole definition) or, failing that, mentioned."""
    names = {part for symbol in symbols for part in re.split(r"[.:()\s]+", symbol) if part.isidentifier()}
    if not names:
        return []
    found = _python_definitions(text, names) if path.endswith(".py") else []
    defined = {name for name, _region in found}
    regions = [region for _name, region in found]
    lines = text.splitlines()
    for name in sorted(names - defined):
        pattern = re.compile(rf"\b{re.escape(name)}\b")
        hits = [n for n, line in enumerate(lines, 1) if pattern.search(line)][:3]
        regions += [Region(max(1, n - NEARBY), min(len(lines), n + NEARBY), 2) for n in hits]
    return regions


def _python_definitions(text: str, names: set[str]) -> list[tuple[str, Region]]:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return []
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name in names:
            start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            found.append((node.name, Region(start, node.end_lineno or node.lineno, 0)))
    return found
