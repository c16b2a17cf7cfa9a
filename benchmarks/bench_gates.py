"""How long the fast gates take on typical commits: parse + scope + security + license (target ≤ 1 s).

    python benchmarks/bench_gates.py [--repo PATH] [--commits 30] [--repeat 3]

Takes the most recent commits of ``--repo`` (default: this repository) that
touch at most 5 files, and for each times (a) the four fast gates on the
applied tree, (b) the tests gate with tests off, which imports the changed
modules in the project's environment, and (c) a whole ``review()`` with tests
off (worktree checkout, apply, gates, cleanup). Prints medians and the share
of commits under 1 s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.errors import fail
from core.errors import PatchgateError
from core.git import file_at, open_repo
from core.settings import TestSettings
from core.worktrees import worktree
from tools.candidate import parse_diff
from tools.gate import GateContext, load_gate
from tools.gates import ReviewOptions, review
from tools.policy import Policies

OPTIONS = ReviewOptions(tests="none")
FAST_GATES = ("parse", "scope", "security", "license")


def small_commits(root: Path, count: int) -> list[str]:
    """Recent non-merge commits touching 1..5 files."""
    log = subprocess.run(
        ["git", "log", "--no-merges", "--format=%H", "-n", str(count * 5)],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    picked = []
    for commit in log:
        names = subprocess.run(
            ["git", "diff-tree", "--no-commit-id", "--name-only", "-r", commit],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        if (
            1 <= len(names) <= 5
            and len(
                subprocess.run(
                    ["git", "rev-list", "--parents", "-n1", commit], cwd=root, capture_output=True, text=True
                ).stdout.split()
            )
            == 2
        ):
            picked.append(commit)
        if len(picked) == count:
            break
    return picked


def fast_gates(root: Path, commit: str, repeat: int, names: tuple[str, ...] = FAST_GATES) -> float:
    """Best of ``repeat`` timings of gates ``names`` on ``commit`` applied (its own tree)."""
    repo = open_repo(root)
    diff = repo.git.diff(f"{commit}^", commit, "--full-index")
    times = []
    with worktree(repo, commit) as tree:
        for _ in range(repeat):
            started = time.perf_counter()
            ctx = GateContext(
                repo=repo,
                base=f"{commit}^",
                diff=diff,
                candidate=parse_diff(diff),
                tree=tree,
                options=OPTIONS,
                tests=TestSettings(),
                policies=Policies(),
                applied=True,
                base_text=lambda p: file_at(repo, f"{commit}^", p),
            )
            for name in names:
                load_gate(name).run(ctx)
            times.append(time.perf_counter() - started)
    return min(times)


def whole_review(root: Path, commit: str) -> float:
    repo = open_repo(root)
    diff = repo.git.diff(f"{commit}^", commit, "--full-index")
    started = time.perf_counter()
    review(root, diff, base=f"{commit}^", options=OPTIONS)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--commits", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    commits = small_commits(args.repo, args.commits)
    if not commits:
        fail("no commits touching 1..5 files found")
    full, kept = [], []
    for commit in commits:  # a commit whose base has a broken config is an error to review, not a timing
        try:
            full.append(whole_review(args.repo, commit))
            kept.append(commit)
        except PatchgateError as exc:
            print(f"skipped {commit[:10]}: {exc}", file=sys.stderr)
    commits = kept
    fast = [fast_gates(args.repo, c, args.repeat) for c in commits]
    imports = [fast_gates(args.repo, c, args.repeat, ("tests",)) for c in commits]  # tests off: import check only
    summary = {
        "repo": str(args.repo),
        "commits": len(commits),
        "fast_gates_median_s": round(statistics.median(fast), 4),
        "fast_gates_max_s": round(max(fast), 4),
        "fast_gates_under_1s": round(sum(t <= 1.0 for t in fast) / len(fast), 3),
        "import_check_median_s": round(statistics.median(imports), 4),
        "import_check_max_s": round(max(imports), 4),
        "review_median_s": round(statistics.median(full), 4),
        "review_max_s": round(max(full), 4),
    }
    print(f"{len(commits)} commits of {args.repo.name} touching ≤5 files")
    print(
        f"parse+scope+security+license: median {summary['fast_gates_median_s']:.3f} s, "
        f"max {summary['fast_gates_max_s']:.3f} s, {summary['fast_gates_under_1s']:.0%} under 1 s"
    )
    print(
        f"tests gate with tests off (import check of changed modules in the project's env): median "
        f"{summary['import_check_median_s']:.3f} s, max {summary['import_check_max_s']:.3f} s"
    )
    print(f"whole review (worktree, apply, gates, cleanup; tests off): median {summary['review_median_s']:.3f} s")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
