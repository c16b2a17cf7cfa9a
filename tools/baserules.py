"""The rules a candidate is judged by come from its base commit, never from the candidate.

A patch that edits ``.patchgate.toml`` to turn the security gate off, widens
``allow_protected`` in ``pyproject.toml`` or rewrites the repository's policy
YAML must not be reviewed under those new rules. So review reads its settings
and the repository's policy folder from the base commit (the user's own
files outside the repository are used as they are), and a change to any of
them is itself a ``scope.protected-path`` finding a person has to look at.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

import git

from core.config import CONFIG_FILES, load_table_from, section
from core.errors import ConfigError
from core.git import bytes_at, file_at, staged_bytes
from core.trust import settings_approved
from tools.candidate import Candidate
from tools.findings import Finding
from tools.options import ReviewOptions

POLICY_CACHE = "patchgate/policies"  # in the git common dir, one folder per policy tree id


def base_table(repo: git.Repo, commit: str) -> dict[str, Any]:
    """The ``[tool.patchgate]`` table as ``commit`` has it (a config file that is not UTF-8 is an error)."""
    return load_table_from(_strict(lambda name: bytes_at(repo, commit, name)))


def staged_table(repo: git.Repo) -> dict[str, Any]:
    """The ``[tool.patchgate]`` table the commit being made records (the caller's index inside a hook)."""
    return load_table_from(_strict(lambda name: staged_bytes(repo, name)))


def rules_table(repo: git.Repo, commit: str, candidate: Callable[[], dict[str, Any]] | None) -> tuple[dict[str, Any], bool]:
    """The settings that judge a person's change, and whether they are the change's own.

    The base commit's, unless the change brings other settings (``candidate`` reads them) that the user
    approved for this repository with ``patchgate trust --config``: a person may always change their
    project's rules, but only by saying so outside the change itself.
    """
    base = base_table(repo, commit)
    if candidate is None:
        return base, False
    try:
        new = candidate()
    except ConfigError:
        return base, False  # unreadable new settings judge nothing; the parse gate reports the file
    root = Path(repo.working_tree_dir or repo.git_dir)
    if new != base and settings_approved(root, new):
        return new, True
    return base, False


def _strict(fetch: Callable[[str], bytes | None]) -> Callable[[str], str | None]:
    """A config-file reader that refuses a file that is not UTF-8 instead of reading it as absent."""
    def read(name: str) -> str | None:
        data = fetch(name)
        if data is None:
            return None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise ConfigError(f"{name} is not UTF-8 text; patchgate reads its settings from it: save it as "
                              "UTF-8") from None
    return read


def options_at(repo: git.Repo, commit: str, overrides: dict[str, Any] | None = None) -> ReviewOptions:
    """``[tool.patchgate.review]`` of ``commit`` with flag ``overrides``; a policy folder in the repository is
    read as ``commit`` has it too."""
    return options_from(repo, commit, base_table(repo, commit), overrides)


def options_from(repo: git.Repo, commit: str, table: dict[str, Any],
                 overrides: dict[str, Any] | None = None) -> ReviewOptions:
    """``[tool.patchgate.review]`` of ``table`` with flag ``overrides``; a policy folder inside the repository
    is read as ``commit`` has it. Who wrote the change is the caller's to say, never the file's."""
    root = Path(repo.working_tree_dir or repo.git_dir)
    review = table.get("review")
    if isinstance(review, dict) and (caller := {"origin", "config_from"} & set(review)):
        raise ConfigError(f"[tool.patchgate.review] {sorted(caller)[0]} is set by the command that reviews, "
                          "not by the configuration; remove it")
    options = section(root, "review", ReviewOptions, overrides, table=table)
    inside = repo_policy_dir(root, options.policy_dir)
    if inside is None:
        return options
    return options.model_copy(update={"policy_dir": _policies_at(repo, commit, inside)})


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


def rule_change_findings(candidate: Candidate, repo: git.Repo, commit: str, tree: Path | None, *,
                         approved: bool = False) -> list[Finding]:
    """A change to patchgate's own settings or the repository's policy files, as protected-path findings.

    ``pyproject.toml`` counts only when its ``[tool.patchgate]`` table differs
    (read from ``tree``, the patched worktree); CI files are protected by the
    scope policy already. A settings change the user ``approved`` locally (their own commit, ``patchgate
    trust --config``) judged the change already, so it is a note; otherwise the fix is named.
    """
    root = Path(repo.working_tree_dir or repo.git_dir)
    policy_rel = repo_policy_dir(root, _declared_policy_dir(repo, commit))
    findings = []
    for changed in candidate.files:
        for path in dict.fromkeys(p for p in (changed.path, changed.old_path) if p):
            why = _rule_file(path, policy_rel, repo, commit, tree)
            if why and approved:
                findings.append(Finding(rule="scope.protected-path", path=path, severity="note",
                                        message=f"{path} {why}; you approved the new settings "
                                                "(patchgate trust --config) and they judged this commit"))
            elif why:
                findings.append(Finding(rule="scope.protected-path", path=path,
                                        message=f"{path} {why}; review used the base commit's rules, and a person "
                                                "must approve this change: if it is yours, run "
                                                "`patchgate trust --config` and commit again"))
    return findings


def _declared_policy_dir(repo: git.Repo, commit: str) -> Path | None:
    raw = base_table(repo, commit).get("review", {}).get("policy_dir")
    return Path(raw) if isinstance(raw, str) else None


def _rule_file(path: str, policy_rel: str | None, repo: git.Repo, commit: str, tree: Path | None) -> str | None:
    if path == CONFIG_FILES[0]:
        return "holds patchgate's settings"
    if policy_rel and (path == policy_rel or path.startswith(policy_rel.rstrip("/") + "/")):
        return "is one of the repository's patchgate policies"
    if path == "pyproject.toml":
        before = load_table_from(lambda name: file_at(repo, commit, name) if name == path else None)
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
        return load_table_from(lambda n: text if n == name else None)
    except ConfigError:  # an unparsable pyproject is the parse gate's finding; here it counts as a change
        return None
