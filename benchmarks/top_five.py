"""What holds the top five where the gold file misses it: kinds of files, and what striking each would give.

    nice python benchmarks/top_five.py --repos /tmp/locate/repos \
        --dataset ../shared/swebench/lite_dev.json --dataset benchmarks/data/mined_commits.jsonl \
        --dataset benchmarks/data/fusion_pairs.jsonl.gz --dense static --work /tmp/patchgate-fit [--folds 4]

The diagnosis that found ``not_code`` (configuration files in the top five of big repositories), as a
script: it reads the signal matrices ``fit_fusion.py`` caches under ``--work``, ranks each instance under
trees fitted on the other folds of repositories (``benchmarks/folds.py``), and sorts every file into one
kind: files the ranking already holds down (``not_code``, ``non_source``, read from the matrix), type stubs
(``.pyi``), package ``__init__.py`` files, and other source. Per pool (the small repositories; the big ones,
the last ``--dataset``) it prints each kind's share of the files, of the gold files, of the top five, and of
the top five where a gold file falls below it, then Acc@1 / @5 / @10 with that kind struck from the ranking.

A struck row is a reference, not a model: it says how much a signal for that kind could give at most, and
why a kind that is never gold here may still be gold elsewhere is for the reader to weigh (the mined fixes
keep only ``.py`` files as gold, so a stub is never gold by construction).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import fit_fusion
from benchmarks.errors import fail
from benchmarks.fit_fusion import FITTED, KS, cache_arguments, cached_pools
from benchmarks.folds import deal, fold_logits, listing

TOP = 5

Kind = Callable[[str, np.ndarray], bool]  # (path, the file's row of the matrix) -> is of the kind
KINDS: dict[str, Kind] = {
    "not code (held down by not_code)": lambda path, x: x[FITTED.index("not_code")] > 0,
    "tests, docs, examples (non_source)": lambda path, x: x[FITTED.index("non_source")] > 0,
    "type stub (.pyi)": lambda path, x: path.endswith(".pyi"),
    "package __init__.py": lambda path, x: path.rsplit("/", 1)[-1] == "__init__.py",
    "other source": lambda path, x: True,
}


def kinds(paths: list[str], X: np.ndarray) -> np.ndarray:
    """Each file's kind, as its index in KINDS: the first that fits."""
    tests = list(KINDS.values())
    return np.array([next(k for k, fits in enumerate(tests) if fits(p, x)) for p, x in zip(paths, X, strict=True)])


def worst_rank(logits: np.ndarray, gold: np.ndarray, struck: np.ndarray) -> int:
    """The rank (from 1) of the lowest gold file once the struck files leave the ranking."""
    order = np.argsort(-np.where(struck, -np.inf, logits), kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(1, len(order) + 1)
    return int(rank[gold].max())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cache_arguments(ap)
    ap.add_argument("--folds", type=int, default=4)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    if not 2 <= args.folds <= 10:
        fail("expected 2-10 --folds")
    rows, data = cached_pools(args.dataset, args.repos, args.work, args.dense)
    fit_fusion.TREES["num_threads"] = args.threads
    fold = deal(Counter(d["repo"] for d in data), args.folds)
    logits = fold_logits(data, fold, args.folds)
    names = list(KINDS)
    files, gold, top, above_miss = (Counter[tuple[str, int]]() for _ in range(4))
    hits: dict[tuple[str, str], list[list[bool]]] = {}
    skipped = 0
    for d in data:
        row = rows[d["id"]]
        listed = listing(row, d, args.repos)
        if listed is None:
            skipped += 1
            continue
        pool = row["dataset"]
        kind = kinds([f.path for f in listed], d["X"])
        lg = logits[d["id"]]
        order = np.argsort(-lg, kind="stable")[:TOP]
        missed = d["n_gold"] > len(d["gold"]) or worst_rank(lg, d["gold"], np.zeros(len(lg), bool)) > TOP
        files.update((pool, int(k)) for k in kind)
        gold.update((pool, int(kind[g])) for g in d["gold"])
        top.update((pool, int(kind[i])) for i in order)
        if missed:
            above_miss.update((pool, int(kind[i])) for i in order if i not in d["gold"])
        for label, struck in [("as ranked", np.zeros(len(lg), bool))] + [
            (f"{name} struck", kind == k) for k, name in enumerate(names)
        ]:
            worst = worst_rank(lg, d["gold"], struck) if d["n_gold"] == len(d["gold"]) else sys.maxsize
            hits.setdefault((pool, label), []).append([worst <= k for k in KS])
    print(
        f"{len(data) - skipped} instances of {len(fold)} repositories in {args.folds} folds ({skipped} left out: listing disagreed)"
    )
    for pool in sorted({p for p, _ in files}, reverse=True):
        shares = [files, gold, top, above_miss]
        totals = [sum(c[(pool, k)] for k in range(len(names))) for c in shares]
        print(
            f"\n{pool}: share of the files / of the gold files / of the top {TOP} / of the top {TOP} above a missed gold"
        )
        print("| kind | files | gold | top five | above a miss |\n| --- | --- | --- | --- | --- |")
        for k, name in enumerate(names):
            cells = [f"{100 * c[(pool, k)] / max(t, 1):.1f} %" for c, t in zip(shares, totals, strict=True)]
            print(f"| {name} | {' | '.join(cells)} |")
        print(f"\n| {pool}: ranking | Acc@1 / @5 / @10 |\n| --- | --- |")
        for label in ["as ranked"] + [f"{name} struck" for name in names[:-1]]:
            acc = np.mean(hits[(pool, label)], axis=0)
            print(f"| {label} | {' / '.join(f'{a:.3f}' for a in acc)} |")


if __name__ == "__main__":
    main()
