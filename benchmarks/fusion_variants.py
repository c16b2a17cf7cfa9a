"""Measure other inputs for the fusion trees, leave one repository out, before any of them ships.

    nice python benchmarks/fusion_variants.py --repos /tmp/locate/repos \
        --dataset ../shared/swebench/lite_dev.json --dataset benchmarks/data/mined_commits.jsonl \
        --dataset benchmarks/data/fusion_pairs.jsonl.gz --dense static --work /tmp/patchgate-fit \
        [--variant shipped --variant ranks ...] [--monotone] [--param KEY=VALUE] [--fit-on big] [--big-share 0.5] [--threads 2]

It reads the signal matrices ``fit_fusion.py`` caches under ``--work`` (run that first: computing them
indexes every instance at its base) and, for each variant, fits the same trees (``fit_fusion.TREES``)
on every repository but one and ranks the held-out one's instances. It prints Acc@1 / @5 / @10 pooled
over the small repositories (the dev split and the mined commits) and over the big ones (the last
``--dataset``), each also over the instances whose fix changes one file, as every SWE-bench Lite
instance does. ``--fit-on small`` or ``big`` fits on that pool's repositories only (the held-out one
still ranked), to ask whether the two kinds of data teach the trees different things; ``--big-share``
fits on that share of the big pool's instances, to ask whether more of them would help. A variant ships by moving its columns into ``retrieval.fusion.features`` and refitting
with ``fit_fusion.py --write``; this script is where the figures that decided it come from.

The variants are functions of one instance's signal matrix, so they cost the same at query time as
they do here: a sort of each query signal over the repository's files.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
from scipy.stats import rankdata

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import fit_fusion
from benchmarks.errors import fail
from benchmarks.fit_fusion import KS, Featurize, Fitter, Scorer, cache_arguments, cached_pools, leave_one_repo_out
from retrieval.fusion import RELATIVE, features

TOP = 5  # "among the first five" for the agreement count
PRIOR_DOWN = ("non_source", "not_code")  # under ``--monotone``, more of these never raises a file
UNSIGNED = ("size",)  # a prior with no sign to impose: big modules take more fixes, and hold more tests too


Extra = Callable[[np.ndarray], list[np.ndarray]]  # the query signals' ranks (files x signals) -> more columns


def _ranks(values: np.ndarray, names: list[str]) -> np.ndarray:
    """Each query signal's rank of every file (1 = best, ties share the best rank; 0 where the signal is 0)."""
    cols = [k for k, name in enumerate(names) if name in RELATIVE]
    return np.column_stack([np.where(values[:, k] > 0, rankdata(-values[:, k], method="min"), 0) for k in cols])


def rank_decay(ranks: np.ndarray) -> list[np.ndarray]:
    """Per query signal, 1 / log2(1 + the file's rank): where the file stands, not how high its value is."""
    return [np.where(r > 0, 1 / np.log2(1 + np.maximum(r, 1)), 0.0) for r in ranks.T]


def agreement(ranks: np.ndarray) -> list[np.ndarray]:
    """How many query signals put the file first, and among the first ``TOP``."""
    return [(ranks == 1).sum(axis=1), ((ranks >= 1) & (ranks <= TOP)).sum(axis=1)]


def with_extras(*extras: Extra) -> Featurize:
    """The shipped inputs and the ``extras``' columns, the ranks computed once for all of them."""

    def featurize(values: np.ndarray, names: list[str]) -> np.ndarray:
        ranks = _ranks(values, names)
        return np.column_stack([features(values, names), *(col for extra in extras for col in extra(ranks))])

    return featurize


VARIANTS: dict[str, Featurize] = {
    "shipped": features,
    "ranks": with_extras(rank_decay),
    "agreement": with_extras(agreement),
    "ranks+agreement": with_extras(rank_decay, agreement),
}


def monotone(names: list[str]) -> list[int]:
    """LightGBM's ``monotone_constraints`` for the shipped inputs: more evidence never lowers a file.

    The trees are fitted on commit messages and judged on bug reports, whose evidence mixes differently
    (stack frames, quoted messages); a split that lowers a file for matching the issue better fits the
    training mix, not the task.
    """
    sign = [0 if n in UNSIGNED else -1 if n in PRIOR_DOWN else 1 for n in names]
    return sign + [1 for n in names if n in RELATIVE]


def _number_or_text(text: str) -> int | float | str:
    """A ``--param`` value as LightGBM takes it."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _fit_on(pool: str, big_share: float, fit: Fitter, train: list[dict], keep: list[int]) -> Scorer:
    """``fit`` on the training instances of one pool (``"all"``: every one), and ``big_share`` of the big ones.

    A big instance is kept by a draw seeded with its id, so every fold keeps the same instances.
    """
    return fit(
        [
            d
            for d in train
            if pool in ("all", d["dataset"]) and (d["dataset"] != "big" or random.Random(d["id"]).random() < big_share)
        ],
        keep,
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    cache_arguments(ap)
    ap.add_argument("--variant", action="append", choices=sorted(VARIANTS), help="default: all")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--monotone", action="store_true", help="constrain the trees: more evidence never lowers a file")
    ap.add_argument(
        "--param", action="append", default=[], help="KEY=VALUE over fit_fusion.TREES, e.g. objective=rank_xendcg"
    )
    ap.add_argument("--fit-on", choices=["all", "small", "big"], default="all", help="the pool the trees learn from")
    ap.add_argument("--big-share", type=float, default=1.0, help="the share of the big pool's instances fitted on")
    args = ap.parse_args()
    if not 0 < args.big_share <= 1:
        fail(f"--big-share {args.big_share}: expected a share above 0 and at most 1")
    _, data = cached_pools(args.dataset, args.repos, args.work, args.dense)
    fit_fusion.TREES["num_threads"] = args.threads
    for param in args.param:
        key, _, value = param.partition("=")
        if key not in fit_fusion.TREES or not value:
            fail(f"--param {param}: expected KEY=VALUE with KEY one of {', '.join(fit_fusion.TREES)}")
        fit_fusion.TREES[key] = _number_or_text(value)
    if args.monotone:
        fit_fusion.TREES["monotone_constraints"] = monotone(fit_fusion.FITTED)
    changed = ", ".join(args.param + ["monotone"] * args.monotone) or "as shipped"
    if args.fit_on != "all":
        changed += f", fitted on the {args.fit_on} repositories only"
    if args.big_share < 1:
        changed += f", {args.big_share:.0%} of the big ones' instances"
    print(f"{len(data)} instances of {len({d['repo'] for d in data})} repositories, each held out; trees {changed}")
    print("| inputs | small | small, one file | big | big, one file | minutes |\n| --- | --- | --- | --- | --- | --- |")
    for name in args.variant or list(VARIANTS):
        started = time.perf_counter()
        fit = partial(fit_fusion.tree_scorer, featurize=VARIANTS[name])
        acc = leave_one_repo_out(
            data, list(range(len(fit_fusion.FITTED))), None, partial(_fit_on, args.fit_on, args.big_share, fit)
        )
        cells = [
            " / ".join(f"{acc[pool][k]:.3f}" for k in KS)
            for pool in ("pooled (small)", "pooled (small, one file)", "pooled (big)", "pooled (big, one file)")
        ]
        print(f"| {name} | {' | '.join(cells)} | {(time.perf_counter() - started) / 60:.1f} |", flush=True)


if __name__ == "__main__":
    main()
