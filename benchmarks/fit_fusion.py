"""Fit the fusion model (retrieval/fusion.json) and measure it leave-one-repository-out, with an ablation.

    pip install -e ".[fit]"   # LightGBM: needed here only, never by the package
    nice python benchmarks/fit_fusion.py --repos /tmp/locate/repos \
        --dataset ../shared/swebench/lite_dev.json --dataset benchmarks/data/mined_commits.jsonl \
        --dataset benchmarks/data/fusion_pairs.jsonl.gz \
        [--dense static] [--work /tmp/patchgate-fit] [--ablation] [--write]

1. Every instance is indexed at its base commit and its signal matrix (files x
   signals, retrieval.signals) is cached under ``--work``: fitting and the
   ablation then cost seconds, not a re-index.
2. The model is small gradient-boosted trees (LightGBM LambdaRank, the gold
   files as the relevant ones, each issue a query) over the signals and the
   lead of the query signals over the runner-up file (retrieval.fusion). The
   listwise logistic model it replaced (a softmax over the repository's files
   of ``signals @ w``, L2 0.01, L-BFGS) is measured alongside as the baseline.
3. Leave-one-repository-out: for each repository, fit on all the others and
   rank that repository's instances; Acc@1/5/10 are pooled over the held-out
   predictions. This is the number to trust (the dev split alone is 22 issues).
4. Ablation: the same, with one signal's columns removed at a time.
5. ``--write`` fits on every instance and stores the trees in the package as
   plain arrays, checking that numpy's evaluation matches LightGBM's.
6. ``--functions``: the function level instead. Each instance's candidate
   definitions (those of its top files under the shipped file model) and their
   features (``rank.function_features``) are cached; a listwise logistic model
   over them is measured leave-one-repository-out against the hand-set rule it
   replaced, and ``--write`` stores its weights in the same file.

No repository the project holds out for evaluation may appear in the data;
the script refuses them (see benchmarks/mine_commits.py).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import lightgbm as lgb
import numpy as np
from scipy.optimize import minimize, minimize_scalar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.errors import fail
from benchmarks.mine_commits import refuse_held_out
from benchmarks.mine_pairs import TRAINING_REPOS
from retrieval.embeddings import EmbeddingConfig
from retrieval.evaluate import EvalReport, gold_functions, instance_index, load_dataset, row_gold
from retrieval.fusion import RELATIVE, Trees, feature_signals, features
from retrieval.rank import FUNCTION_FEATURES, FUNCTION_FILES, WEIGHTS_FILE, function_features, rank, trees_file
from retrieval.signals import SIGNALS, compute

FITTED = [s for s in SIGNALS if s != "locality"]  # locality has no training data (no "current file" in issues)
L2 = 0.01  # the linear baseline's penalty
POOL = 200  # files per instance in the loss
KS = (1, 5, 10)
NO_EVIDENCE_LOGIT = -2.0  # a source file with no signal at all scores sigmoid(-2), as under the linear model
TREES = {  # chosen on the pooled leave-one-repository-out figures of a small grid (docs/ranking.md)
    "objective": "lambdarank",
    "num_leaves": 7,
    "learning_rate": 0.05,
    "min_data_in_leaf": 20,
    "lambdarank_truncation_level": 20,
    "num_threads": 1,
    "seed": 0,
    "deterministic": True,
    "verbose": -1,
}
ROUNDS = 100
GROUPS = {  # removed together in the ablation
    "history (similar, fixes, recent, cochange)": ("history_similar", "history_fixes", "history_recent", "cochange"),
    "lexical (file, rank, chunk)": ("lexical_file", "lexical_rank", "lexical_chunk"),
    "names (named, unique_code, test_target, import_graph)": ("named", "unique_code", "test_target", "import_graph"),
    "file priors (path_terms, size)": ("path_terms", "size"),
}

Scorer = Callable[[np.ndarray], np.ndarray]
Fitter = Callable[[list[dict], list[int]], Scorer]  # fits on instances' chosen signal columns
Featurize = Callable[[np.ndarray, list[str]], np.ndarray]  # a signal matrix and its names -> the model's inputs


def dump(rows: list[dict], repos: Path, work: Path, dense: str, cached_only: bool = False) -> list[dict]:
    """Signal matrices of every instance (cached per instance id; ``cached_only``: skip the uncached)."""
    out = []
    cache = work / f"signals-{dense}"
    cache.mkdir(parents=True, exist_ok=True)
    report = EvalReport([], [])
    started = time.perf_counter()
    for n, row in enumerate(sorted(rows, key=lambda r: (r["repo"], r.get("created_at", ""), r["instance_id"]))):
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
        cols = cached_columns(list(data["signals"]), path)
        X = data["values"][:, cols].astype(np.float64)
        pool = _pool(X, data["gold"])
        out.append(
            {
                "id": row["instance_id"],
                "repo": row["repo"],
                "dataset": row.get("dataset"),
                "X": X,
                "gold": data["gold"],
                "n_gold": len(row_gold(row)),
                "pool": pool,
                "gold_s": np.searchsorted(pool, data["gold"]),
            }
        )
        if n % 25 == 0:
            print(f"  {n + 1}/{len(rows)} instances, {time.perf_counter() - started:.0f}s", file=sys.stderr)
    for iid, why in report.skipped:
        print(f"  skipped {iid}: {why}", file=sys.stderr)
    return out


def sample(rows: list[dict], unseen: bool, newest: int | None) -> list[dict]:
    """The instances to fit on. ``unseen``: none of a repository the tuned encoder's adapter was trained on (its
    signal would be in-sample there, and the trees would trust it too much; a fit of another encoder on the same
    instances compares with it). ``newest``: only each repository's newest instances (nearby commits share most
    chunks, so their indexes cost little more than one)."""
    if unseen:
        trained = set(TRAINING_REPOS)
        if dropped := sorted({r["repo"] for r in rows} & trained):
            print(f"leaving out {', '.join(dropped)}: the tuned encoder was trained on them", file=sys.stderr)
        rows = [r for r in rows if r["repo"] not in trained]
    if newest is None:
        return rows
    by_repo: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_repo[r["repo"]].append(r)
    return [r for group in by_repo.values() for r in sorted(group, key=lambda r: r.get("created_at", ""))[-newest:]]


def cache_arguments(ap: argparse.ArgumentParser) -> None:
    """The arguments of every experiment over the cached matrices, as ``cached_pools`` reads them."""
    ap.add_argument("--repos", type=Path, required=True)
    ap.add_argument(
        "--dataset",
        type=Path,
        action="append",
        required=True,
        help="repeatable; the last is reported apart as the big repositories",
    )
    ap.add_argument("--dense", default="static")
    ap.add_argument("--work", type=Path, default=Path("/tmp/patchgate-fit"))


def cached_pools(datasets: list[Path], repos: Path, work: Path, dense: str) -> tuple[dict[str, dict], list[dict]]:
    """The instances of ``datasets`` by id and their cached signal matrices, for experiments over the cache.

    The last dataset's instances are marked ``"big"`` and the rest ``"small"``: the experiments report the big
    repositories apart, since they are the size of those we are measured on. Held-out repositories are
    refused, and an empty cache stops the run: an experiment never builds indexes, ``fit_fusion.py`` does.
    """
    big = datasets[-1].name
    rows = {
        r["instance_id"]: {**r, "dataset": "big" if path.name == big else "small"}
        for path in datasets
        for r in load_dataset(path)
    }
    refuse_held_out((r["repo"] for r in rows.values()), "trained on")
    data = dump(list(rows.values()), repos, work, dense, cached_only=True)
    if not data:
        fail(f"no cached signal matrices under {work}; run benchmarks/fit_fusion.py first")
    return rows, data


def cached_columns(names: list[str], path: Path) -> list[int]:
    """Where each fitted signal is in a cached matrix; a cache from before a signal existed stops the run."""
    missing = [s for s in FITTED if s not in names]
    if missing:
        fail(f"{path} was cached before the signal {missing[0]} existed; delete {path.parent} and run again")
    return [names.index(s) for s in FITTED]


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
        path = cache / f"{row['instance_id']}.npz"
        if not path.exists():
            index = instance_index(row, repos, work / dense, EmbeddingConfig(dense=dense), report)
            if index is None:
                continue
            ranking = rank(index, row["problem_statement"])
            chunks, values = function_features(
                index, compute(index, row["problem_statement"]), ranking.files[:FUNCTION_FILES]
            )
            gold = gold_functions(index, row_gold(row))
            where = {c.id: i for i, c in enumerate(chunks)}
            np.savez(
                path,
                values=values,
                gold=np.array([where[c.id] for c in gold if c.id in where], dtype=np.int64),
                n_gold=len(gold),
                features=np.array(FUNCTION_FEATURES),
            )
        data = np.load(path)
        if int(data["n_gold"]) == 0:
            continue  # the change touched no definition: file level only
        cols = [list(data["features"]).index(f) for f in FUNCTION_FEATURES]
        X = data["values"][:, cols].astype(np.float64)
        out.append(
            {
                "id": row["instance_id"],
                "repo": row["repo"],
                "X": X,
                "gold": data["gold"],
                "n_gold": int(data["n_gold"]),
                "pool": np.arange(len(X)),
                "gold_s": data["gold"],
            }
        )
    return out


def _pool(X: np.ndarray, gold: np.ndarray) -> np.ndarray:
    """The files the loss looks at: the best POOL by any query signal, plus the gold (sorted row numbers).

    The other files hardly affect the loss and cost most of the time; Acc@k is
    still measured over every file of the repository.
    """
    query = [FITTED.index(s) for s in RELATIVE]  # the query signals, whose leads the trees read too
    best = np.argsort(-X[:, query].max(axis=1), kind="stable")[:POOL]
    return np.union1d(best, gold)


def fit_linear(data: list[dict], keep: list[int]) -> Scorer:
    """The baseline: a linear scorer fitted by ``linear_weights``."""
    w = linear_weights(data, keep)
    return lambda X: X[:, keep] @ w


def linear_weights(data: list[dict], keep: list[int]) -> np.ndarray:
    """Weights maximising the mean log-probability of the gold under a softmax over each instance's candidates.

    An instance none of whose gold is among the candidates has nothing to learn from (it still counts as a
    miss when measured).
    """
    data = [d for d in data if len(d["gold_s"])]

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        total, grad = L2 * float(w @ w), 2 * L2 * w
        for d in data:
            X = d["X"][d["pool"]][:, keep]
            s = X @ w
            s -= s.max()
            p = np.exp(s)
            p /= p.sum()
            g = d["gold_s"]
            total -= float(np.mean(np.log(p[g] + 1e-12))) / len(data)
            grad -= (X[g].mean(axis=0) - p @ X) / len(data)
        return total, grad

    return minimize(loss, np.zeros(len(keep)), jac=True, method="L-BFGS-B").x


def fit_trees(data: list[dict], keep: list[int], featurize: Featurize = features) -> lgb.Booster:
    """LambdaRank trees over the kept signals and their leads, one query per instance (its pool of files).

    ``featurize``: the model's inputs (``benchmarks/fusion_variants.py`` measures others than the shipped ones).
    """
    names = [FITTED[k] for k in keep]
    rows, labels, groups = [], [], []
    for d in data:
        rows.append(featurize(d["X"][:, keep], names)[d["pool"]])  # over all files, as at query time
        y = np.zeros(len(d["pool"]))
        y[d["gold_s"]] = 1.0
        labels.append(y)
        groups.append(len(d["pool"]))
    return lgb.train(TREES, lgb.Dataset(np.vstack(rows), np.concatenate(labels), group=groups), ROUNDS)


def tree_scorer(data: list[dict], keep: list[int], featurize: Featurize = features) -> Scorer:
    booster = fit_trees(data, keep, featurize)
    names = [FITTED[k] for k in keep]
    return lambda X: np.asarray(booster.predict(featurize(X[:, keep], names)))


def hits(d: dict, score: Scorer) -> dict[int, bool]:
    """Whether every gold file ranks within k (a gold file missing from the index is a miss)."""
    s = score(d["X"])
    order = np.argsort(-s, kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(1, len(order) + 1)
    worst = rank[d["gold"]].max() if len(d["gold"]) == d["n_gold"] else 10**9
    return {k: bool(worst <= k) for k in KS}


def leave_one_repo_out(
    data: list[dict],
    keep: list[int],
    only: set[str] | None = None,
    fitter: Fitter = tree_scorer,
) -> dict[str, dict[int, float]]:
    """Acc@k of each repository's instances under a model fitted on the other repositories, and pooled.

    ``only``: pool just these repositories' instances (the dev split) as "pooled (only)", the rest as
    "pooled (rest)". "pooled (one file)": the instances whose fix changes one file, as every SWE-bench Lite
    instance does (with two or more gold files a hit at 1 is impossible). "pooled (<file>)": the instances of
    one ``--dataset`` file, so a training set added to the fit is measured apart from the others.
    """
    by_repo: dict[str, list[dict]] = defaultdict(list)
    for d in data:
        by_repo[d["repo"]].append(d)
    out: dict[str, dict[int, float]] = {}
    pooled: dict[str, dict[int, list[bool]]] = defaultdict(lambda: defaultdict(list))
    for repo, held in by_repo.items():
        score = fitter([d for d in data if d["repo"] != repo], keep)
        got = [hits(d, score) for d in held]
        out[repo] = {k: float(np.mean([g[k] for g in got])) for k in KS}
        for d, g in zip(held, got, strict=True):
            for name in _pools(d, only):
                for k in KS:
                    pooled[name][k].append(g[k])
    for name, acc in pooled.items():
        out[name] = {k: float(np.mean(v)) for k, v in acc.items()}
    return out


def _pools(d: dict, only: set[str] | None) -> list[str]:
    """The pooled rows an instance counts in."""
    names = ["pooled"]
    if only:
        names.append("pooled (only)" if d["repo"] in only else "pooled (rest)")
    if d.get("dataset"):
        names.append(f"pooled ({d['dataset']})")
    if d["n_gold"] == 1:
        names.append("pooled (one file)")
        if d.get("dataset"):
            names.append(f"pooled ({d['dataset']}, one file)")
    return names


def fmt(acc: dict[int, float]) -> str:
    return " / ".join(f"{acc[k]:.2f}" for k in KS)


def export(booster: lgb.Booster, data: list[dict]) -> dict:
    """The trees as plain arrays (retrieval.fusion.Trees), with the logit's scale and bias.

    The scale makes the trees' sum a calibrated log-odds: the one factor that
    maximises the gold files' mean log-probability under a softmax over each
    instance's files, as the linear model's logits were. The bias puts a file
    with no signal at ``NO_EVIDENCE_LOGIT``.
    """
    trees = [_flatten(t["tree_structure"]) for t in booster.dump_model()["tree_info"]]
    raw = [np.asarray(booster.predict(features(d["X"], FITTED)[d["pool"]])) for d in data]

    def loss(scale: float) -> float:
        total = 0.0
        for s, d in zip(raw, data, strict=True):
            z = scale * s - (scale * s).max()
            total -= float(np.mean(z[d["gold_s"]] - np.log(np.exp(z).sum())))
        return total / len(data)

    scale = float(minimize_scalar(loss, bounds=(0.01, 100.0), method="bounded").x)
    empty = float(booster.predict(features(np.zeros((2, len(FITTED))), FITTED))[0])
    return {
        "signals": FITTED,
        "scale": round(scale, 6),
        "bias": round(NO_EVIDENCE_LOGIT - scale * empty, 6),
        "trees": trees,
    }


def _flatten(root: dict) -> dict[str, list]:
    """One tree as arrays of its splits (node 0 the root; a child < 0 is the leaf ~child)."""
    if "leaf_value" in root:  # a tree without a split: one always-true test leading to its only leaf
        return {
            "feature": [0],
            "threshold": [float("inf")],
            "left": [-1],
            "right": [-1],
            "value": [root["leaf_value"]],
            "leaf": [root["leaf_value"]],
        }
    nodes: list[dict] = []
    leaves: dict[int, float] = {}

    def visit(node: dict) -> int:
        if "leaf_value" in node:
            leaves[node["leaf_index"]] = node["leaf_value"]
            return ~node["leaf_index"]
        at = len(nodes)
        nodes.append(node)
        node["_children"] = (visit(node["left_child"]), visit(node["right_child"]))
        return at

    visit(root)
    if any(n["decision_type"] != "<=" for n in nodes):
        fail("only numeric '<=' splits can be exported")
    return {
        "feature": [n["split_feature"] for n in nodes],
        "threshold": [n["threshold"] for n in nodes],
        "left": [n["_children"][0] for n in nodes],
        "right": [n["_children"][1] for n in nodes],
        "value": [n["internal_value"] for n in nodes],
        "leaf": [leaves[k] for k in range(len(leaves))],
    }


def write(data: list[dict], dense: str) -> None:
    """Fit on every instance, store the model in the package and check numpy reproduces LightGBM's scores."""
    booster = fit_trees(data, list(range(len(FITTED))))
    model = export(booster, data)
    model |= {
        "fitted_on": sorted({d["repo"] for d in data}),
        "instances": len(data),
        "dense": dense,
        "rounds": ROUNDS,
        "params": {k: v for k, v in TREES.items() if k not in ("num_threads", "verbose")},
    }
    path = trees_file(dense)
    _store(model, path)
    trees = Trees.load(path)
    for d in data:
        logit, share = trees.explain(d["X"])
        expected = model["scale"] * booster.predict(features(d["X"], FITTED)) + model["bias"]
        base = logit - share.sum(axis=1)
        if not (np.allclose(logit, expected, atol=1e-6) and np.allclose(base, base[0])):
            fail(f"numpy's scores differ from LightGBM's on {d['id']}")
    print(f"wrote {path}: {len(model['trees'])} trees, scale {model['scale']:.3f}, bias {model['bias']:.3f}")
    gain = np.bincount(feature_signals(FITTED), weights=booster.feature_importance("gain"), minlength=len(FITTED))
    print("share of the split gain:", ", ".join(f"{n} {g:.1%}" for n, g in zip(FITTED, gain / gain.sum(), strict=True)))


def fit_functions(rows: list[dict], dev: set[str], args: argparse.Namespace) -> None:
    """Leave-one-repository-out function-level Acc@k of fitted function weights; ``--write`` stores them."""
    data = dump_functions(rows, args.repos, args.work, args.dense)
    everything = list(range(len(FUNCTION_FEATURES)))
    print(f"{len(data)} instances with gold functions from {len({d['repo'] for d in data})} repositories")
    print("function level, leave-one-repository-out Acc@1 / @5 / @10, fitted (hand-set rule it replaced):")
    fitted = leave_one_repo_out(data, everything, dev, fit_linear)
    hand = leave_one_repo_out(data, everything, dev, lambda _data, _keep: _hand_set)
    for repo, acc in sorted(fitted.items()):
        print(f"  {repo:40s} {fmt(acc)}   ({fmt(hand[repo])})")
    if args.write:
        store_functions(linear_weights(data, everything), len(data))


def store_functions(w: np.ndarray, instances: int) -> None:
    """Write the function-level weights into the shipped model file, keeping its trees."""
    current = json.loads(WEIGHTS_FILE.read_text(encoding="utf-8"))
    functions = {
        "features": list(FUNCTION_FEATURES),
        "weights": [round(float(x), 4) for x in w],
        "instances": instances,
        "l2": L2,
    }
    _store({**current, "functions": functions}, WEIGHTS_FILE)
    print("weights:", ", ".join(f"{n} {x:+.2f}" for n, x in zip(FUNCTION_FEATURES, w, strict=True)))


def _hand_set(X: np.ndarray) -> np.ndarray:
    """The last round's within-file rule: file score x (0.2 + 0.5 BM25 + 0.2 dense + 0.6 if named)."""
    col = {f: X[:, k] for k, f in enumerate(FUNCTION_FEATURES)}
    return col["file"] * (0.2 + 0.5 * col["lexical"] + 0.2 * col["dense"] + 0.6 * (col["named"] > 0))


def _store(model: dict, path: Path) -> None:
    """Write a shipped model file; the main one keeps the function weights a file-level refit does not touch."""
    if path == WEIGHTS_FILE and path.exists() and "functions" not in model:
        model = {**model, "functions": json.loads(path.read_text(encoding="utf-8")).get("functions")}
    path.write_text(_json({k: v for k, v in model.items() if v is not None}), encoding="utf-8")


def _json(model: dict) -> str:
    """The model as JSON with one tree a line, so a refit reads as a diff of trees."""
    head = json.dumps({k: v for k, v in model.items() if k != "trees"}, indent=1)
    trees = ",\n".join("  " + json.dumps(t, separators=(",", ":")) for t in model["trees"])
    return f'{head[:-2]},\n "trees": [\n{trees}\n ]\n}}\n'


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repos", type=Path, required=True)
    ap.add_argument("--dataset", type=Path, action="append", required=True)
    ap.add_argument("--dense", default="none")
    ap.add_argument("--work", type=Path, default=Path("/tmp/patchgate-fit"))
    ap.add_argument("--write", action="store_true", help="store the model fitted on every instance in the package")
    ap.add_argument("--ablation", action="store_true")
    ap.add_argument("--cached-only", action="store_true", help="use only instances whose signals are cached")
    ap.add_argument("--functions", action="store_true", help="fit the function-level weights instead")
    ap.add_argument("--newest", type=int, help="keep each repository's N newest instances (a cheaper sample)")
    ap.add_argument(
        "--unseen",
        action="store_true",
        help="leave out the repositories the tuned encoder was trained on (always with --dense tuned)",
    )
    args = ap.parse_args()
    rows = [{**r, "dataset": path.name} for path in args.dataset for r in load_dataset(path)]
    refuse_held_out((r["repo"] for r in rows), "trained on")  # before any work, whichever level is fitted
    rows = sample(rows, args.dense == "tuned" or args.unseen, args.newest)
    dev = {r["repo"] for r in rows if r["dataset"] == args.dataset[0].name}  # the first dataset: the dev split
    if args.functions:
        fit_functions(rows, dev, args)
        return
    data = dump(rows, args.repos, args.work, args.dense, args.cached_only)
    print(f"{len(data)} instances from {len({d['repo'] for d in data})} repositories; dense={args.dense}")
    everything = list(range(len(FITTED)))
    linear = leave_one_repo_out(data, everything, dev, fit_linear)
    base = leave_one_repo_out(data, everything, dev)
    print(
        "leave-one-repository-out Acc@1 / @5 / @10, trees (linear baseline); 'pooled (only)': the dev "
        "split's repositories, '(rest)': the others, '(one file)': the instances whose fix changes one file:"
    )
    for repo, acc in sorted(base.items()):
        print(f"  {repo:40s} {fmt(acc)}   ({fmt(linear[repo])})")
    if args.ablation:
        print("\n| signal removed | all, Acc@1 / @5 / @10 | dev split, Acc@1 / @5 / @10 |\n| --- | --- | --- |")
        print(f"| (none) | {fmt(base['pooled'])} | {fmt(base['pooled (only)'])} |")
        for k, name in enumerate(FITTED):
            without = leave_one_repo_out(data, [j for j in everything if j != k], dev)
            print(f"| {name} | {fmt(without['pooled'])} | {fmt(without['pooled (only)'])} |")
        print("| *groups removed:* | | |")
        for name, group in GROUPS.items():
            without = leave_one_repo_out(data, [j for j in everything if FITTED[j] not in group], dev)
            print(f"| {name} | {fmt(without['pooled'])} | {fmt(without['pooled (only)'])} |")
    if args.write:
        write(data, args.dense)


if __name__ == "__main__":
    main()
