"""Git helpers: uncommitted work is seen, bad input is one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import InputError
from core.git import changed_paths, open_repo, resolve_rev


def test_changed_paths_sees_staged_unstaged_and_untracked(make_repo) -> None:
    root = make_repo({"a.py": "x = 1\n", "b.py": "y = 1\n"})
    (root / "a.py").write_text("x = 2\n")
    (root / "new.py").write_text("z = 1\n")
    assert changed_paths(open_repo(root)) == {"a.py", "new.py"}


def test_bad_input_is_an_input_error(tmp_path: Path, make_repo) -> None:
    with pytest.raises(InputError, match="not inside a git repository"):
        open_repo(tmp_path)
    with pytest.raises(InputError, match="no such revision: nope"):
        resolve_rev(open_repo(make_repo({"a": "1\n"})), "nope")
