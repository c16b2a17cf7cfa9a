"""The rules a candidate is judged by come from its base commit, never from the candidate.

A patch that edits ``.patchgate.toml`` to turn the security gate off, widens
``allow_protected`` in ``pyproject.toml`` or rewrites the repository's policy
YAML must not be reviewed under those new rules. So review's settings are read
from the base commit (once, by ``core.settings.resolve``), the repository's
policy folder is read as the base commit has it (the user's own files outside
the repository are used as they are), and a change to any of them is itself a
``scope.protected-path`` finding a person has to look at.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

import git

from core.config import CONFIG_FILES, parse_table
from core.errors import ConfigError
from core.git import file_at
from tools.candidate import Candidate
from tools.findings import Finding

POLICY_CACHE = "patchgate/policies"  # in the git common dir, one folder per policy tree id


def policy_folder(repo: git.Repo, commit: str, policy_dir: Path | None) -> Path | None:
    """The folder the policies are read from: ``policy_dir`` as ``commit`` has it when it lies in the
    repository (written once per tree id into the git common dir), else ``policy_dir`` as it is."""
    inside = repo_policy_dir(Path(repo.working_tree_dir or repo.git_dir), policy_dir)
    return policy_dir if inside is None else _policies_at(repo, commit, inside)


def repo_policy_dir(root: Path, policy_dir: Path | None) -> str | None:
    """``policy_dir`` as a repository-relative posix path when it lies inside the repository, else None."""
    if policy_dir is None:
        return None
    absolute = policy_dir if policy_dir.is_absolute() else root / policy_dir
    try:
        rel = Path(os.path.normpath(absolute)).relative_to(os.path.normpath(root.resolve()))
    except ValueError:
        try:
            rel = Path(os.path.normpath(absolute)).relative_to(os.path.normpath(root))
        except ValueError:
            return None
    return PurePosixPath(rel).as_posix()


def _policies_at(repo: git.Repo, commit: str, rel: str) -> Path:
    """The policy YAML files of folder ``rel`` at ``commit``, written once per tree id into the git common dir."""
    try:
        tree_id = repo.git.rev_parse("--verify", "--quiet", f"{commit}:{rel}" if rel != "." else f"{commit}^{{tree}}")
    except git.GitCommandError:
        raise ConfigError(f"policy_dir {rel} is not a folder at the base commit {commit[:12]}") from None
    target = Path(repo.common_dir) / POLICY_CACHE / tree_id
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".tmp-", dir=target.parent))
    try:
        for name in repo.git.ls_tree("--name-only", "-z", tree_id).split("\0"):
            if name.endswith(".yaml") and (text := file_at(repo, commit, f"{rel}/{name}")) is not None:
                (staging / name).write_text(text, encoding="utf-8")
        os.replace(staging, target)
    except OSError:
        if not target.is_dir():
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def rule_change_findings(
    candidate: Candidate,
    repo: git.Repo,
    commit: str,
    tree: Path | None,
    policy_dir: Path | None,
    *,
    approved: bool = False,
) -> list[Finding]:
    """A change to patchgate's own settings or the repository's policy files (``policy_dir``, as the base
    declares it), as protected-path findings.

    ``pyproject.toml`` counts only when its ``[tool.patchgate]`` table differs
    (read from ``tree``, the patched worktree); CI files are protected by the
    scope policy already. A settings change the user ``approved`` locally (their own commit, ``patchgate
    trust --config``) judged the change already, so it is a note; otherwise the fix is named.
    """
    root = Path(repo.working_tree_dir or repo.git_dir)
    policy_rel = repo_policy_dir(root, policy_dir)
    findings = []
    for changed in candidate.files:
        for path in dict.fromkeys(p for p in (changed.path, changed.old_path) if p):
            why = _rule_file(path, policy_rel, repo, commit, tree)
            if why and approved:
                findings.append(
                    Finding(
                        rule="scope.protected-path",
                        path=path,
                        severity="note",
                        message=f"{path} {why}; you approved the new settings "
                        "(patchgate trust --config) and they judged this commit",
                    )
                )
            elif why:
                findings.append(
                    Finding(
                        rule="scope.protected-path",
                        path=path,
                        message=f"{path} {why}; review used the base commit's rules, and a person "
                        "must approve this change: if it is yours, run "
                        "`patchgate trust --config` and commit again",
                    )
                )
    return findings


def _rule_file(path: str, policy_rel: str | None, repo: git.Repo, commit: str, tree: Path | None) -> str | None:
    if path == CONFIG_FILES[0]:
        return "holds patchgate's settings"
    if policy_rel and (path == policy_rel or path.startswith(policy_rel.rstrip("/") + "/")):
        return "is one of the repository's patchgate policies"
    if path == "pyproject.toml":
        before = _table_of(path, file_at(repo, commit, path))
        after = _table_in(tree, path)
        if after is None or before != after:
            return "changes the [tool.patchgate] settings"
    return None


def _table_in(tree: Path | None, name: str) -> dict[str, Any] | None:
    """The patchgate table of ``name`` in the patched tree; None when unreadable (treated as a change)."""
    if tree is None:
        return None
    try:
        text = (tree / name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {} if not (tree / name).exists() else None
    try:
        return _table_of(name, text)
    except ConfigError:  # an unparsable pyproject is the parse gate's finding; here it counts as a change
        return None


def _table_of(name: str, text: str | None) -> dict[str, Any]:
    """The patchgate table in file ``name``'s ``text``: data to compare, not settings to obey."""
    return parse_table(name, text) if text is not None else {}
