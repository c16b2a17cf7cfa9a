"""The fitted fusion model: small gradient-boosted trees over the signals, shipped as data and run with numpy.

Why trees and not a weighted sum: the signals interact (a test file that matches
the issue's words is still a test file; a strong lexical match means more when
nothing is named), and a linear model cannot express that. Leave one repository
out, the trees gain on the fitted linear model at every cut-off
(docs/ranking.md). They are fitted by ``benchmarks/fit_fusion.py`` (LightGBM,
LambdaRank) and stored as plain arrays in ``fusion.json``, so the package needs
no training library and a query walks every tree at once with numpy.

Each file's logit is split over the signals by path attribution: along a
file's path through a tree, the change in the tree's mean output at each split
is credited to the split's signal. The shares sum to the logit, so a file's
reasons can say which signals raised (or lowered) it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

RELATIVE = ("lexical_file", "lexical_chunk", "dense", "learned", "named", "history_similar", "path_terms")
LEAD_CAP = 3.0


def lead(values: np.ndarray) -> np.ndarray:
    """A signal relative to the runner-up file's value, capped at ``LEAD_CAP`` times and scaled to [0, 1].

    Signals are scaled to the best file, which hides whether that file stands
    out or ties with ten others; this column keeps it.
    """
    if len(values) < 2:
        return (values > 0).astype(np.float64)
    second = float(np.partition(values, -2)[-2])
    if second <= 0:
        return (values > 0).astype(np.float64)
    return np.minimum(values / second, LEAD_CAP) / LEAD_CAP


def features(values: np.ndarray, signals: Sequence[str]) -> np.ndarray:
    """The model's inputs: every signal's column, then the lead of each ``RELATIVE`` signal present."""
    leads = [lead(values[:, k]) for k, name in enumerate(signals) if name in RELATIVE]
    return np.column_stack([values.astype(np.float64), *leads]) if leads else values.astype(np.float64)


def feature_signals(signals: Sequence[str]) -> list[int]:
    """For each column of ``features``, the index (in ``signals``) of the signal it derives from."""
    return list(range(len(signals))) + [k for k, name in enumerate(signals) if name in RELATIVE]


@dataclass(frozen=True)
class Trees:
    """An additive ensemble of binary trees, all splits numbered in one array and all leaves after them.

    Node ``j < splits`` is a split; node ``splits + l`` is leaf ``l``, which leads to itself, so every file
    walks the same number of steps and the walk is a few array operations for all files and trees at once.
    """

    signals: tuple[str, ...]  # the signals the model reads, in its column order
    feature: np.ndarray  # (splits,) the ``features`` column each split reads
    threshold: np.ndarray  # (splits,) a file goes left when its value <= threshold
    children: np.ndarray  # (2 x (splits + leaves),) node j's left child at 2j, its right one at 2j + 1
    roots: np.ndarray  # (trees,)
    depth: int  # the longest path from a root to a leaf
    leaf_shares: np.ndarray  # (leaves, signals) each leaf's path attribution, in logit units
    base: float  # the logit no signal earns: scale x the trees' root values, plus the bias

    @classmethod
    def load(cls, path: Path) -> Trees:
        """Read the model written by ``benchmarks/fit_fusion.py --write`` (per tree: child < 0 is leaf ~child)."""
        data = json.loads(path.read_text(encoding="utf-8"))
        signals = tuple(data["signals"])
        owner = feature_signals(signals)
        splits = sum(len(t["feature"]) for t in data["trees"])
        feature: list[int] = []
        threshold: list[float] = []
        left: list[int] = []
        right: list[int] = []
        roots: list[int] = []
        shares: list[np.ndarray] = []
        depth = 0
        for t in data["trees"]:
            first, first_leaf = len(feature), splits + len(shares)
            roots.append(first)
            feature += t["feature"]
            threshold += t["threshold"]
            left += [first + c if c >= 0 else first_leaf + ~c for c in t["left"]]
            right += [first + c if c >= 0 else first_leaf + ~c for c in t["right"]]
            paths = _leaf_paths(t, owner, len(signals))
            shares += [data["scale"] * p for p, _ in paths]
            depth = max(depth, *(d for _, d in paths))
        leaves = np.arange(splits, splits + len(shares))
        base = data["scale"] * sum(t["value"][0] for t in data["trees"]) + data["bias"]
        children = np.stack([np.concatenate([left, leaves]), np.concatenate([right, leaves])], axis=1).ravel()
        return cls(
            signals,
            np.array(feature),
            np.array(threshold),
            children,
            np.array(roots),
            depth,
            np.array(shares),
            float(base),
        )

    def explain(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each file's logit and each signal's share of it (files x ``signals``) for ``values`` (files x signals).

        The shares sum to the logit less ``base``, which no signal earns.
        """
        n, splits = len(values), len(self.feature)
        goes_left = (features(values, self.signals)[:, self.feature] <= self.threshold).ravel()
        node = np.tile(self.roots, (n, 1))
        row = np.arange(n)[:, None] * splits
        for _ in range(self.depth):
            goes_right = ~goes_left[row + np.minimum(node, splits - 1)]  # a leaf reads any test: both ways lead back
            node = self.children[2 * node + goes_right]
        leaf = node - splits
        share = self.leaf_shares[leaf[:, 0]]
        for tree in range(1, leaf.shape[1]):  # each file's leaves summed tree after tree, as a sparse product does
            share += self.leaf_shares[leaf[:, tree]]
        return self.base + share.sum(axis=1), share


def _leaf_paths(tree: dict, owner: list[int], signals: int) -> list[tuple[np.ndarray, int]]:
    """For each leaf of one tree (in leaf order): the change in mean output credited to each signal along its path
    (the leaf's value less the root's), and the path's length."""
    out: dict[int, tuple[np.ndarray, int]] = {}

    def walk(node: int, value: float, share: np.ndarray, depth: int) -> None:
        for child in (tree["left"][node], tree["right"][node]):
            below = tree["value"][child] if child >= 0 else tree["leaf"][~child]
            gained = share.copy()
            gained[owner[tree["feature"][node]]] += below - value
            if child >= 0:
                walk(child, below, gained, depth + 1)
            else:
                out[~child] = (gained, depth + 1)

    walk(0, tree["value"][0], np.zeros(signals), 0)
    return [out[k] for k in range(len(tree["leaf"]))]
