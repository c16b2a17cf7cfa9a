"""Repository folds over the cached signal matrices, for experiments too slow to hold out one repository at a time.

``fit_fusion.leave_one_repo_out`` refits the trees once per repository (28 fits); an experiment that also
trains something per fold, or reads every instance's files, deals the repositories into a few folds instead
and ranks each fold under trees fitted on the others. Both hold whole repositories out, never one split.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

from benchmarks.fit_fusion import FITTED, tree_scorer
from retrieval.evaluate import row_gold
from retrieval.source import SourceFile, commit_files


def deal(counts: Counter[str], folds: int) -> dict[str, int]:
    """Each repository's fold: the biggest first, each into the fold with the fewest instances so far."""
    load = [0] * folds
    fold = {}
    for repo, n in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        fold[repo] = int(np.argmin(load))
        load[fold[repo]] += n
    return fold


def fold_logits(data: list[dict], fold: dict[str, int], folds: int) -> dict[str, np.ndarray]:
    """Every instance's file logits under trees fitted on the other folds."""
    logits = {}
    for f in range(folds):
        score = tree_scorer([d for d in data if fold[d["repo"]] != f], list(range(len(FITTED))))
        logits.update({d["id"]: score(d["X"]) for d in data if fold[d["repo"]] == f})
    return logits


def listing(row: dict, d: dict, repos: Path) -> list[SourceFile] | None:
    """The files behind an instance's cached matrix, one per row, or None where they disagree with it.

    The matrix has one row per file of the index, in path order, and ``commit_files`` is the listing the index
    is built from; a listing of another length, or whose gold rows are not the gold paths, is not that matrix.
    """
    files = sorted(commit_files(repos / row["repo"].replace("/", "__"), row["base_commit"]), key=lambda f: f.path)
    gold_paths = set(row_gold(row))
    if len(files) != len(d["X"]) or any(files[g].path not in gold_paths for g in d["gold"]):
        return None
    return files
