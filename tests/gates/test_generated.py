"""What a project's build writes into its own package, put into a worktree that lacks it (``tools.generated``)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import git, write_files
from tools.generated import complete


def test_a_version_file_declared_outside_the_tree_is_never_read(tmp_path: Path) -> None:
    """pyproject.toml is the project's, so untrusted: its version file may not name a path out of the tree."""
    user, worktree, secret = tmp_path / "user", tmp_path / "wt" / "tree", tmp_path / "keys" / "secret.py"
    for folder in (user, worktree, secret.parent):
        folder.mkdir(parents=True)
    secret.write_text("TOKEN = 'x'\n")
    for tree in (user, worktree):
        (tree / "pyproject.toml").write_text('[tool.setuptools_scm]\nwrite_to = "../keys/secret.py"\n')
    assert complete(worktree, [user], [user]) == []
    assert not (tmp_path / "wt" / "keys").exists()


def test_a_version_file_git_tracks_in_your_tree_is_not_a_build_s_and_an_installed_one_is_used(tmp_path: Path) -> None:
    """pipdeptree's version file was hatch-vcs's until its Rust port, which tracks a ``version.py`` that asks the
    compiled extension: reviewing an older commit from a checkout of today copied that file into the base's
    worktree, and every import there failed. A file git tracks in your tree is the project's own source; the
    installed package's, which a build wrote, is used, and an untracked one in your tree still is."""
    user, site, worktree = tmp_path / "user", tmp_path / "site", tmp_path / "worktree"
    declared = {"pyproject.toml": '[tool.hatch.build.hooks.vcs]\nversion-file = "src/pkg/version.py"\n'}
    write_files(user, {**declared, "src/pkg/version.py": "from pkg._rust import version\n"})
    write_files(site, {"pkg/version.py": "version = '2.0'\n"})
    git(user, "init", "-q")
    git(user, "add", "-A")
    write_files(worktree, {**declared, "src/pkg/__init__.py": ""})
    assert complete(worktree, [user], [site]) == ["src/pkg/version.py"]
    assert (worktree / "src/pkg/version.py").read_text() == "version = '2.0'\n"
    (worktree / "src/pkg/version.py").unlink()
    git(user, "rm", "-q", "--cached", "src/pkg/version.py")
    assert complete(worktree, [user], [site]) == ["src/pkg/version.py"]
    assert (worktree / "src/pkg/version.py").read_text() == "from pkg._rust import version\n"
