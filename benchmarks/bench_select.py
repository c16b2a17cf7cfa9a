"""What ``select`` costs for K candidates, beside K separate reviews: wall time and peak memory, K = 4 and 10.

    python benchmarks/bench_select.py --repos DIR --envs DIR [--instance ID] [--ks 4,10] [--repeat 1]

On a real repository (a SWE-bench Lite dev instance: its base commit, its
environment built as ``eval solve`` builds it) K candidate patches are made
from the gold patch as ``select_dev.py`` makes them (gold, mutants, partial,
debug print, test edit, comment only), and beyond those, copies of them that
differ by a comment (as K samples of one model often do). Each measurement
runs in a fresh process: ``select`` over the K candidates with related tests,
and ``review`` of each candidate one after another with the same options.
Peak memory is the largest resident set of the process itself and of any one
child (the test runs). Prints one line per K and a JSON line.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from select_dev import DEFAULT_DATASET, candidates  # run as a script: benchmarks/ is on the path

from evaluation.dataset import load_instances
from evaluation.environment import build_environment


def candidate_set(repo: Path, instance, k: int) -> list[str]:
    made = [d for _, d in candidates(repo, instance)]
    out = []
    for n in range(k):
        diff = made[n % len(made)]
        if n >= len(made):  # the same change again, with a comment of its own: a distinct patch
            lines = diff.splitlines(keepends=True)
            at = next(i for i, x in enumerate(lines) if x.startswith("+") and not x.startswith("+++"))
            indent = lines[at][1:][: len(lines[at]) - 1 - len(lines[at][1:].lstrip())]
            lines.insert(at, f"+{indent}# sample {n}\n")
            from select_dev import recount

            diff = recount("".join(lines))
        out.append(diff)
    return out


def child(args: argparse.Namespace) -> None:
    """One measurement in this process; prints {"seconds", "self_mb", "child_mb"}."""
    from agent.selection import select
    from core.settings import resolve
    from tools.gates import review

    instance = load_instances(args.dataset, [args.instance])[0]
    repo = args.repos / instance.repo_key
    env = build_environment(instance, repo, args.envs)
    diffs = candidate_set(repo, instance, args.k)
    settings = resolve(repo, base=instance.base_commit, review={"tests": "related"}, tests={"python": env.built.python})
    started = time.perf_counter()
    if args.mode == "select":
        select(repo, instance.problem_statement, diffs, settings=settings)
    else:
        for diff in diffs:
            review(repo, diff, base=instance.base_commit, options=settings.review, tests=settings.tests)
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "seconds": round(seconds, 2),
                "self_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                "child_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=DEFAULT_DATASET)
    parser.add_argument("--repos", type=Path, required=True)
    parser.add_argument("--envs", type=Path, required=True)
    parser.add_argument("--instance", default="marshmallow-code__marshmallow-1359")
    parser.add_argument("--ks", default="4,10")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--mode", choices=["select", "reviews"], help=argparse.SUPPRESS)
    parser.add_argument("--k", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.mode:
        child(args)
        return
    figures = {}
    for k in [int(x) for x in args.ks.split(",")]:
        for mode in ("select", "reviews"):
            runs = []
            for _ in range(args.repeat):
                done = subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--dataset",
                        str(args.dataset),
                        "--repos",
                        str(args.repos),
                        "--envs",
                        str(args.envs),
                        "--instance",
                        args.instance,
                        "--mode",
                        mode,
                        "--k",
                        str(k),
                    ],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
            figures[f"{mode}@{k}"] = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
        s, r = figures[f"select@{k}"], figures[f"reviews@{k}"]
        print(
            f"K={k}: select {s['seconds']:.1f} s (peak {s['self_mb']} MB, tests {s['child_mb']} MB); "
            f"{k} reviews {r['seconds']:.1f} s (peak {r['self_mb']} MB, tests {r['child_mb']} MB); "
            f"ratio {s['seconds'] / r['seconds']:.2f}",
            flush=True,
        )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
