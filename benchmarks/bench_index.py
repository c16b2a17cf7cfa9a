"""Index speed on a large repository (CPU path): full build, one-file re-index, cold and warm queries.

    nice python benchmarks/bench_index.py [CHECKOUT] [--mirror GIT_DIR] [--dense static|none|transformer|tuned]
                                          [--warm-cache] [--no-distil]

Without CHECKOUT it makes one: a shared clone (`git clone --shared`, nothing is
written into the mirror) of the fetched sympy mirror into /tmp, at the mirror's
HEAD. A given checkout must be a git work tree; the script copies nothing into
it but `.patchgate/` (excluded through .git/info/exclude) and edits one file,
which it restores. `--throughput N` instead times the transformer embedder
(`--device`, `--dense transformer|tuned`) on N chunks of the checkout's index against sentence-transformers'
plain `encode` (chunks/s and ratio: the GPU figure of issue 2); `--layers K --max-tokens T` time a cut-down
MiniLM (its first K blocks, chunks cut to T tokens). On a CPU with bfloat16 instructions the embedder runs in
bfloat16, as the index does. Prints medians; the distillation of the
static model (once per machine) is timed separately, in a fresh process with an empty model cache.

The full index and the re-index are timed as whole `patchgate index` commands (process start included),
with the phases the command reports. The vector cache is emptied first (a fresh clone's state) unless
`--warm-cache`; the output says which. So that figures from different machines can be told apart, it
first prints the CPU model, the load average and the speed of a fixed micro-benchmark.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.errors import fail
from retrieval import encoder_rate
from retrieval.embeddings import (
    EmbeddingConfig,
    TransformerEmbedder,
    cpu_has_bf16,
    default_model_path,
    make_embedder,
)
from retrieval.index import build_index, open_index

QUERIES = [
    "simplify returns a wrong result for trigonometric expressions with powers",
    "Matrix.inv raises ZeroDivisionError for sparse matrices",
    "latex printer does not wrap subscripts of Symbol in braces",
]


def cold_query(root: Path, query: str) -> float:
    """Wall time of `patchgate context --no-refresh QUERY` in a fresh process: interpreter start, imports,
    opening the index, ranking and printing, what a user waits for."""
    t = time.perf_counter()
    subprocess.run(
        [sys.executable, "-P", "-m", "patchgate", "context", "--no-refresh", query],
        cwd=root,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - t


def machine() -> str:
    """The CPU model, cores, load, and a fixed single-thread micro-benchmark: what the figures depend on."""
    model = encoder_rate.cpu_model()
    data = bytes(range(256)) * (1 << 18)  # 64 MB
    hashed = min(_seconds(lambda: hashlib.sha1(data).digest()) for _ in range(3))
    python = min(_seconds(lambda: sum(i * i for i in range(2_000_000))) for _ in range(3))
    a = np.random.default_rng(0).random((512, 512), dtype=np.float32)
    matmul = min(_seconds(lambda: a @ a) for _ in range(5))
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"machine: {model}, {os.cpu_count()} cores, load average {load}; micro-benchmark: sha1 "
        f"{64 / hashed:.0f} MB/s, Python loop {2 / python:.1f} M iterations/s, 512x512 float32 matmul "
        f"{2 * 512**3 / matmul / 1e9:.1f} GFLOP/s (best of 3-5)"
    )


def _seconds(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def index_command(root: Path, dense: str) -> tuple[float, dict]:
    """Wall time of a whole `patchgate index --json` (process start included) and the stats it printed."""
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-P", "-m", "patchgate", "index", "--json", "--dense", dense, "--device", "cpu", str(root)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return time.perf_counter() - started, json.loads(out)


def phases(stats: dict) -> str:
    return ", ".join(f"{name} {seconds:.2f}" for name, seconds in stats["timings"].items())


def cached_vectors(root: Path) -> int:
    """Vectors in the repository's vector cache (0: cold, as in a fresh clone)."""
    path = root / ".git" / "patchgate" / "vectors.sqlite"
    if not path.exists():
        return 0
    with sqlite3.connect(path) as db:
        return db.execute("SELECT count(*) FROM vec").fetchone()[0]


def distil_seconds() -> float:
    """The first-use distillation of the static model, timed in a fresh process with an empty cache."""
    with tempfile.TemporaryDirectory() as cache:
        t = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-c",
                "from retrieval.embeddings import default_model_path, "
                "_static_model; _static_model(default_model_path())",
            ],
            check=True,
            capture_output=True,
            env={**os.environ, "PATCHGATE_CACHE": cache},
        )
        return time.perf_counter() - t


def checkout(mirror: Path) -> Path:
    """A throw-away work tree of ``mirror`` under /tmp; the mirror itself is only read."""
    if not mirror.exists():
        fail(f"no mirror at {mirror}: fetch sympy/sympy first (or pass a checkout)")
    name = mirror.name if mirror.name != "repo" else mirror.parent.name  # the fetch tool's layout: owner+name/repo
    root = Path(tempfile.mkdtemp(prefix="bench-index-")) / name
    cloned = subprocess.run(["git", "clone", "--quiet", "--shared", str(mirror), str(root)], capture_output=True)
    if cloned.returncode != 0:  # e.g. a mirror whose largest blobs were left out: no checkout to time
        shutil.rmtree(root.parent, ignore_errors=True)
        fail(f"cannot check out {mirror}: {cloned.stderr.decode(errors='replace').strip().splitlines()[0]}")
    return root


def throughput(root: Path, n: int, device: str, dense: str, layers: int | None, max_tokens: int | None) -> None:
    """Chunks/s of our embedder (bucketed, background tokenizer, fp16 on GPU) vs a plain ``encode``. ``layers`` and
    ``max_tokens`` time a cut-down MiniLM (its first blocks, shorter inputs): what a CPU-sized encoder trained like
    ``tune_encoder.py``'s would cost, before training one."""
    if not (root / ".patchgate" / "CURRENT").exists():
        build_index(root, config=EmbeddingConfig(dense="none"), progress=False)
    chunks = open_index(root).chunks()[:n]
    texts = [f"{c.path}\n{c.signature}\n{c.text}" for c in chunks]
    model = default_model_path()
    ours = TransformerEmbedder(model, device, EmbeddingConfig(dense=dense, device=device), tuned=dense == "tuned")
    if layers is not None:
        if dense == "tuned":
            fail("--layers cuts the plain transformer (--dense transformer)")
        blocks = ours.model[0].auto_model.encoder  # a BERT encoder: its blocks are ``layer``
        blocks.layer = blocks.layer[:layers]
    if max_tokens is not None:
        ours.document_tokens = max_tokens
    sample = ours.embed(texts[:256])  # warm-up: kernels, allocator
    print(
        f"encoder: {dense}, {layers or 'all'} blocks, chunks cut to {ours.document_tokens} tokens, {ours.model_id}; "
        f"CPU bf16 instructions: {'yes' if cpu_has_bf16() else 'no'}; auto's timing of it here: "
        f"{encoder_rate.cached_rate(ours.model_id) or 'not yet'} chunks/s; {sample.shape[1]} dimensions"
    )
    rates = []
    for _ in range(3):
        t = time.perf_counter()
        ours.embed(texts)
        rates.append(len(texts) / (time.perf_counter() - t))
    ours_rate = statistics.median(rates)
    if dense == "tuned":  # no sentence-transformers model to compare with: the tuned one runs without it
        print(f"{len(texts)} chunks on {device}: {ours_rate:.0f} chunks/s (median of 3)")
        return
    clipped = [t[:2000] for t in texts]
    ours.model.max_seq_length = ours.document_tokens  # the same cut for the plain encode
    t = time.perf_counter()
    ours.model.encode(clipped, batch_size=128, normalize_embeddings=True)
    plain_rate = len(texts) / (time.perf_counter() - t)
    print(
        f"{len(texts)} chunks on {device}: ours {ours_rate:.0f} chunks/s (median of 3), plain encode "
        f"{plain_rate:.0f} chunks/s, ratio {ours_rate / plain_rate:.2f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("root", type=Path, nargs="?")
    ap.add_argument("--mirror", type=Path, default=Path("/work/.mirror/sympy+sympy/repo"))
    ap.add_argument("--dense", default="static")
    ap.add_argument("--throughput", type=int, default=0, metavar="N", help="time the transformer on N chunks")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--layers", type=int, help="with --throughput: keep only the model's first LAYERS blocks")
    ap.add_argument("--max-tokens", type=int, help="with --throughput: cut chunks to this many tokens")
    ap.add_argument("--warm-cache", action="store_true", help="keep the vector cache (default: empty it first)")
    ap.add_argument("--no-distil", action="store_true", help="skip timing the static model's distillation")
    args = ap.parse_args()
    args.root = args.root or checkout(args.mirror)
    print(f"checkout: {args.root}")
    if args.throughput:
        if args.dense not in ("transformer", "tuned"):
            fail("--throughput times the transformer: --dense transformer or tuned")
        throughput(args.root, args.throughput, args.device, args.dense, args.layers, args.max_tokens)
        return
    print(machine())
    config = EmbeddingConfig(dense=args.dense, device="cpu")
    distil = distil_seconds() if args.dense == "static" and not args.no_distil else 0.0
    make_embedder(config)
    for old in (args.root / ".patchgate").glob("index-*"):
        subprocess.run(["rm", "-rf", str(old)], check=True)
    (args.root / ".patchgate" / "CURRENT").unlink(missing_ok=True)
    if not args.warm_cache:
        subprocess.run(["rm", "-rf", str(args.root / ".git" / "patchgate")], check=True)
    cached = cached_vectors(args.root)
    full_s, full = index_command(args.root, args.dense)
    print(
        f"full index (`patchgate index`, whole command): {full['files']} files, {full['chunks']} chunks "
        f"({full['dense']} vectors), "
        f"{full_s:.1f}s; vector cache {'cold' if not cached else f'warm ({cached} vectors)'}: embedded "
        f"{full['embedded']}, reused {full['reused_vectors']}"
    )
    print(f"  phases (s): {phases(full)}; process start and imports {full_s - full['seconds']:.2f}")
    if distil:
        print(
            f"first index on a new machine: distilling the static model {distil:.1f}s + full index "
            f"{full_s:.1f}s (the distillation is the extra, once per machine)"
        )
    target = next(p for p in sorted(args.root.rglob("*.py")) if p.stat().st_size > 2000 and ".patchgate" not in str(p))
    original = target.read_text()
    times = []
    try:
        for n in range(5):  # the first may wait for the full build's writes to reach the disk
            target.write_text(original + f"\n\ndef _bench_edit_{n}():\n    return {n}\n")
            seconds, stats = index_command(args.root, args.dense)
            times.append(seconds)
        print(f"  re-index phases (s): {phases(stats)}; process start and imports {seconds - stats['seconds']:.2f}")
    finally:
        target.write_text(original)
        build_index(args.root, config=config, progress=False)
    reindex = statistics.median(times)
    print(
        f"re-index after a one-file edit (whole command): median {reindex:.2f}s ({100 * reindex / full_s:.1f}% of full)"
    )
    colds = [cold_query(args.root, q) for q in QUERIES]
    print(
        f"cold `patchgate context --no-refresh` (fresh process, whole command): median "
        f"{statistics.median(colds):.2f}s over {len(colds)} queries"
    )
    from retrieval.rank import rank

    index = open_index(args.root)
    rank(index, QUERIES[0])
    warm = []
    for q in QUERIES * 3:
        t = time.perf_counter()
        rank(index, q)
        warm.append(time.perf_counter() - t)
    print(f"warm query: median {1000 * statistics.median(warm):.0f} ms")
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
