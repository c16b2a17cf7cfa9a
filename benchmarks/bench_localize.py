"""Localization on SWE-bench Lite dev: patchgate's fusion against whole-file BM25, per dense option.

    python benchmarks/bench_localize.py --repos /tmp/swe-repos [--dataset ../shared/swebench/lite_dev.json]

``--repos`` holds ``<owner>__<name>`` git repositories (bare is fine). Prints
Acc@1/5/10 for: BM25 over whole files (the baseline), the fusion without
dense vectors, with the static model's and with the tuned encoder's (each
ranked by the trees fitted on its cosines); plus the median ranking time per
instance.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

from retrieval.embeddings import EmbeddingConfig
from retrieval.evaluate import evaluate, gold_files, load_dataset
from retrieval.index import CommitSource, build_index, open_index


def bm25_files_baseline(rows: list[dict], repos: Path, work: Path, ks: list[int]) -> dict:
    """Acc@k ranking files by BM25 over their whole text alone (the 'none' run's index folders are reused)."""
    hits = {k: 0 for k in ks}
    n = 0
    for row in rows:
        key = row["repo"].replace("/", "__")
        if not (repos / key).exists():
            continue
        build_index(
            CommitSource(repos / key, row["base_commit"]),
            work / key / "index",
            config=EmbeddingConfig(dense="none"),
            cache_dir=work / key / "cache",
            progress=False,
        )
        index = open_index(work / key, work / key / "index")
        scores = index.file_lexical_scores(row["problem_statement"])
        order = [index.files()[i].path for i in np.argsort(-scores, kind="stable")]
        gold = gold_files(row["patch"])
        n += 1
        for k in ks:
            hits[k] += all(g in order[:k] for g in gold)
    return {"instances": n, **{f"acc@{k}": round(hits[k] / n, 4) for k in ks}}


def run(rows: list[dict], repos: Path, dense: str, work: Path) -> tuple[dict, float]:
    times: list[float] = []
    last = [time.perf_counter()]

    def tick(*_):
        now = time.perf_counter()
        times.append(now - last[0])
        last[0] = now

    report = evaluate(rows, repos, work_dir=work, config=EmbeddingConfig(dense=dense), on_instance=tick)
    for iid, why in report.skipped:
        print(f"  skipped {iid}: {why}")
    return report.summary([1, 5, 10]), statistics.median(times)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--repos", required=True)
    ap.add_argument("--dataset", default=str(Path(__file__).resolve().parents[2] / "shared/swebench/lite_dev.json"))
    ap.add_argument("--work", default="/tmp/patchgate-bench-localize")
    args = ap.parse_args()
    rows = load_dataset(Path(args.dataset))
    for dense in ("none", "static", "tuned"):
        summary, median_s = run(rows, Path(args.repos), dense, Path(args.work) / dense)
        print(f"fusion, dense={dense}: {summary}  (median {median_s:.1f}s per instance incl. incremental index)")
    print(f"BM25 over whole files: {bm25_files_baseline(rows, Path(args.repos), Path(args.work) / 'none', [1, 5, 10])}")
