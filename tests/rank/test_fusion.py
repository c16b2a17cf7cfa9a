"""The fitted trees as the ranking uses them: scores follow the evidence, and each reason's share says why."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from retrieval.fusion import Trees, features, lead
from retrieval.rank import fuse
from retrieval.signals import SIGNALS

# Two stumps over (named, non_source): a named file gains 1.0, a test file loses 2.0; 0.5 of each tree is constant.
TINY = {
    "signals": ["named", "non_source"],
    "scale": 2.0,
    "bias": -1.0,
    "trees": [
        {"feature": [0], "threshold": [0.5], "left": [-1], "right": [-2], "value": [0.5], "leaf": [0.0, 1.0]},
        {"feature": [1], "threshold": [0.5], "left": [-1], "right": [-2], "value": [0.5], "leaf": [1.0, -1.0]},
    ],
}


def tiny(tmp_path: Path) -> Trees:
    path = tmp_path / "model.json"
    path.write_text(json.dumps(TINY))
    return Trees.load(path)


def test_each_split_credits_its_signal_and_the_shares_add_up_to_the_logit(tmp_path: Path) -> None:
    trees = tiny(tmp_path)
    values = np.array([[1.0, 0.0], [0.0, 0.0], [1.0, 1.0]])  # named source, plain source, named test
    logit, share = trees.explain(values)
    assert np.allclose(logit, 2.0 * np.array([2.0, 1.0, 0.0]) - 1.0)
    assert np.allclose(share[0], [1.0, 1.0]) and np.allclose(share[1], [-1.0, 1.0])
    assert share[2, 1] == -3.0  # being a test held the file down
    assert np.allclose(logit - share.sum(axis=1), trees.base)


def test_lead_tells_a_file_that_stands_out_from_one_tied_with_the_runner_up() -> None:
    alone = lead(np.array([1.0, 0.2, 0.1]))
    tied = lead(np.array([1.0, 1.0, 0.1]))
    assert alone[0] == 1.0 and tied[0] == 1 / 3
    assert lead(np.array([0.7, 0.0, 0.0])).tolist() == [1.0, 0.0, 0.0]  # no runner-up: the file that has it
    assert features(np.zeros((3, 2)), ["named", "size"]).shape == (3, 3)  # size has no lead column


def test_the_shipped_model_puts_named_matching_source_above_a_test_with_the_same_evidence() -> None:
    values = np.zeros((3, len(SIGNALS)), dtype=np.float32)
    for signal in ("named", "lexical_file", "lexical_chunk", "dense"):
        values[:2, SIGNALS.index(signal)] = 1.0
    values[1, SIGNALS.index("non_source")] = 1.0
    score, share = fuse(values)
    assert score[0] > score[1] > 0.0 and score[0] > 0.5
    assert share[1, SIGNALS.index("non_source")] < 0
    assert abs(score[2] - 1 / (1 + np.exp(2.0))) < 1e-6  # a file with no evidence: the documented floor, 0.12
