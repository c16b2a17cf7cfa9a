"""The same correct fix written the ways models write it: every style in the committed corpus applies exactly.

``answer_styles/`` holds one answer per style (aider's diff and diff-fenced formats, Cline's markers,
fences with language tags or paths, labels, headings, bold paths,
dedented and tab-indented blocks, copied line numbers, unified diffs with and
without prefixes and line numbers). Each makes the same two changes to
``shapes.py.txt``: one whose SEARCH holds an RST ``=======`` underline, one
inside a method. Each must give ``shapes.expected.txt`` exactly, with LF and
with CRLF line endings.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.edit_match import apply_edits
from agent.edit_parse import parse_answer

CORPUS = Path(__file__).parent / "answer_styles"
SOURCE = (CORPUS / "shapes.py.txt").read_text(encoding="utf-8")
EXPECTED = (CORPUS / "shapes.expected.txt").read_text(encoding="utf-8")
STYLES = sorted(p.stem for p in CORPUS.glob("*.md"))
REQUIRED = {
    "documented",
    "aider_diff",
    "aider_diff_fenced",
    "bare_fence",
    "fence_info_path",
    "file_label",
    "heading",
    "bold",
    "b_prefix",
    "prose_path",
    "tildes",
    "no_path",
    "dedented",
    "dedented_leading_blank",
    "dedented_trailing_blank",
    "tabs",
    "numbered",
    "udiff",
    "udiff_no_prefix",
    "udiff_no_numbers",
    "cline_markers",
}


def repository(path: str) -> str | None:
    return SOURCE if path == "shapes.py" else None


def test_the_corpus_holds_every_style_the_issue_names() -> None:
    assert set(STYLES) >= REQUIRED


@pytest.mark.parametrize("crlf", [False, True], ids=["lf", "crlf"])
@pytest.mark.parametrize("style", STYLES)
def test_style_applies_the_fix_exactly(style: str, crlf: bool) -> None:
    answer = (CORPUS / f"{style}.md").read_text(encoding="utf-8")
    if crlf:
        answer = answer.replace("\n", "\r\n")
    blocks = parse_answer(answer, repository, default_path="shapes.py")
    assert {b.path for b in blocks} == {"shapes.py"}
    outcome = apply_edits(blocks, repository)
    assert not outcome.problems, outcome.problems
    assert outcome.files["shapes.py"] == EXPECTED


def test_a_crlf_file_keeps_its_line_endings() -> None:
    crlf = SOURCE.replace("\n", "\r\n")
    answer = (CORPUS / "dedented.md").read_text(encoding="utf-8")
    outcome = apply_edits(parse_answer(answer, {"shapes.py": crlf}.get), {"shapes.py": crlf}.get)
    assert outcome.files["shapes.py"] == EXPECTED.replace("\n", "\r\n")
