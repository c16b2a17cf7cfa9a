"""Mine training pairs: a pull request's or commit's text -> the files and functions it fixed.

    python benchmarks/mine_pairs.py --repos /tmp/i23/repos --per-repo 250 \
        --out benchmarks/data/learned_pairs.jsonl.gz [owner/name ...]   # default: TRAINING_REPOS

The learned retriever trains on them (``train_learned.py``), and the fusion's big-repository pairs
(``benchmarks/data/fusion_pairs.jsonl.gz``, the command in ``benchmarks/data/README.md``) are mined the same
way. Each pair is an instance as ``--dataset`` reads it (its text is ``problem_statement``).

Unlike ``mine_commits.py`` (the evaluation set: one commit plays an issue), this walks each repository's
mainline (first-parent) history, so a merged pull request counts once, as its title and description with the
files the whole pull request changed; a squash-merged one is its squash commit. A pair is kept when

* its text says something (at least five words after the merge line and trailers are dropped) and is not a
  release, version bump, revert, formatting or lint sweep or a bot's update (``mine_commits._SKIP``, bots);
* it changes 1-3 library ``.py`` files, each modified (not added, deleted or renamed), and at most
  ``MAX_CHANGED`` lines of them (a bigger change is a refactor, not a fix one can localize);
* its normalised text was not seen before, in any repository (cherry-picks, backports, copied templates).

The gold functions are the innermost definitions (tree-sitter, ``retrieval.chunking``) of the parent's file
around each changed line. The output is data only (texts, ids, paths, definition names, line ranges), never
code. ``--stats`` writes the counts the data card (benchmarks/data/README.md) reports.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.mine_commits import _HUNK, _SKIP, git, refuse_held_out
from retrieval.chunking import chunk_file
from retrieval.signals import is_source

# Python projects with readable histories, none of them held out and none in the evaluation set
# (benchmarks/data/mined_commits.jsonl, the SWE-bench Lite dev split), so the learned signal is measured
# only on repositories it never saw.
TRAINING_REPOS = (
    "encode/starlette",
    "encode/uvicorn",
    "tqdm/tqdm",
    "urllib3/urllib3",
    "pypa/packaging",
    "PyCQA/flake8",
    "PyCQA/pyflakes",
    "pallets/itsdangerous",
    "nedbat/coveragepy",
    "python-trio/trio",
    "agronholm/anyio",
    "tornadoweb/tornado",
    "aio-libs/aiohttp",
    "pydantic/pydantic",
    "python/mypy",
    "pypa/pip",
    "celery/kombu",
    "scrapy/scrapy",
    "networkx/networkx",
    "python-babel/babel",
    "paramiko/paramiko",
    "benoitc/gunicorn",
    "Delgan/loguru",
    "hynek/structlog",
    "more-itertools/more-itertools",
    "jpadilla/pyjwt",
    "python-attrs/cattrs",
    "httpie/cli",
    "Instagram/LibCST",
    "ipython/ipython",
    "joke2k/faker",
    "mahmoud/boltons",
    "pypa/virtualenv",
    "celery/celery",
)
HISTORY_WINDOW = 6000  # newest mainline commits read per repository
MAX_CHANGED = 200  # changed lines across the gold files
MAX_TEXT = 2000  # characters of text kept per pair
_MERGE = re.compile(r"^Merge (pull request #\d+ from \S+|branch \S+( of \S+)?( into \S+)?|remote-tracking.*)$", re.I)
_TRAILER = re.compile(r"^(co-authored-by|signed-off-by|reviewed-by|acked-by|cc|fixes|closes|refs?):.*$", re.I | re.M)
_BOT = re.compile(r"\[bot\]|dependabot|pre-commit-ci|renovate|github-actions", re.I)
_SECTION = re.compile(r"^(#+ |<!--).*", re.M)  # pull request template headings and comments


def text_of(message: str) -> str:
    """The issue-like text of a mainline commit: a merge's line dropped, trailers and template noise removed."""
    lines = message.strip().splitlines()
    if lines and _MERGE.match(lines[0].strip()):
        lines = lines[1:]
    text = _SECTION.sub("", _TRAILER.sub("", "\n".join(lines)))
    return re.sub(r"\n{3,}", "\n\n", text).strip()[:MAX_TEXT]


def normalised(text: str) -> str:
    """What makes two texts the same pair: words only, without pull request numbers."""
    return " ".join(re.findall(r"[a-z]{2,}", re.sub(r"\(?#\d+\)?", "", text.lower())))


def mainline(repo: Path) -> list[dict]:
    """Every mainline commit of the window with its parent, author, date, text and changed paths, oldest first."""
    log = git(
        repo,
        "log",
        f"-n{HISTORY_WINDOW}",
        "--first-parent",
        "--diff-merges=first-parent",
        "--no-renames",
        "--format=%x00%H%x01%P%x01%an%x01%cI%x01%B%x01",
        "--numstat",
        "HEAD",
    )
    out = []
    for record in log.split("\x00")[1:]:
        sha, parents, author, when, message, stat = record.split("\x01")
        if not parents.strip():
            continue
        changed = []
        for line in stat.strip().splitlines():
            added, deleted, path = [*line.split("\t"), "", "", ""][:3]
            changed.append((path, int(added) + int(deleted) if added.isdigit() and deleted.isdigit() else 0))
        out.append(
            {
                "sha": sha,
                "parent": parents.split()[0],
                "author": author,
                "when": when,
                "message": message,
                "changed": changed,
            }
        )
    return out[::-1]


def qualify(commit: dict, repo: Path, seen: set[str]) -> tuple[str, dict | None]:
    """Why a commit is dropped, or ``("kept", pair)``."""
    text = text_of(commit["message"])
    if _BOT.search(commit["author"]):
        return "bot author", None
    if len(re.findall(r"[A-Za-z]{2,}", text)) < 5:
        return "text under five words", None
    if _SKIP.match(text):
        return "release, bump, revert, formatting or lint", None
    source = [
        (p, n)
        for p, n in commit["changed"]
        if p.endswith(".py") and is_source(p) and Path(p).stem not in ("test", "tests")
    ]
    if not 1 <= len(source) <= 3:
        return "not 1-3 library .py files", None
    if sum(n for _, n in source) > MAX_CHANGED:
        return f"over {MAX_CHANGED} changed lines", None
    status = git(
        repo, "diff", "--name-status", "--no-renames", commit["parent"], commit["sha"], "--", *(p for p, _ in source)
    )
    if any(not line.startswith("M\t") for line in status.strip().splitlines()):
        return "adds or deletes a library file", None
    key = normalised(text)
    if key in seen:
        return "duplicate text", None
    seen.add(key)
    files = sorted(p for p, _ in source)
    lines = {p: changed_lines(repo, commit["parent"], commit["sha"], p) for p in files}
    return "kept", {
        "problem_statement": text,
        "commit": commit["sha"],
        "base_commit": commit["parent"],
        "created_at": commit["when"],
        "gold_files": files,
        "gold_lines": lines,
        "gold_functions": gold_function_names(repo, commit["parent"], lines),
    }


def changed_lines(repo: Path, parent: str, sha: str, path: str) -> list[list[int]]:
    """Old-side line ranges of the change to ``path`` (a pure insertion marks the line it follows)."""
    spans = []
    for start, count in _HUNK.findall(git(repo, "diff", "-U0", parent, sha, "--", path)):
        first, n = int(start), int(count) if count else 1
        spans.append([max(first, 1), max(first + n - 1, first, 1)])
    return spans


def gold_function_names(repo: Path, parent: str, lines: dict[str, list[list[int]]]) -> list[str]:
    """``path::Qualified.name`` of the innermost definition around each changed range, at the parent."""
    out: list[str] = []
    for path, spans in lines.items():
        chunks = [
            c
            for c in chunk_file("python", git(repo, "show", f"{parent}:{path}")).chunks
            if c.kind in ("function", "method", "class")
        ]
        for start, end in spans:
            around = [c for c in chunks if c.start_line <= end and start <= c.end_line]
            if around:
                name = f"{path}::{min(around, key=lambda c: c.end_line - c.start_line).name}"
                if name not in out:
                    out.append(name)
    return out


def mine(repo: Path, name: str, per_repo: int, seen: set[str], why: Counter) -> list[dict]:
    """Up to ``per_repo`` pairs, the newest qualifying ones first (recent history reads like today's code)."""
    pairs: list[dict] = []
    for commit in reversed(mainline(repo)):
        if len(pairs) >= per_repo:
            why["over the per-repository cap"] += 1
            continue
        reason, pair = qualify(commit, repo, seen)
        why[reason] += 1
        if pair is not None:
            pairs.append({"instance_id": f"{name.replace('/', '__')}-{commit['sha'][:10]}", "repo": name, **pair})
    return pairs[::-1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("names", nargs="*", help="owner/name of each repository (default: TRAINING_REPOS)")
    ap.add_argument("--repos", type=Path, required=True, help="folder of <owner>__<name> git repositories")
    ap.add_argument("--per-repo", type=int, default=250)
    ap.add_argument("--out", type=Path, required=True, help="a .jsonl or .jsonl.gz file")
    ap.add_argument("--stats", type=Path, help="write the per-repository counts and the reasons as JSON")
    args = ap.parse_args()
    names = args.names or list(TRAINING_REPOS)
    refuse_held_out(names, "mined")
    seen: set[str] = set()
    rows, stats = [], {}
    for name in names:
        why: Counter = Counter()
        pairs = mine(args.repos / name.replace("/", "__"), name, args.per_repo, seen, why)
        dropped = {reason: n for reason, n in why.most_common() if reason != "kept"}
        stats[name] = {"pairs": len(pairs), "read": sum(why.values()), "dropped": dropped}
        print(f"{name}: {len(pairs)} pairs of {sum(why.values())} mainline commits", file=sys.stderr, flush=True)
        rows.extend(pairs)
    body = "".join(json.dumps(r, sort_keys=True) + "\n" for r in rows).encode()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(gzip.compress(body, mtime=0) if args.out.suffix == ".gz" else body)
    if args.stats:
        args.stats.write_text(json.dumps(stats, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
