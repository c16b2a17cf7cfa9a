"""Search/replace blocks and unified diffs, matched against real file text, and the diffs they make."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from agent.edit_match import apply_block, apply_edits
from agent.edit_parse import parse_answer
from agent.edits import (
    EditBlock,
    EditFormatError,
    EditProblem,
    touched_paths,
    unified_diff,
)

SOURCE = "def add(a, b):\n    return a - b\n\n\ndef sub(a, b):\n    return a - b\n"


def block(path: str, search: str, replace: str) -> str:
    return f"{path}\n<<<<<<< SEARCH\n{search}=======\n{replace}>>>>>>> REPLACE\n"


def test_blocks_are_parsed_with_their_paths_even_inside_fences() -> None:
    text = (
        "Here is the fix:\n```python\n"
        + block("calc.py", "    return a - b\n", "    return a + b\n")
        + "```\n"
        + block("`new/mod.py`", "", "X = 1\n")
    )
    assert parse_answer(text) == [
        EditBlock("calc.py", "    return a - b\n", "    return a + b\n"),
        EditBlock("new/mod.py", "", "X = 1\n"),
    ]


def test_prose_without_edits_is_a_format_error_that_explains_the_format() -> None:
    with pytest.raises(EditFormatError, match="SEARCH"):
        parse_answer("I think you should change the add function.")


def test_exact_match_replaces_one_place_and_ambiguity_is_reported() -> None:
    done = apply_block(
        EditBlock("calc.py", "def add(a, b):\n    return a - b\n", "def add(a, b):\n    return a + b\n"), SOURCE
    )
    assert done == (SOURCE.replace("return a - b", "return a + b", 1), False)
    twice = apply_block(EditBlock("calc.py", "    return a - b\n", "    return 0\n"), SOURCE)
    assert isinstance(twice, EditProblem) and "2 times" in twice.message


def test_whitespace_tolerant_match_reindents_the_replacement() -> None:
    source = "class C:\n    def f(self):\n        return 1\n"
    done = apply_block(EditBlock("c.py", "def f(self):\n    return 1\n", "def f(self):\n    return 2\n"), source)
    assert done == ("class C:\n    def f(self):\n        return 2\n", True)


def test_no_match_names_the_file_and_the_closest_real_lines() -> None:
    problem = apply_block(EditBlock("calc.py", "def add(x, y):\n    return x - y\n", "pass\n"), SOURCE)
    assert isinstance(problem, EditProblem)
    assert problem.message.startswith("calc.py: the SEARCH text matches nothing")
    assert "closest real lines are 1-2" in problem.message
    assert "    1 | def add(a, b):" in problem.message and "    2 |     return a - b" in problem.message


def test_missing_file_and_new_file() -> None:
    outcome = apply_edits(
        [EditBlock("nope.py", "x\n", "y\n"), EditBlock("new.py", "", "Y = 2\n")], {"calc.py": SOURCE}.get
    )
    assert outcome.files == {"new.py": "Y = 2\n"}
    assert "no such file" in outcome.problems[0].message


def test_unified_diff_answers_go_through_the_same_matcher() -> None:
    diff = "--- a/calc.py\n+++ b/calc.py\n@@ -1,2 +1,2 @@\n def add(a, b):\n-    return a - b\n+    return a + b\n"
    outcome = apply_edits(parse_answer(diff), {"calc.py": SOURCE}.get)
    assert not outcome.problems
    assert outcome.files["calc.py"].startswith("def add(a, b):\n    return a + b\n")


def test_generated_diff_applies_with_git(tmp_path: Path) -> None:
    (tmp_path / "calc.py").write_text(SOURCE)
    (tmp_path / "old.py").write_text("gone = True")  # no final newline
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    originals = {"calc.py": SOURCE, "old.py": "gone = True", "new.py": None}
    changed = {"calc.py": SOURCE.replace("a - b", "a + b", 1), "old.py": None, "new.py": "N = 1"}
    diff = unified_diff(originals, changed)
    assert touched_paths(diff) == ["calc.py", "new.py", "old.py"]
    subprocess.run(["git", "apply", "-"], cwd=tmp_path, input=diff, text=True, check=True)
    assert (tmp_path / "calc.py").read_text() == changed["calc.py"]
    assert (tmp_path / "new.py").read_text() == "N = 1" and not (tmp_path / "old.py").exists()


def test_paths_outside_the_repository_are_refused() -> None:
    blocks = [
        EditBlock("../evil.py", "", "x\n"),
        EditBlock(".git/hooks/pre-commit", "", "x\n"),
        EditBlock("/etc/passwd", "", "x\n"),
        EditBlock("ok/new.py", "", "x\n"),
    ]
    outcome = apply_edits(blocks, lambda _p: None)
    assert list(outcome.files) == ["ok/new.py"]
    assert [p.block.path for p in outcome.problems] == ["../evil.py", ".git/hooks/pre-commit", "/etc/passwd"]
    assert all("not a path inside the repository" in p.message for p in outcome.problems)


def test_a_hunk_whose_text_occurs_twice_is_placed_by_its_line_numbers() -> None:
    source = "def f():\n    x = 1\n    return x\n\n\ndef g():\n    x = 1\n    return x\n"
    diff = "--- a/m.py\n+++ b/m.py\n@@ -7,2 +7,2 @@\n     x = 1\n-    return x\n+    return x + 1\n"
    outcome = apply_edits(parse_answer(diff), {"m.py": source}.get)
    assert outcome.files["m.py"] == source[: source.index("def g")] + "def g():\n    x = 1\n    return x + 1\n"
    unnumbered = diff.replace("@@ -7,2 +7,2 @@", "@@ ... @@")
    problem = apply_edits(parse_answer(unnumbered), {"m.py": source}.get).problems
    assert "occurs 2 times" in problem[0].message


def test_later_hunks_are_placed_after_earlier_ones_moved_the_lines() -> None:
    source = "a = 1\nx = 0\n" + "pad\n" * 5 + "x = 0\n"
    diff = "--- a/m.py\n+++ b/m.py\n@@ -1,1 +1,3 @@\n a = 1\n+b = 2\n+c = 3\n@@ -8,1 +10,1 @@\n-x = 0\n+x = 9\n"
    outcome = apply_edits(parse_answer(diff), {"m.py": source}.get)
    assert outcome.files["m.py"] == "a = 1\nb = 2\nc = 3\nx = 0\n" + "pad\n" * 5 + "x = 9\n"


def test_a_removed_sql_comment_is_not_taken_for_a_diff_header() -> None:
    source = "select 1\n-- old note\nfrom t\n"
    diff = "```diff\n--- q.sql\n+++ q.sql\n@@ -1,3 +1,3 @@\n select 1\n--- old note\n+-- new note\n from t\n```\n"
    outcome = apply_edits(parse_answer(diff), {"q.sql": source}.get)
    assert outcome.files["q.sql"] == "select 1\n-- new note\nfrom t\n"


def test_a_real_path_with_a_space_is_kept_and_a_language_tag_is_never_a_path() -> None:
    read = {"docs/user guide.md": "Hello\n"}.get
    answer = "docs/user guide.md\n```markdown\n<<<<<<< SEARCH\nHello\n=======\nHi\n>>>>>>> REPLACE\n```\n"
    assert [b.path for b in parse_answer(answer, read)] == ["docs/user guide.md"]
    untagged = "```python\n<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE\n```\n"
    with pytest.raises(EditFormatError, match="name no file"):
        parse_answer(untagged)  # two or more planned files: no default, and "python" is not a path
    assert parse_answer(untagged, default_path="only.py")[0].path == "only.py"


def test_whole_lines_only_a_search_inside_a_longer_line_does_not_match() -> None:
    problem = apply_block(EditBlock("calc.py", "eturn a - b\n", "x\n"), "def add(a, b):\n    return a - b\n")
    assert isinstance(problem, EditProblem) and "matches nothing" in problem.message


def test_tabs_in_the_answer_become_the_files_spaces_and_back() -> None:
    spaces = "class C:\n    def f(self):\n        if x:\n            return 1\n"
    done = apply_block(EditBlock("c.py", "\tif x:\n\t\treturn 1\n", "\tif x:\n\t\treturn 2\n\t\t# done\n"), spaces)
    assert done == ("class C:\n    def f(self):\n        if x:\n            return 2\n            # done\n", True)
    tabs = spaces.replace("    ", "\t")
    done = apply_block(EditBlock("c.py", "if x:\n    return 1\n", "if x:\n    y = 1\n    return y\n"), tabs)
    assert done == ("class C:\n\tdef f(self):\n\t\tif x:\n\t\t\ty = 1\n\t\t\treturn y\n", True)


def test_a_word_shaped_like_a_path_in_prose_does_not_hide_the_real_path_above_it() -> None:
    read = {"shapes.py": "r = 1\n"}.get
    answer = (
        "shapes.py\nFix how `self.r` is read:\n```python\n<<<<<<< SEARCH\nr = 1\n=======\nr = 2\n>>>>>>> REPLACE\n```\n"
    )
    assert [b.path for b in parse_answer(answer, read)] == ["shapes.py"]
    new_file = "Add `pkg/new.py`:\n```python\n<<<<<<< SEARCH\n=======\nX = 1\n>>>>>>> REPLACE\n```\n"
    assert [b.path for b in parse_answer(new_file, read)] == ["pkg/new.py"]
