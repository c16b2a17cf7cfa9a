"""The report's arithmetic on hand-made results: harness keys, gates against the truth, pass@k, work order."""

from __future__ import annotations

from pathlib import Path

import pytest

from evaluation.dataset import Instance
from evaluation.instance import Task
from evaluation.report import build_report, gates_against_truth, summary_line
from evaluation.run import interleaved
from evaluation.store import InstanceResult


def instance(iid: str, repo: str = "a/b", version: str = "1") -> Instance:
    return Instance(
        instance_id=iid, repo=repo, base_commit="c", problem_statement="", patch="", FAIL_TO_PASS=["t"], version=version
    )


def result(
    iid: str, status: str, gates: bool | None = True, sample: int | None = None, chosen: bool = False
) -> InstanceResult:
    return InstanceResult(instance_id=iid, status=status, gates_passed=gates, sample=sample, chosen=chosen)  # type: ignore[arg-type]


def test_harness_keys_count_each_instance_once_and_keep_env_failures_apart() -> None:
    instances = [instance(i) for i in ("r", "u", "p", "e", "h", "x")]
    results = {
        "r": [result("r", "resolved")],
        "u": [result("u", "unresolved")],
        "p": [result("p", "patch_failed", gates=False)],
        "e": [result("e", "env_failed", gates=None)],
        "h": [InstanceResult(instance_id="h", status="error", reason="none of the FAIL_TO_PASS tests ran")],
    }
    report = build_report(instances, results, submitted=["r", "u", "p", "e", "h", "x"])
    # as in the harness, error_ids holds every instance it could not judge; ours says which kind each is
    assert (report["resolved_ids"], report["unresolved_ids"], report["error_ids"]) == (["r"], ["u"], ["h", "p"])
    assert report["env_failed_ids"] == ["e"] and report["incomplete_ids"] == ["x"]
    assert report["harness_error_ids"] == ["h"] and report["patch_failed_ids"] == ["p"]
    assert report["reasons"] == {"h": "none of the FAIL_TO_PASS tests ran"}
    assert report["completed_instances"] == 2 and report["resolve_rate_of_evaluated"] == 0.5
    assert summary_line(report) == {
        "instances": 6,
        "evaluated": 2,
        "env_failed": 1,
        "error": 1,
        "patch_failed": 1,
        "resolved": 1,
        "resolved_ids": ["r"],
        "evaluated_ids": ["r", "u"],
    }


def test_gates_precision_and_recall_against_resolution() -> None:
    results = [
        result("a", "resolved", True),
        result("b", "resolved", False),
        result("c", "unresolved", True),
        result("d", "unresolved", False),
        result("e", "patch_failed", False),
        result("f", "resolved", True),
        result("g", "env_failed", True),
    ]  # env_failed: the truth is unknown, not judged
    gates = gates_against_truth(results)
    assert (gates["true_positive"], gates["false_positive"], gates["false_negative"], gates["true_negative"]) == (
        2,
        1,
        1,
        2,
    )
    assert gates["precision"] == pytest.approx(2 / 3, abs=1e-4) and gates["recall"] == pytest.approx(2 / 3, abs=1e-4)
    assert gates_against_truth([])["precision"] is None


def test_samples_give_pass_at_k_over_built_instances_and_the_gates_choice() -> None:
    results = {
        "a": [
            result("a", "unresolved", sample=0, chosen=True),
            result("a", "resolved", sample=1),
            result("a", "resolved", sample=2),
        ],
        "b": [result("b", "unresolved", sample=k, chosen=k == 0) for k in range(3)],
        "c": [result("c", "env_failed", sample=k) for k in range(3)],
    }
    samples = build_report([instance(i) for i in "abc"], results, submitted=[])["samples"]
    # a: n=3, c=2 -> pass@1 2/3, pass@2 1; b: nothing resolves
    assert samples["instances"] == 2
    assert samples["pass@1"] == pytest.approx((2 / 3 + 0) / 2, abs=1e-4)
    assert samples["pass@2"] == pytest.approx((1 + 0) / 2) and samples["pass@3"] == pytest.approx(0.5)
    assert samples["gates_choice_resolved"] == 0.0 and samples["gates_choice_resolved_when_possible"] == 0.0


def test_work_alternates_between_environments() -> None:
    specs = [("a/b", "1"), ("a/b", "1"), ("a/b", "2"), ("c/d", "1"), ("a/b", "1")]
    tasks = [
        Task(instance(str(n), repo, version), None, Path("."), Path("."), Path("."))
        for n, (repo, version) in enumerate(specs)
    ]
    assert [t.instance.instance_id for t in interleaved(tasks)] == ["0", "2", "3", "1", "4"]
