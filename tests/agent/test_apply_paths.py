"""solve --apply sees uncommitted work in every file the patch touches, whatever its name holds."""

from __future__ import annotations

from agentkit import CALC, FILES, ISSUE, run_cli


def test_apply_refuses_a_file_with_a_space_and_uncommitted_work(scripted, make_repo) -> None:
    repo = make_repo({**FILES, "my notes.md": "calc notes\n"})
    edit = (
        "--- a/calc.py\n+++ b/calc.py\n@@ -3 +3 @@\n-    return a - b\n+    return a + b\n"
        "--- a/my notes.md\n+++ b/my notes.md\n@@ -1 +1 @@\n-calc notes\n+calc notes: add adds\n"
    )
    scripted.edits = [edit]
    (repo / "my notes.md").write_text("calc notes\nmy work in progress\n")
    result = run_cli("solve", ISSUE, "--model", scripted.spec, "--apply", "--yes", cwd=repo)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "uncommitted changes in my notes.md" in result.stderr
    assert (repo / "my notes.md").read_text() == "calc notes\nmy work in progress\n"
    assert (repo / "calc.py").read_text() == CALC
