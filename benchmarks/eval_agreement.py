"""Does ``eval solve`` give the official harness's verdict? Agreement, instance by instance, on one predictions file.

    python benchmarks/eval_agreement.py --dataset lite.json --repos /work/swe-repos \\
        --predictions run/all_preds.jsonl --harness-report run/results.json [--envs DIR] [--workers 2] [--out DIR]

``--harness-report`` is the report the harness published for the same
predictions: ``run_evaluation``'s ``<model>.<run_id>.json`` (``resolved_ids``)
or an experiments-repository ``results.json`` (``resolved``). Each predicted
instance of the dataset is evaluated by ``eval solve``; an instance agrees when
both say resolved or both say not resolved (``unresolved``, ``error``,
``env_failed`` and ``patch_failed`` are all "not resolved" for the harness's
yes/no). Prints the agreement over all instances and over those eval solve
evaluated, then each disagreement with our status and why. The data is kept
out of the repository (published runs are held out); bring your own.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from evaluation.run import SolveEval, evaluate_solve
from evaluation.store import load_results


def harness_resolved(path: Path) -> set[str]:
    """The resolved ids of a harness report, in either published shape."""
    report = json.loads(path.read_text(encoding="utf-8"))
    ids = report.get("resolved_ids", report.get("resolved"))
    if not isinstance(ids, list):
        raise SystemExit(f"error: {path} has neither resolved_ids nor resolved")
    return set(ids)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, required=True)
    parser.add_argument("--repos", type=Path, required=True)
    parser.add_argument("--predictions", type=Path, required=True)
    parser.add_argument("--harness-report", type=Path, required=True)
    parser.add_argument("--envs", type=Path)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, help="keep the run here (default: a new temporary folder)")
    args = parser.parse_args()
    truth = harness_resolved(args.harness_report)
    out = args.out or Path(tempfile.mkdtemp(prefix="eval-agreement-"))
    report = evaluate_solve(
        SolveEval(args.dataset, args.repos, out, str(args.predictions), workers=args.workers, envs=args.envs)
    )
    ours = set(report["resolved_ids"])
    judged = sorted(set(report["submitted_ids"]) - set(report["incomplete_ids"]))
    evaluated = set(report["evaluated_ids"])
    agree = [i for i in judged if (i in ours) == (i in truth)]
    agree_evaluated = [i for i in agree if i in evaluated]
    print(
        f"instances {len(judged)}: agreement {len(agree)}/{len(judged)} = {len(agree) / max(len(judged), 1):.1%}; "
        f"on the {len(evaluated)} evaluated: {len(agree_evaluated)}/{len(evaluated)} = "
        f"{len(agree_evaluated) / max(len(evaluated), 1):.1%}"
    )
    print(
        f"harness resolved {len(truth & set(judged))}, eval solve resolved {len(ours)}; not evaluated: "
        f"{report['env_failed_instances']} env_failed, {report['harness_error_instances']} error, "
        f"{report['patch_failed_instances']} patch_failed"
    )
    for iid in sorted(set(judged) - set(agree)):
        found = load_results(out, iid, [None])
        result = found[0] if found else None
        status = result.status if result else "?"
        why = (
            (result.reason or ", ".join(result.fail_to_pass_failed + result.pass_to_pass_failed))[:160]
            if result
            else ""
        )
        print(f"  {iid}: harness {'resolved' if iid in truth else 'not resolved'}, eval solve {status}: {why}")
    print(f"out {out}")


if __name__ == "__main__":
    main()
