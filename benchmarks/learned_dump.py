"""One pass over an evaluation set that caches everything the learned signal's evaluation needs, per instance.

    nice python benchmarks/learned_dump.py --repos /tmp/i23/repos --work /tmp/i23/fit \
        --dataset ../shared/swebench/lite_dev.json --dataset benchmarks/data/mined_commits.jsonl

Each instance is indexed at its base commit (``--dense static``) and stored as one ``.npz``:

* ``values``: the signal matrix (files x signals, ``retrieval.signals``) without the learned column;
* ``vectors`` (float16) and ``chunk_file``: every chunk's static vector and its file's row, so the learned
  column (``retrieval.learned``) can be recomputed for any token weights in milliseconds, without re-indexing;
* ``fn_chunk``, ``fn_file``, ``fn_values``: the definitions of the top ``CANDIDATE_FILES`` files under the
  shipped ranking and their function features, and ``fn_gold`` / ``fn_n_gold``: the gold definitions.

Re-indexing 800 instances takes most of an hour on the shared 2-core machine; fitting and every ablation
afterwards (benchmarks/fit_learned.py) take seconds to minutes.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.mine_commits import refuse_held_out
from retrieval.embeddings import EmbeddingConfig
from retrieval.evaluate import EvalReport, gold_functions, instance_index, load_dataset, row_gold
from retrieval.rank import FUNCTION_FEATURES, RankedFile, function_features, fuse
from retrieval.signals import SIGNALS, compute

CANDIDATE_FILES = 30  # more than the 20 the function level reads: a refit file ranking may promote a few


def vectors_of(index) -> np.ndarray:
    """Every chunk's vector, in chunk-id order (the FAISS flat index stores them in that order)."""
    flat = index._vectors
    if flat is None:
        return np.zeros((len(index.chunks()), 0), dtype=np.float16)
    return flat.reconstruct_n(0, flat.ntotal).astype(np.float16)


def dump_one(row: dict, index, path: Path) -> None:
    sig = compute(index, row["problem_statement"])
    pos = {p: i for i, p in enumerate(sig.files)}
    gold = [pos[g] for g in row_gold(row) if g in pos]
    total, _ = fuse(sig.values)
    order = np.argsort(-total, kind="stable")[:CANDIDATE_FILES]
    top = [RankedFile(sig.files[i], float(total[i])) for i in order]
    chunks, fn_values = function_features(index, sig, top)
    golden = gold_functions(index, row_gold(row))
    where = {c.id: k for k, c in enumerate(chunks)}
    np.savez(
        path,
        values=sig.values,
        signals=np.array(SIGNALS),
        gold=np.array(gold, dtype=np.int64),
        n_gold=len(row_gold(row)),
        vectors=vectors_of(index),
        chunk_file=np.array([pos.get(c.path, -1) for c in index.chunks()], dtype=np.int32),
        fn_chunk=np.array([c.id for c in chunks], dtype=np.int64),
        fn_file=np.array([pos[c.path] for c in chunks], dtype=np.int64),
        fn_values=fn_values,
        fn_features=np.array(FUNCTION_FEATURES),
        fn_gold=np.array([where[c.id] for c in golden if c.id in where], dtype=np.int64),
        fn_n_gold=len(golden),
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repos", type=Path, required=True)
    ap.add_argument("--dataset", type=Path, action="append", required=True)
    ap.add_argument("--work", type=Path, default=Path("/tmp/patchgate-learned"))
    ap.add_argument("--only", help="dump just this repository's instances (owner/name)")
    args = ap.parse_args()
    rows = [r for p in args.dataset for r in load_dataset(p)]
    refuse_held_out((r["repo"] for r in rows), "trained on")
    rows = [r for r in rows if not args.only or r["repo"] == args.only]
    cache = args.work / "dump"
    cache.mkdir(parents=True, exist_ok=True)
    report = EvalReport([], [])
    started = time.perf_counter()
    for n, row in enumerate(sorted(rows, key=lambda r: (r["repo"], r.get("created_at", ""), r["instance_id"]))):
        path = cache / f"{row['instance_id']}.npz"
        if path.exists():
            continue
        index = instance_index(row, args.repos, args.work / "static", EmbeddingConfig(dense="static"), report)
        if index is not None:
            dump_one(row, index, path)
        if n % 20 == 0:
            print(
                f"  {n + 1}/{len(rows)} {row['repo']}, {time.perf_counter() - started:.0f}s",
                file=sys.stderr,
                flush=True,
            )
    for iid, why in report.skipped:
        print(f"  skipped {iid}: {why}", file=sys.stderr)


if __name__ == "__main__":
    main()
