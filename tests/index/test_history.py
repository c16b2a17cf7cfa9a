"""History signals: earlier fixes lend their files a score, read from git before the indexed commit only."""

from __future__ import annotations

from pathlib import Path

from retrieval.embeddings import EmbeddingConfig
from retrieval.index import CommitSource, build_index, open_index
from retrieval.rank import rank
from tests.conftest import git, write_files

NO_DENSE = EmbeddingConfig(dense="none")
FILES = {
    "pkg/__init__.py": "",
    "pkg/headers.py": "def read_block(stream):\n    return stream.read(4)\n",
    "pkg/report.py": "def render(rows):\n    return '\\n'.join(rows)\n",
    "pkg/units.py": "def convert(value):\n    return value * 2\n",
}


def commit(root: Path, files: dict[str, str], message: str) -> str:
    write_files(root, files)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)
    return git(root, "rev-parse", "HEAD").strip()


def test_a_similar_earlier_fix_ranks_its_file_with_the_commit_as_reason(make_repo) -> None:
    root = make_repo(FILES)
    commit(
        root,
        {"pkg/headers.py": FILES["pkg/headers.py"] + "\n# empty header guard\n"},
        "Fix crash on truncated DICOM header when the preamble is missing",
    )
    token = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"  # patchgate: allow (a planted fixture)
    commit(
        root,
        {"pkg/report.py": FILES["pkg/report.py"] + "\n# wider table\n"},
        f"Make the summary table wider (tested with {token})",
    )
    build_index(root, config=NO_DENSE, progress=False)
    ranking = rank(open_index(root), "Reading a file with a truncated preamble crashes")
    top = ranking.files[0]
    assert top.path == "pkg/headers.py"
    reason = next(r for r in top.reasons if r.signal == "history_similar")
    assert "truncated DICOM header" in reason.detail
    stored = "\n".join(c.message for c in open_index(root).history.commits)
    assert "summary table wider" in stored and token not in stored  # secrets never reach the index


def test_refresh_reads_only_new_commits_and_never_sees_past_the_indexed_commit(make_repo, tmp_path: Path) -> None:
    root = make_repo(FILES)
    first = build_index(root, config=NO_DENSE, progress=False)
    assert first.commits_read == 1
    base = commit(root, {"pkg/units.py": FILES["pkg/units.py"] + "\n# one\n"}, "Units: convert metres")
    again = build_index(root, config=NO_DENSE, progress=False)
    assert again.commits_read == 1  # only the new commit, not the whole history again
    assert build_index(root, config=NO_DENSE, progress=False).commits_read == 0
    commit(root, {"pkg/report.py": FILES["pkg/report.py"] + "\n# two\n"}, "Fix report crash on empty rows")
    old = build_index(
        CommitSource(root / ".git", base),
        tmp_path / "old-index",
        config=NO_DENSE,
        cache_dir=tmp_path / "cache",
        progress=False,
    )
    assert old.commits_read == 2
    history = open_index(root, tmp_path / "old-index").history
    assert [c.message for c in history.commits] == ["Units: convert metres", "initial"]
    ranking = rank(open_index(root, tmp_path / "old-index"), "report crash on empty rows")
    assert not any(r.signal == "history_similar" for f in ranking.files for r in f.reasons)
