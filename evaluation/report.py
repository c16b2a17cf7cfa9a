"""The run's report: the SWE-bench harness's keys, plus what only patchgate knows.

Harness keys (``sb-cli``/``run_evaluation`` write the same): ``total_instances``,
``submitted_instances``, ``completed_instances``, ``resolved_instances``,
``unresolved_instances``, ``empty_patch_instances``, ``error_instances`` and the
``*_ids`` lists. As in the harness, a prediction that does not apply is an
error. Unlike it, an empty patch is still run (that is the control proving the
FAIL_TO_PASS tests fail without a fix), so it also lands in resolved or
unresolved.

Added: ``evaluated_ids`` (the tests ran), ``env_failed_ids`` (no environment,
or the tests need the network), ``harness_error_ids`` (the tests could not be
run: no FAIL_TO_PASS test ran, the runner crashed, the timeout), ``patch_failed_ids``,
``reasons`` (the one-line why of each of those; none of them counts as
unresolved), the gates' verdict against the truth (precision and
recall of "the gates passed" as a predictor of "resolved"), and with samples,
pass@1..K and how often the gates chose a resolving candidate.
"""

from __future__ import annotations

from evaluation.dataset import Instance
from evaluation.passk import mean_pass_at_k
from evaluation.store import InstanceResult


def primary(results: list[InstanceResult]) -> InstanceResult:
    """The result that stands for the instance: the prediction, or the candidate the gates chose."""
    return next((r for r in results if r.sample is None or r.chosen), results[0])


def build_report(instances: list[Instance], results: dict[str, list[InstanceResult]], submitted: list[str]) -> dict:
    """report.json for ``instances``; ``results`` holds the finished ones (by id), ``submitted`` those predicted."""
    ids = [i.instance_id for i in instances]
    main = {iid: primary(results[iid]) for iid in ids if results.get(iid)}

    def having(*statuses: str) -> list[str]:
        return sorted(iid for iid, r in main.items() if r.status in statuses)

    evaluated, errors = having("resolved", "unresolved"), having("error", "patch_failed")
    resolved, empty = having("resolved"), sorted(iid for iid, r in main.items() if r.empty_patch)
    report = {
        "total_instances": len(ids),
        "submitted_instances": len(submitted),
        "completed_instances": len(evaluated),
        "resolved_instances": len(resolved),
        "unresolved_instances": len(evaluated) - len(resolved),
        "empty_patch_instances": len(empty),
        "error_instances": len(errors),
        "env_failed_instances": len(having("env_failed")),
        "patch_failed_instances": len(having("patch_failed")),
        "completed_ids": evaluated,
        "incomplete_ids": sorted(set(ids) - set(main)),
        "submitted_ids": sorted(submitted),
        "resolved_ids": resolved,
        "unresolved_ids": having("unresolved"),
        "error_ids": errors,
        "empty_patch_ids": empty,
        "evaluated_ids": evaluated,
        "env_failed_ids": having("env_failed"),
        "patch_failed_ids": having("patch_failed"),
        "harness_error_instances": len(having("error")),
        "harness_error_ids": having("error"),
        "reasons": {iid: r.reason for iid, r in sorted(main.items()) if r.reason and not r.evaluated},
        "resolve_rate_of_evaluated": round(len(resolved) / len(evaluated), 4) if evaluated else 0.0,
        "gates": gates_against_truth([r for rs in results.values() for r in rs]),
        "schema_version": 2,
    }
    if any(r.sample is not None for rs in results.values() for r in rs):
        report["samples"] = sample_metrics(results)
    return report


def summary_line(report: dict) -> dict:
    """The one JSON line ``--json`` prints last."""
    return {
        "instances": report["total_instances"],
        "evaluated": len(report["evaluated_ids"]),
        "env_failed": report["env_failed_instances"],
        "error": report["harness_error_instances"],
        "patch_failed": report["patch_failed_instances"],
        "resolved": report["resolved_instances"],
        "resolved_ids": report["resolved_ids"],
        "evaluated_ids": report["evaluated_ids"],
    }


def gates_against_truth(results: list[InstanceResult]) -> dict:
    """How well "every gate passed" (tests off) predicts "resolved", over patches whose truth is known."""
    judged = [
        r for r in results if r.gates_passed is not None and r.status in ("resolved", "unresolved", "patch_failed")
    ]
    tp = sum(bool(r.gates_passed) and r.status == "resolved" for r in judged)
    fp = sum(bool(r.gates_passed) and r.status != "resolved" for r in judged)
    fn = sum(not r.gates_passed and r.status == "resolved" for r in judged)
    return {
        "judged": len(judged),
        "true_positive": tp,
        "false_positive": fp,
        "false_negative": fn,
        "true_negative": len(judged) - tp - fp - fn,
        "precision": round(tp / (tp + fp), 4) if tp + fp else None,
        "recall": round(tp / (tp + fn), 4) if tp + fn else None,
    }


def sample_metrics(results: dict[str, list[InstanceResult]]) -> dict:
    """pass@1..K over instances whose environment built, and the gates as a selector among the candidates."""
    counts: dict[str, tuple[int, int]] = {}
    chosen_resolved: dict[str, bool] = {}
    for iid, rs in results.items():
        known = [r for r in rs if r.status != "env_failed"]
        if not known:
            continue
        counts[iid] = (len(known), sum(r.status == "resolved" for r in known))
        chosen_resolved[iid] = primary(rs).status == "resolved"
    if not counts:
        return {"instances": 0}
    k_max = min(n for n, _ in counts.values())
    solvable = [iid for iid, (_, c) in counts.items() if c]
    by_k = {f"pass@{k}": round(mean_pass_at_k(counts.values(), k), 4) for k in range(1, k_max + 1)}
    return {
        "instances": len(counts),
        **by_k,
        "gates_choice_resolved": round(sum(chosen_resolved.values()) / len(counts), 4),
        "gates_choice_resolved_when_possible": (
            round(sum(chosen_resolved[i] for i in solvable) / len(solvable), 4) if solvable else None
        ),
    }
