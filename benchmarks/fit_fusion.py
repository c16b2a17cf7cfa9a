"""Fit the fusion weights (retrieval/fusion.json) and measure them leave-one-repository-out, with an ablation.

    nice python benchmarks/fit_fusion.py --repos /tmp/locate/repos \
        --dataset ../shared/swebench/lite_dev.json --dataset benchmarks/data/mined_commits.jsonl \
        [--dense static] [--work /tmp/patchgate-fit] [--write]

1. Every instance is indexed at its base commit and its signal matrix (files x
   signals, retrieval.signals) is cached under ``--work``: fitting and the
   ablation then cost seconds, not a re-index.
2. The model is listwise logistic: a softmax over the repository's files of
   ``signals @ w``, trained to put probability on the gold files, with an L2
   penalty. It is fitted by L-BFGS (scipy).
3. Leave-one-repository-out: for each repository, fit on all the others and
   rank that repository's instances; Acc@1/5/10 are pooled over the held-out
   predictions. This is the number to trust (the dev split alone is 22 issues).
4. Ablation: the same, with one signal's column removed at a time.
5. ``--write`` fits on every instance and stores the weights in the package.

No repository the project holds out for evaluation may appear in the data;
the script refuses them (see benchmarks/mine_commits.py).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.mine_commits import HELD_OUT
from patchgate.retrieval.embeddings import EmbeddingConfig
from patchgate.retrieval.evaluate import EvalReport, gold_functions, instance_index, load_dataset, row_gold
from patchgate.retrieval.rank import FUNCTION_FEATURES, FUNCTION_FILES, WEIGHTS_FILE, function_features, rank
from patchgate.retrieval.signals import SIGNALS, compute

FITTED = [s for s in SIGNALS if s != "locality"]  # locality has no training data (no "current file" in issues)
L2 = 0.01
POOL = 200  # files per instance in the loss
KS = (1, 5, 10)


def dump(rows: list[dict], repos: Path, work: Path, dense: str, cached_only: bool = False) -> list[dict]:
    """Signal matrices of every instance (cached per instance id; ``cached_only``: skip the uncached)."""
    out = []
    cache = work / f"signals-{dense}"
    cache.mkdir(parents=True, exist_ok=True)
    report = EvalReport([], [])
    started = time.perf_counter()
    for n, row in enumerate(sorted(rows, key=lambda r: (r["repo"], r.get("created_at", ""), r["instance_id"]))):
        if row["repo"].split("/")[-1].lower() in HELD_OUT:
            sys.exit(f"error: {row['repo']} is held out and must not be trained on")
        path = cache / f"{row['instance_id']}.npz"
        if not path.exists() and cached_only:
            continue
        if not path.exists():
            index = instance_index(row, repos, work / dense, EmbeddingConfig(dense=dense), report)
            if index is None:
                continue
            sig = compute(index, row["problem_statement"])
            gold = [sig.files.index(g) for g in row_gold(row) if g in sig.files]
            np.savez(path, values=sig.values, gold=np.array(gold, dtype=np.int64), signals=np.array(SIGNALS))
        data = np.load(path)
        if len(data["gold"]) == 0:
            continue
        cols = [list(data["signals"]).index(s) for s in FITTED]
        X = data["values"][:, cols].astype(np.float64)
        pool = _pool(X, data["gold"])
        out.append({"id": row["instance_id"], "repo": row["repo"], "X": X, "gold": data["gold"],
                    "n_gold": len(row_gold(row)), "Xs": X[pool], "gold_s": np.searchsorted(pool, data["gold"])})
        if n % 25 == 0:
            print(f"  {n + 1}/{len(rows)} instances, {time.perf_counter() - started:.0f}s", file=sys.stderr)
    for iid, why in report.skipped:
        print(f"  skipped {iid}: {why}", file=sys.stderr)
    return out


def dump_functions(rows: list[dict], repos: Path, work: Path, dense: str) -> list[dict]:
    """Function features of every instance's candidate definitions (those of its top files), cached per instance.

    The candidates come from the shipped file ranking, as at query time; an instance whose gold functions
    are not all among them still counts (as a miss), like ``eval localize`` counts it.
    """
    out = []
    cache = work / f"functions-{dense}"
    cache.mkdir(parents=True, exist_ok=True)
    report = EvalReport([], [])
    for row in sorted(rows, key=lambda r: (r["repo"], r.get("created_at", ""), r["instance_id"])):
        if row["repo"].split("/")[-1].lower() in HELD_OUT:
            sys.exit(f"error: {row['repo']} is held out and must not be trained on")
        path = cache / f"{row['instance_id']}.npz"
        if not path.exists():
            index = instance_index(row, repos, work / dense, EmbeddingConfig(dense=dense), report)
            if index is None:
                continue
            ranking = rank(index, row["problem_statement"])
            chunks, features = function_features(index, compute(index, row["problem_statement"]),
                                                 ranking.files[:FUNCTION_FILES])
            gold = gold_functions(index, row_gold(row))
            where = {c.id: i for i, c in enumerate(chunks)}
            np.savez(path, values=features, gold=np.array([where[c.id] for c in gold if c.id in where], dtype=np.int64),
                     n_gold=len(gold), features=np.array(FUNCTION_FEATURES))
        data = np.load(path)
        if int(data["n_gold"]) == 0:
            continue  # the change touched no definition: file level only
        cols = [list(data["features"]).index(f) for f in FUNCTION_FEATURES]
        X = data["values"][:, cols].astype(np.float64)
        out.append({"id": row["instance_id"], "repo": row["repo"], "X": X, "gold": data["gold"],
                    "n_gold": int(data["n_gold"]), "Xs": X, "gold_s": data["gold"]})
    return out


def _pool(X: np.ndarray, gold: np.ndarray) -> np.ndarray:
    """The files the loss looks at: the best POOL by any query signal, plus the gold (sorted row numbers).

    The softmax over the other files is negligible and costs most of the time; Acc@k is still measured over
    every file of the repository.
    """
    query = [FITTED.index(s) for s in ("lexical_file", "lexical_chunk", "dense", "named", "history_similar",
                                       "path_terms")]
    best = np.argsort(-X[:, query].max(axis=1), kind="stable")[:POOL]
    return np.union1d(best, gold)


def fit(data: list[dict], keep: list[int], l2: float = L2) -> np.ndarray:
    """Weights maximising the mean log-probability of the gold files under a softmax over each repository's files.

    An instance none of whose gold is among the candidates has nothing to learn from (it still counts as a
    miss when measured).
    """
    data = [d for d in data if len(d["gold_s"])]

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        total, grad = l2 * float(w @ w), 2 * l2 * w
        for d in data:
            X = d["Xs"][:, keep]
            s = X @ w
            s -= s.max()
            p = np.exp(s)
            p /= p.sum()
            g = d["gold_s"]
            total -= float(np.mean(np.log(p[g] + 1e-12))) / len(data)
            grad -= (X[g].mean(axis=0) - p @ X) / len(data)
        return total, grad

    return minimize(loss, np.zeros(len(keep)), jac=True, method="L-BFGS-B").x


def hits(d: dict, w: np.ndarray, keep: list[int]) -> dict[int, bool]:
    """Whether every gold file ranks within k (a gold file missing from the index is a miss)."""
    s = d["X"][:, keep] @ w
    order = np.argsort(-s, kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(1, len(order) + 1)
    worst = rank[d["gold"]].max() if len(d["gold"]) == d["n_gold"] else 10**9
    return {k: bool(worst <= k) for k in KS}


def leave_one_repo_out(data: list[dict], keep: list[int], only: set[str] | None = None) -> dict[str, dict[int, float]]:
    """Acc@k of each repository's instances under weights fitted on the other repositories, and pooled.

    ``only``: pool just these repositories' instances (the dev split) as "pooled (only)".
    """
    by_repo: dict[str, list[dict]] = defaultdict(list)
    for d in data:
        by_repo[d["repo"]].append(d)
    out: dict[str, dict[int, float]] = {}
    pooled: dict[int, list[bool]] = defaultdict(list)
    subset: dict[int, list[bool]] = defaultdict(list)
    for repo, held in by_repo.items():
        w = fit([d for d in data if d["repo"] != repo], keep)
        got = [hits(d, w, keep) for d in held]
        out[repo] = {k: float(np.mean([g[k] for g in got])) for k in KS}
        for g in got:
            for k in KS:
                pooled[k].append(g[k])
                if only and repo in only:
                    subset[k].append(g[k])
    out["pooled"] = {k: float(np.mean(v)) for k, v in pooled.items()}
    if subset:
        out["pooled (only)"] = {k: float(np.mean(v)) for k, v in subset.items()}
    return out


def fmt(acc: dict[int, float]) -> str:
    return " / ".join(f"{acc[k]:.2f}" for k in KS)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repos", type=Path, required=True)
    ap.add_argument("--dataset", type=Path, action="append", required=True)
    ap.add_argument("--dense", default="none")
    ap.add_argument("--work", type=Path, default=Path("/tmp/patchgate-fit"))
    ap.add_argument("--write", action="store_true", help="store weights fitted on every instance in the package")
    ap.add_argument("--ablation", action="store_true")
    ap.add_argument("--cached-only", action="store_true", help="use only instances whose signals are cached")
    ap.add_argument("--functions", action="store_true", help="fit the function-level weights instead")
    args = ap.parse_args()
    rows = [r for path in args.dataset for r in load_dataset(path)]
    if args.functions:
        fit_functions(rows, args)
        return
    data = dump(rows, args.repos, args.work, args.dense, args.cached_only)
    dev = {r["repo"] for r in load_dataset(args.dataset[0])}
    print(f"{len(data)} instances from {len({d['repo'] for d in data})} repositories; dense={args.dense}")
    everything = list(range(len(FITTED)))
    base = leave_one_repo_out(data, everything, dev)
    print("leave-one-repository-out Acc@1 / @5 / @10 ('pooled (only)': the dev split's repositories):")
    for repo, acc in sorted(base.items()):
        print(f"  {repo:40s} {fmt(acc)}")
    if args.ablation:
        print("\n| signal removed | all, Acc@1 / @5 / @10 | dev split, Acc@1 / @5 / @10 |\n| --- | --- | --- |")
        print(f"| (none) | {fmt(base['pooled'])} | {fmt(base['pooled (only)'])} |")
        for k, name in enumerate(FITTED):
            acc = leave_one_repo_out(data, [j for j in everything if j != k], dev)
            print(f"| {name} | {fmt(acc['pooled'])} | {fmt(acc['pooled (only)'])} |")
    if args.write:
        w = fit(data, everything)
        _store({"signals": FITTED, "weights": [round(float(x), 4) for x in w], "bias": 0.0,
                "fitted_on": sorted({d["repo"] for d in data}), "instances": len(data), "dense": args.dense, "l2": L2})
        print("weights:", ", ".join(f"{n} {x:+.2f}" for n, x in zip(FITTED, w, strict=True)))


def fit_functions(rows: list[dict], args: argparse.Namespace) -> None:
    """Leave-one-repository-out function-level Acc@k of fitted function weights; ``--write`` stores them."""
    data = dump_functions(rows, args.repos, args.work, args.dense)
    dev = {r["repo"] for r in load_dataset(args.dataset[0])}
    everything = list(range(len(FUNCTION_FEATURES)))
    print(f"{len(data)} instances with gold functions from {len({d['repo'] for d in data})} repositories")
    print("function level, leave-one-repository-out Acc@1 / @5 / @10 ('pooled (only)': the dev split's):")
    for repo, acc in sorted(leave_one_repo_out(data, everything, dev).items()):
        print(f"  {repo:40s} {fmt(acc)}")
    if args.write:
        w = fit(data, everything)
        _store({"functions": {"features": list(FUNCTION_FEATURES), "weights": [round(float(x), 4) for x in w],
                              "instances": len(data), "l2": L2}})
        print("weights:", ", ".join(f"{n} {x:+.2f}" for n, x in zip(FUNCTION_FEATURES, w, strict=True)))


def _store(fields: dict) -> None:
    """Update ``fields`` of the shipped weights file, keeping the others (file and function weights share it)."""
    data = json.loads(WEIGHTS_FILE.read_text(encoding="utf-8")) if WEIGHTS_FILE.exists() else {}
    WEIGHTS_FILE.write_text(json.dumps({**data, **fields}, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
