"""A distilled static model read straight from its two files (token table, tokenizer), encoded in bulk.

What model2vec's ``StaticModel.encode`` computes for our distillation (mean of the token rows, unknown
tokens dropped), without importing model2vec: its import alone took 1.6-2.3 s of a cold ``context`` on
sympy. Like its ``encode``, batches run on as many threads as there are cores (the tokenizer and numpy
release the GIL), and each batch gathers its token rows at once from a float32 copy of the table
(widening float16 on every read was half the time). The vectors are bit for bit the ones a per-chunk
mean over the float16 table gives (float32 sums, rounded to float16), so an index built before reads
the same.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property
from itertools import chain
from pathlib import Path

import numpy as np

BATCH = 256  # chunks a thread tokenizes and pools at once: about 50 MB of gathered token rows
FEW = 16  # texts below which widening the rows they gather beats a float32 copy of the table (20 ms)


class StaticTables:
    """A distillation without token weights or mapping (ValueError otherwise: model2vec reads those)."""

    def __init__(self, path: Path) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        tables = load_file(str(path / "model.safetensors"))
        if set(tables) != {"embeddings"}:
            raise ValueError("weighted or mapped static model")
        self.embedding = tables["embeddings"]
        self._half = self.embedding.dtype == np.float16
        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.max_length = int(json.loads((path / "config.json").read_text()).get("max_length") or 512)
        vocab = self.tokenizer.get_vocab()
        self.unk = vocab.get("[UNK]", -1)
        self.chars = self.max_length * int(np.median([len(t) for t in vocab]))

    def encode(self, texts: list[str]) -> np.ndarray:
        """The mean token row of each text (zeros for a text with no known token), float32."""
        out = np.zeros((len(texts), self.embedding.shape[1]), dtype=np.float32)
        starts = range(0, len(texts), BATCH)

        def run(start: int) -> None:
            out[start : start + BATCH] = self._pooled(texts[start : start + BATCH])

        workers = min(len(starts), os.cpu_count() or 1)
        if workers <= 1:
            for start in starts:
                run(start)
        else:
            with ThreadPoolExecutor(workers) as pool:
                list(pool.map(run, starts))
        return out

    @cached_property
    def _rows(self) -> np.ndarray:
        """The table as float32 (exact: float16 widens without rounding), made when a large encode needs it."""
        return self.embedding.astype(np.float32)

    def _pooled(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch_fast([t[: self.chars] for t in texts], add_special_tokens=False)
        ids = [e.ids[: self.max_length] for e in encodings]
        lengths = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
        flat = np.fromiter(chain.from_iterable(ids), dtype=np.int64, count=int(lengths.sum()))
        keep = flat != self.unk
        counts = np.bincount(np.repeat(np.arange(len(ids)), lengths)[keep], minlength=len(ids))
        flat = flat[keep]
        out = np.zeros((len(ids), self.embedding.shape[1]), dtype=np.float32)
        # one gather for the batch; each text's rows are a slice of it
        rows = self._rows[flat] if len(texts) >= FEW else self.embedding[flat].astype(np.float32)
        ends = np.cumsum(counts)
        present = np.flatnonzero(counts)
        for i in present:  # summed row after row, as numpy's mean over the float16 rows sums them
            out[i] = np.add.reduce(rows[ends[i] - counts[i] : ends[i]], axis=0) / np.float32(counts[i])
        if self._half:
            out[present] = out[present].astype(np.float16)
        return out
