"""Every nested block of a real corpus, dedented to column 0 the way models slip, lands at the right indentation.

The corpus is this repository's own Python source (real code, committed,
several nesting styles). For each compound statement nested inside a
function, the answer's SEARCH is the statement and its REPLACE adds a line
to its body and a comment to its last line, both shifted to column 0 (with
the leading blank line models often copy). The matcher must rebuild exactly
the correctly indented file, and the parse gate's own check must accept it.
"""

from __future__ import annotations

import ast
from pathlib import Path

from agent.edit_match import apply_block
from agent.edits import EditBlock
from tools.options import ReviewOptions
from tools.parsers import check_file
from tools.policy import Policies

ROOT = Path(__file__).resolve().parents[2]
COMPOUND = (ast.If, ast.For, ast.While, ast.With, ast.Try)


def nested_blocks(limit: int = 400) -> list[tuple[str, str, EditBlock, str]]:
    """(path, source, dedented block, expected result) for each nested statement whose text is unique
    even with indentation ignored (otherwise the matcher rightly asks for more lines)."""
    cases = []
    for path in sorted(
        p
        for folder in ("core", "retrieval", "tools", "agent", "evaluation", "patchgate")
        for p in (ROOT / folder).rglob("*.py")
    ):
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines(keepends=True)
        flat = "\n" + "\n".join(x.strip() for x in lines) + "\n"
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, COMPOUND) or node.col_offset < 8 or node.end_lineno is None:
                continue
            first, last = node.lineno - 1, node.end_lineno
            original = lines[first:last]
            if '"""' in "".join(original) or flat.count("\n" + "\n".join(x.strip() for x in original) + "\n") != 1:
                continue  # docstrings keep their own indentation; text found twice once dedented is ambiguous
            body_indent = " " * node.body[0].col_offset
            probe = f"{body_indent}_probe = {len(cases)}\n"
            header_end = node.body[0].lineno - 1 - first
            changed = [*original[:header_end], probe, *original[header_end:]]
            changed[-1] = changed[-1].rstrip("\n") + "  # probed\n"
            block = EditBlock(
                str(path.relative_to(ROOT)),
                "\n" + dedent(original, node.col_offset),
                "\n" + dedent(changed, node.col_offset),
            )
            cases.append((block.path, source, block, "".join(lines[:first] + changed + lines[last:])))
            if len(cases) >= limit:
                return cases
    return cases


def dedent(lines: list[str], cut: int) -> str:
    """``lines`` shifted left by ``cut`` columns (blank lines stay blank)."""
    return "".join(x[cut:] if x.strip() else "\n" for x in lines)


def test_every_dedented_nested_block_reindents_exactly_and_parses() -> None:
    cases = nested_blocks()
    assert len(cases) >= 100  # a real corpus, not a handful
    wrong = []
    options, policies = ReviewOptions(), Policies()
    for path, source, block, expected in cases:
        result = apply_block(block, source)
        text = result[0] if isinstance(result, tuple) else None
        if text != expected or check_file(path, text, options, policies):
            wrong.append(f"{path}: {block.search.splitlines()[1]}")
    assert not wrong, f"{len(wrong)}/{len(cases)} blocks re-indented wrongly:\n" + "\n".join(wrong[:10])
