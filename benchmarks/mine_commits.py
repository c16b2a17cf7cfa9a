"""Mine a localization training set from other repositories' histories: commit message -> changed source files.

    python benchmarks/mine_commits.py --repos /tmp/locate/repos --per-repo 60 \
        --out benchmarks/data/mined_commits.jsonl owner/name [owner/name ...]

A commit qualifies when it is not a merge, changes 1-3 library source files
(``.py``, not tests/docs/examples, each modified rather than added or deleted),
and says something in its message (at least five words, not a release, version
bump, revert, formatting or lint sweep). The message plays the issue, the
parent commit is the base, the changed source files are the gold, and the
changed old-side line ranges give the gold functions. Commits are sampled
evenly over the repository's recent history (deterministic: no randomness).

The output is data only (ids, messages, commits, file lists, line ranges),
never the repositories' code. The repositories named in docs/ranking.md as
held out must never be mined; the script refuses them.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.errors import fail
from retrieval.rank import is_source

HELD_OUT = frozenset(
    {
        "sympy",
        "pytest",
        "sphinx",
        "astropy",
        "requests",
        "pylint",
        "xarray",
        "seaborn",
        "flask",
        "django",
        "scikit-learn",
        "matplotlib",
    }
)


def refuse_held_out(repos: Iterable[str], use: str) -> None:
    """Stop with one ``error:`` line, before any work, when a repository the project is evaluated on is among
    ``repos`` ("owner/name"): nothing may be mined from or trained on those (``use``: "mined", "trained on")."""
    for repo in repos:
        if repo.split("/")[-1].lower() in HELD_OUT:
            fail(f"{repo} is held out for evaluation and must not be {use}")


_SKIP = re.compile(
    r"^\s*(bump|release|prepare|version|revert|merge|typo|format|reformat|lint|style|pre-commit|"
    r"\[pre-commit|update (changelog|docs)|changelog|black|isort|flake8|ruff|mypy)\b",
    re.I,
)
_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@", re.M)
HISTORY_WINDOW = 2000  # newest commits considered per repository


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True, errors="replace").stdout


def candidates(repo: Path) -> list[tuple[str, str, list[str]]]:
    """(commit, message, changed source files) of every qualifying commit, oldest first."""
    log = git(
        repo,
        "log",
        f"-n{HISTORY_WINDOW}",
        "--no-merges",
        "--format=%x00%H%x01%B%x01",
        "--name-status",
        "--no-renames",
        "HEAD",
    )
    out = []
    for record in log.split("\x00")[1:]:
        sha, message, status = record.split("\x01")
        rows = [line.split("\t") for line in status.strip().splitlines() if "\t" in line]
        source = [(s, p) for s, p in rows if p.endswith(".py") and is_source(p)]
        words = len(re.findall(r"[A-Za-z]{2,}", message))
        if not 1 <= len(source) <= 3 or any(s != "M" for s, _ in source) or words < 5 or _SKIP.match(message):
            continue
        out.append((sha, message.strip(), sorted(p for _, p in source)))
    return out[::-1]


def changed_lines(repo: Path, sha: str, path: str) -> list[list[int]]:
    """Old-side line ranges a commit changes in ``path`` (a pure insertion marks the line it follows)."""
    diff = git(repo, "diff", "-U0", f"{sha}^", sha, "--", path)
    spans = []
    for start, count in _HUNK.findall(diff):
        first, n = int(start), int(count) if count else 1
        spans.append([max(first, 1), max(first + n - 1, first, 1)])
    return spans


def mine(repo: Path, name: str, per_repo: int) -> list[dict]:
    found = candidates(repo)
    step = max(len(found) / per_repo, 1.0)
    picked = [found[int(i * step)] for i in range(min(per_repo, len(found)))]
    rows = []
    for sha, message, files in picked:
        parent = git(repo, "rev-parse", f"{sha}^").strip()
        when = git(repo, "show", "-s", "--format=%cI", sha).strip()
        rows.append(
            {
                "instance_id": f"{name.replace('/', '__')}-{sha[:10]}",
                "repo": name,
                "base_commit": parent,
                "commit": sha,
                "created_at": when,
                "problem_statement": message,
                "gold_files": files,
                "gold_lines": {p: changed_lines(repo, sha, p) for p in files},
            }
        )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("names", nargs="+", help="owner/name of each repository to mine")
    ap.add_argument("--repos", type=Path, required=True, help="folder of <owner>__<name> git repositories")
    ap.add_argument("--per-repo", type=int, default=30)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    rows = []
    refuse_held_out(args.names, "mined")
    for name in args.names:
        repo = args.repos / name.replace("/", "__")
        try:
            mined = mine(repo, name, args.per_repo)
        except (OSError, subprocess.CalledProcessError):
            fail(f"{repo}: not a git repository with a commit (fetch {name} there first)")
        print(f"{name}: {len(mined)} commits", file=sys.stderr)
        rows.extend(mined)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


if __name__ == "__main__":
    main()
