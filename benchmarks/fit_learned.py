"""What the learned signal adds: leave-one-repository-out file and function Acc@k, with and without it.

    nice python benchmarks/learned_dump.py --repos R --work W --dataset DEV --dataset MINED   # once, ~15-60 min
    nice python benchmarks/fit_learned.py --work W --dataset DEV --dataset MINED [--write]

Reads the per-instance cache of ``learned_dump.py`` (signal matrices, chunk vectors, function candidates),
fills in the ``learned`` column with the shipped model (``retrieval/learned.npz``: term weights and adapter, trained only on
repositories outside this evaluation set by ``train_learned.py``) and prints, each repository held out in
turn (fit on the others, rank its instances; ``fit_fusion.leave_one_repo_out``):

* file level: BM25 alone, the plain dense signal alone, the learned signal alone, today's shipped trees as
  shipped (fitted on all these instances: in-sample), the trees refitted without ``learned`` (today's
  method), with it, and with it but without ``dense``;
* function level: the fitted function model with and without the ``learned`` feature (candidates: the
  definitions of the top 20 files of the shipped file ranking, as at query time before the refit).

``--write`` stores the trees and the function weights fitted on every instance in ``retrieval/fusion.json``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import fit_fusion
from benchmarks.errors import fail
from benchmarks.fit_fusion import FITTED, Fitter, Scorer, fmt, leave_one_repo_out
from benchmarks.mine_commits import refuse_held_out
from retrieval.embeddings import EmbeddingConfig, StaticEmbedder, default_model_path
from retrieval.evaluate import load_dataset
from retrieval.learned import learned as learned_model
from retrieval.learned import query_vector
from retrieval.rank import FUNCTION_FEATURES, FUNCTION_FILES, fuse
from retrieval.signals import CHUNK_POOL, SIGNALS, unit


def learned_column(
    vectors: np.ndarray, chunk_file: np.ndarray, files: int, q: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """The learned signal per file (as ``signals.compute`` makes it: the best of the top ``CHUNK_POOL`` chunks)
    and per chunk (its cosine over the best one), from the cached chunk vectors."""
    per_file, per_chunk = np.zeros(files, dtype=np.float32), np.zeros(len(vectors), dtype=np.float32)
    if q is None or not len(vectors) or not vectors.shape[1]:
        return per_file, per_chunk
    sims = vectors.astype(np.float32) @ q
    top = np.argsort(-sims, kind="stable")[:CHUNK_POOL]
    for c in top:
        if chunk_file[c] >= 0 and sims[c] > per_file[chunk_file[c]]:
            per_file[chunk_file[c]] = sims[c]
    per_chunk[top] = np.maximum(sims[top], 0) / max(float(sims[top[0]]), 1e-9)
    return unit(per_file), per_chunk


def load(rows: list[dict], work: Path) -> tuple[list[dict], list[dict]]:
    """File-level and function-level instances (``fit_fusion``'s dicts) with the learned column filled in."""
    embedder = StaticEmbedder(default_model_path(), EmbeddingConfig(dense="static"))
    model = learned_model()  # None: the learned column stays 0 (``--part baseline``)
    files_out, functions_out = [], []
    for row in rows:
        path = work / "dump" / f"{row['instance_id']}.npz"
        if not path.exists():
            continue
        d = np.load(path)
        names = list(d["signals"])
        values = d["values"]
        q = query_vector(embedder, row["problem_statement"], model)
        learned, per_chunk = learned_column(d["vectors"], d["chunk_file"], len(values), q)
        cols = fit_fusion.cached_columns(names, path)
        X = np.column_stack(
            [learned if s == "learned" else values[:, k] for s, k in zip(FITTED, cols, strict=True)]
        ).astype(np.float64)
        if len(d["gold"]):
            pool = fit_fusion._pool(X, d["gold"])
            files_out.append(
                {
                    "id": row["instance_id"],
                    "repo": row["repo"],
                    "X": X,
                    "gold": d["gold"],
                    "n_gold": int(d["n_gold"]),
                    "pool": pool,
                    "gold_s": np.searchsorted(pool, d["gold"]),
                    "shipped": fuse(values_with(values, names))[0],
                }
            )
        if int(d["fn_n_gold"]):
            functions_out.append(function_instance(row, d, per_chunk))
    return files_out, functions_out


def values_with(values: np.ndarray, names: list[str]) -> np.ndarray:
    """The cached matrix in today's ``SIGNALS`` order (a signal the cache lacks is 0)."""
    return np.column_stack([values[:, names.index(s)] if s in names else np.zeros(len(values)) for s in SIGNALS])


def function_instance(row: dict, d, per_chunk: np.ndarray) -> dict:
    """The candidates of the top ``FUNCTION_FILES`` files, their features (learned added), and the gold."""
    names = list(d["fn_features"])
    keep = np.flatnonzero(d["fn_values"][:, names.index("file_rank")] >= 1.0 / np.log2(2 + FUNCTION_FILES - 1) - 1e-6)
    X = np.column_stack(
        [per_chunk[d["fn_chunk"]] if f == "learned" else d["fn_values"][:, names.index(f)] for f in FUNCTION_FEATURES]
    ).astype(np.float64)[keep]
    gold = np.flatnonzero(np.isin(keep, d["fn_gold"]))
    return {
        "id": row["instance_id"],
        "repo": row["repo"],
        "X": X,
        "gold": gold,
        "n_gold": int(d["fn_n_gold"]),
        "pool": np.arange(len(X)),
        "gold_s": gold,
    }


def column(name: str) -> Scorer:
    k = FITTED.index(name)
    return lambda X: X[:, k] + 1e-6 * X[:, FITTED.index("lexical_file")]  # ties broken by BM25


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", type=Path, action="append", required=True)
    ap.add_argument("--work", type=Path, default=Path("/tmp/patchgate-learned"))
    ap.add_argument("--write", action="store_true")
    ap.add_argument(
        "--part",
        choices=("all", "baseline", "learned", "none"),
        default="all",
        help="baseline: the rows that do not need the learned weights; learned: the others; none: no rows"
        " (with --write: only fit and store)",
    )
    args = ap.parse_args()
    rows = [r for p in args.dataset for r in load_dataset(p)]
    refuse_held_out((r["repo"] for r in rows), "trained on")
    part = args.part
    if part != "baseline" and learned_model() is None:
        fail("no learned model: run benchmarks/train_learned.py --write first (or --part baseline)")
    files, functions = load(rows, args.work)
    dev = {r["repo"] for r in load_dataset(args.dataset[0])}
    print(f"{len(files)} instances from {len({d['repo'] for d in files})} repositories")
    every = list(range(len(FITTED)))
    without = [k for k in every if FITTED[k] != "learned"]
    no_dense = [k for k in every if FITTED[k] != "dense"]

    def alone(name: str) -> Fitter:
        return lambda _data, _keep: column(name)

    file_rows: dict[str, list[tuple[str, list[int], Fitter | None]]] = {
        "baseline": [
            ("BM25 over whole files", every, alone("lexical_file")),
            ("dense signal alone (plain static query)", every, alone("dense")),
            ("today's shipped trees (fitted on these: in-sample)", every, None),
            ("trees without learned (today's method, refitted)", without, fit_fusion.tree_scorer),
        ],
        "learned": [
            ("learned signal alone", every, alone("learned")),
            ("trees with learned", every, fit_fusion.tree_scorer),
            ("trees with learned, without dense", no_dense, fit_fusion.tree_scorer),
        ],
    }
    fn_every = list(range(len(FUNCTION_FEATURES)))
    fn_rows = {
        "baseline": [("without learned", [k for k, f in enumerate(FUNCTION_FEATURES) if f != "learned"])],
        "learned": [("with learned", fn_every)],
    }
    parts = {"all": ["baseline", "learned"], "none": []}.get(part, [part])
    print("\nfile level, each repository held out: all | dev split | mined | one-file fixes (Acc@1 / @5 / @10)")
    for name, keep, fitter in [r for p in parts for r in file_rows[p]]:
        acc = shipped(files, dev) if fitter is None else leave_one_repo_out(files, keep, dev, fitter)
        print(
            f"  {name:52s} {fmt(acc['pooled'])} | {fmt(acc['pooled (only)'])} | {fmt(acc['pooled (rest)'])} | "
            f"{fmt(acc['pooled (one file)'])}",
            flush=True,
        )
    print(f"\nfunction level, {len(functions)} instances, each repository held out: all | dev split | mined")
    for name, keep in [r for p in parts for r in fn_rows[p]]:
        acc = leave_one_repo_out(functions, keep, dev, fit_fusion.fit_linear)
        print(
            f"  {name:52s} {fmt(acc['pooled'])} | {fmt(acc['pooled (only)'])} | {fmt(acc['pooled (rest)'])}", flush=True
        )
    if args.write:
        fit_fusion.write(files, "static")
        w = fit_fusion.linear_weights(functions, fn_every)
        fit_fusion.store_functions(w, len(functions))


def constant(scores: np.ndarray) -> Scorer:
    """A scorer that gives every file the score it already has."""
    return lambda _X: scores


def shipped(files: list[dict], dev: set[str]) -> dict:
    """Acc@k of the trees in retrieval/fusion.json as they are (they were fitted on these instances)."""
    out: dict[str, dict[int, list[bool]]] = {}
    for d in files:
        got = fit_fusion.hits(d, constant(d["shipped"]))
        for name in fit_fusion._pools(d, dev):
            for k in fit_fusion.KS:
                out.setdefault(name, {}).setdefault(k, []).append(got[k])
    return {name: {k: float(np.mean(v)) for k, v in acc.items()} for name, acc in out.items()}


if __name__ == "__main__":
    main()
