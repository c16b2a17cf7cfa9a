"""What a repository's past says about an issue: similar earlier fixes, fix-prone files, files changed together.

Bug-localization research keeps finding the same three history signals:
a new report resembles earlier fix messages, whose files are then likely
again; files that needed many (and recent) fixes need more; and files that
change together with a likely file are likely too. All three are read from
``git log`` of the indexed commit only (its ancestors: nothing after the base
is ever seen), bounded to the newest ``LIMIT`` commits, and kept in the index:
a refresh reads only the commits added since the last build.

Merge commits count with their first-parent diff, so a pull request's title
links to the files the pull request changed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.git import run_git
from core.secrets import redact
from retrieval.lexical import Lexical, tokenize

LIMIT = 3000  # newest commits kept: enough history, bounded cost on 50,000-commit repositories
MAX_FILES = 30  # a commit touching more files is a sweep (formatting, renames), not evidence about any one file
SIMILAR = 50  # earlier commits whose messages lend their files a score
_FIX = re.compile(
    r"\b(fix(e[sd])?|bug|error|exception|crash|fail(s|ed|ure)?|wrong|incorrect|regression|issue|"
    r"broken|raise[sd]?)\b",
    re.I,
)


@dataclass(frozen=True)
class Commit:
    sha: str
    time: int
    message: str
    files: tuple[str, ...]

    @property
    def is_fix(self) -> bool:
        return bool(_FIX.search(self.message, 0, 500))  # the subject and the start of the body say what it is


def read_commits(git_dir: Path, head: str, since: str | None = None, limit: int = LIMIT) -> list[Commit]:
    """Commits reachable from ``head`` (and not from ``since``), newest first, each with the files it changed."""
    spec = [head] if since is None else [head, f"^{since}"]
    proc = run_git(
        git_dir,
        "log",
        f"-n{limit}",
        "--diff-merges=first-parent",
        "--no-renames",
        "--name-only",
        "--format=%x00%H%x01%ct%x01%B%x01",
        *spec,
        "--",
        check=False,
    )
    if proc.returncode != 0:
        return []  # no commits yet (or an unreadable head): no history, not an error
    out = []
    for record in proc.stdout.decode("utf-8", "replace").split("\x00")[1:]:
        sha, when, message, names = record.split("\x01")
        files = tuple(n for n in names.split("\n") if n.strip())
        out.append(Commit(sha, int(when), redact(message.strip()), files))  # a pasted token never reaches the index
    return out


def head_of(git_dir: Path, ref: str = "HEAD") -> str | None:
    proc = run_git(git_dir, "rev-parse", "--verify", "-q", f"{ref}^{{commit}}", check=False)
    return proc.stdout.decode().strip() or None


def is_ancestor(git_dir: Path, old: str, new: str) -> bool:
    return run_git(git_dir, "merge-base", "--is-ancestor", old, new, check=False).returncode == 0


def update(git_dir: Path, head: str | None, previous: tuple[str | None, list[Commit]]) -> tuple[list[Commit], int]:
    """The history at ``head`` and how many commits were read for it: only the new ones when the previous
    build's head is an ancestor, everything (bounded) otherwise."""
    old_head, old = previous
    if head is None:
        return [], 0
    if old_head == head:
        return old, 0
    if old_head and old and is_ancestor(git_dir, old_head, head):
        new = read_commits(git_dir, head, since=old_head)
        return (new + old)[:LIMIT], len(new)
    commits = read_commits(git_dir, head)
    return commits, len(commits)


class History:
    """History signals over a list of indexed files, from commits newest first."""

    def __init__(self, commits: list[Commit], messages: Lexical, files: list[str]) -> None:
        self.commits = commits
        self.messages = messages
        self.pos = {p: i for i, p in enumerate(files)}
        self.n = len(files)
        self.touched = [
            [self.pos[p] for p in c.files if p in self.pos] if len(c.files) <= MAX_FILES else [] for c in commits
        ]

    @staticmethod
    def documents(commits: list[Commit]) -> list[list[str]]:
        return [tokenize(c.message) for c in commits]

    def similar(self, issue: str, detail: dict[int, str]) -> np.ndarray:
        """Files of earlier commits whose messages resemble the issue, each commit's score split over its files."""
        out = np.zeros(self.n, dtype=np.float32)
        best: dict[int, float] = {}
        for ci, score in self.messages.search(issue, SIMILAR):
            touched = self.touched[ci]
            for i in touched:
                share = score / len(touched)
                out[i] += share
                if share > best.get(i, 0.0):
                    best[i] = share
                    detail[i] = (
                        f"changed by {self.commits[ci].sha[:10]} “{self.commits[ci].message.splitlines()[0][:60]}”"
                    )
        return out

    def fix_counts(self) -> tuple[np.ndarray, np.ndarray]:
        """How many fix-like commits touched each file (log-scaled), and how recently any commit did."""
        fixes = np.zeros(self.n, dtype=np.float32)
        recency = np.zeros(self.n, dtype=np.float32)
        for age, (commit, touched) in enumerate(zip(self.commits, self.touched, strict=True)):
            weight = math.exp(-age / 300)
            for i in touched:
                if commit.is_fix:
                    fixes[i] += 1
                recency[i] = max(recency[i], weight)
        return np.log1p(fixes), recency

    def cochange(self, anchors: np.ndarray, detail: dict[int, str], files: list[str]) -> np.ndarray:
        """Files changed together with the anchor files: P(file changes | anchor changes), weighted by the anchor."""
        out = np.zeros(self.n, dtype=np.float32)
        strong = {int(i): float(anchors[i]) for i in np.flatnonzero(anchors > 0)}
        if not strong:
            return out
        together: dict[int, dict[int, int]] = {a: {} for a in strong}
        seen = dict.fromkeys(strong, 0)
        for touched in self.touched:
            hit = [a for a in touched if a in strong]
            for a in hit:
                seen[a] += 1
                for j in touched:
                    if j != a:
                        together[a][j] = together[a].get(j, 0) + 1
        for a, row in together.items():
            for j, n in row.items():
                value = strong[a] * n / (seen[a] + 2)  # +2: two shared commits out of two prove little
                if value > out[j]:
                    out[j] = value
                    detail[j] = f"changes together with {files[a]}"
        return out
