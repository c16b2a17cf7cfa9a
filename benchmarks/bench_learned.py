"""What the learned signal costs a warm query: ranking with and without it on one built index.

    nice python benchmarks/bench_learned.py REPO_DIR INDEX_DIR [--issue TEXT] [--repeat 7]

``REPO_DIR``/``INDEX_DIR`` are a repository and an index built for it with ``--dense static`` (for example
the per-repository folders ``benchmarks/learned_dump.py`` leaves under its ``--work``, or sympy's index of
``bench_index.py``). Prints the median time of ``rank`` with the shipped term weights and with none (the
learned signal absent), and of the learned vector search alone. The index build is untouched by the
learned signal (it changes only the query), so index time is ``bench_index.py``'s as before.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.errors import fail
from retrieval import learned
from retrieval.index import open_index
from retrieval.rank import rank

ISSUE = (
    "Printing a nested expression raises TypeError\n\nWhen the printer meets a nested expression with a "
    "custom class inside it fails with TypeError: unsupported operand. Expected the expression to print."
)


def median_ms(run, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("repo", type=Path)
    ap.add_argument("index", type=Path)
    ap.add_argument("--issue", default=ISSUE)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    index = open_index(args.repo, args.index)
    if learned.learned() is None:
        fail("no learned model (retrieval/learned.npz)")
    rank(index, args.issue)  # warm: the index parts, the static model, the weights
    with_learned = median_ms(lambda: rank(index, args.issue), args.repeat)
    search = median_ms(lambda: index.learned_search(args.issue, 300), args.repeat)
    shipped = learned.WEIGHTS_FILE
    learned.learned.cache_clear()
    learned.WEIGHTS_FILE = shipped.with_name("absent.npz")
    try:
        without = median_ms(lambda: rank(index, args.issue), args.repeat)
    finally:
        learned.WEIGHTS_FILE = shipped
        learned.learned.cache_clear()
    print(
        f"{len(index.chunks())} chunks: warm rank {with_learned:.0f} ms with the learned signal, {without:.0f} ms "
        f"without; the learned vector search alone {search:.1f} ms (medians of {args.repeat})"
    )


if __name__ == "__main__":
    main()
