"""eval solve on SWE-bench Lite dev: resolution of gold / empty / a predictions file, and wall time per executor.

    python benchmarks/bench_eval_solve.py --repos /work/swe-repos --envs /work/swe-envs \\
        [--dataset ../shared/swebench/lite_dev.json] [--predictions gold] [--workers 2] [--ray] [--out DIR]

``--repos`` holds ``<owner>__<name>`` git repositories (bare is fine; a repository
that is missing or cannot be checked out is reported, not counted). Environments
are cached in ``--envs``, so run it once to build them and again to time the
evaluation alone. Prints the figures the issue asks for: instances, how many
environments built, resolved of evaluated, env_failed with reasons, the gates'
precision/recall, and the wall time.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from evaluation.run import SolveEval, evaluate_solve
from evaluation.store import load_results

DEFAULT_DATASET = Path(__file__).resolve().parents[1] / ".." / "shared" / "swebench" / "lite_dev.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=DEFAULT_DATASET)
    parser.add_argument("--repos", type=Path, required=True)
    parser.add_argument("--envs", type=Path, required=True)
    parser.add_argument("--predictions", default="gold")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--ray", action="store_true", help="Ray tasks on a new local cluster")
    parser.add_argument("--out", type=Path, help="keep the run here (default: a new temporary folder)")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="bench-eval-solve-"))
    started = time.perf_counter()
    report = evaluate_solve(
        SolveEval(
            args.dataset,
            args.repos,
            out,
            args.predictions,
            workers=args.workers,
            ray="local" if args.ray else None,
            envs=args.envs,
        )
    )
    wall = time.perf_counter() - started
    built = report["total_instances"] - report["env_failed_instances"]
    evaluated = report["completed_instances"]
    print(
        f"instances {report['total_instances']}  environments built {built}  evaluated {evaluated}  "
        f"resolved {report['resolved_instances']} ({report['resolved_instances'] / max(evaluated, 1):.1%} of evaluated)"
    )
    for iid in report["env_failed_ids"] + report["error_ids"]:
        found = load_results(out, iid, [None])
        result = found[0] if found else None
        print(f"  {iid}: {result.status if result else '?'}: {result.reason[:160] if result else ''}")
    for iid in report["unresolved_ids"]:
        print(f"  {iid}: unresolved")
    print(f"gates: {json.dumps(report['gates'])}")
    print(f"wall {wall:.0f} s with {'ray' if args.ray else 'local processes'}, workers {args.workers}; out {out}")


if __name__ == "__main__":
    main()
