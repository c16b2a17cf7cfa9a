"""The learned retriever: the issue's dense query with term weights learned from thousands of real fixes.

An issue's static embedding is the mean of its tokens' rows, so "the", "when",
"fix" and "error" pull it as hard as the one identifier that locates the bug.
``benchmarks/train_learned.py`` learns one weight per vocabulary token (and one
for the words of the issue's first line) so that, over thousands of pull
requests and commits of other Python projects (benchmarks/data/README.md), the
weighted query lands nearest the code their fixes changed: a contrastive loss
against the changed definitions, with hard negatives from BM25 and the plain
dense search.

Why weights on tokens and not a matrix over the vectors: the static model is
distilled on each machine (a PCA whose axes, signs included, may differ between
machines and BLAS builds), and a matrix learned in one machine's axes would be
noise in another's. A weight per token string means the same on every
machine, is readable as data (``learned.json``), and applies to the
transformer on a GPU too: there it weighs the mean pooling of the same
tokens' contextual vectors. Chunk vectors are untouched, so the index is the
same; only the query changes, one extra vector search per query.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

WEIGHTS_FILE = Path(__file__).with_name("learned.json")


@dataclass(frozen=True)
class TermWeights:
    """Log-weights of vocabulary tokens (absent: 0, i.e. weight 1) and the extra log-weight of title tokens."""

    log_weights: dict[str, float]
    title: float

    @classmethod
    def load(cls, path: Path) -> TermWeights:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(dict(data["log_weights"]), float(data["title"]))

    def of(self, tokens: list[str], in_title: list[bool]) -> np.ndarray:
        """Each token's weight in the pooled query."""
        logw = np.array([self.log_weights.get(t, 0.0) for t in tokens], dtype=np.float64)
        return np.exp(logw + self.title * np.asarray(in_title, dtype=np.float64))

    def heaviest(self, tokens: list[str], n: int = 3) -> list[str]:
        """The issue's ``n`` tokens the learned weights favour most (for reasons), whole words only."""
        words = {t for t in tokens if t.isalpha() and len(t) > 2}
        return sorted(words, key=lambda t: (-self.log_weights.get(t, 0.0), t))[:n]


@lru_cache(maxsize=1)
def term_weights() -> TermWeights | None:
    """The shipped weights, or None where they were never trained (the learned signal is then absent)."""
    return TermWeights.load(WEIGHTS_FILE) if WEIGHTS_FILE.exists() else None


def title_end(text: str) -> int:
    """Where the issue's first non-empty line ends: its title, or a commit's subject."""
    start = len(text) - len(text.lstrip())
    end = text.find("\n", start)
    return len(text) if end < 0 else end


def static_tokens(tables, text: str) -> tuple[list[int], list[bool]]:
    """Token ids the static model pools for ``text`` (as ``StaticTables.encode`` cuts and filters them), and
    whether each lies in the title."""
    enc = tables.tokenizer.encode(text[: tables.chars], add_special_tokens=False)
    end = title_end(text)
    kept = [
        (i, s < end) for i, (s, _) in zip(enc.ids[: tables.max_length], enc.offsets, strict=False) if i != tables.unk
    ]
    return [i for i, _ in kept], [t for _, t in kept]


def query_vector(embedder, text: str, weights: TermWeights | None = None) -> np.ndarray | None:
    """The issue's unit query vector with learned term weights, in the embedder's own space (None: no weights,
    or an embedder whose pooling we cannot weigh)."""
    weights = weights or term_weights()
    if weights is None or embedder is None:
        return None
    config = embedder.config
    text = (config.query_prefix + text)[: config.max_chars]
    model = embedder.model
    if hasattr(model, "embedding") and hasattr(model, "tokenizer") and hasattr(model, "unk"):
        ids, in_title = static_tokens(model, text)
        if not ids:
            return None
        vocab = model.tokenizer.id_to_token
        w = weights.of([vocab(i) for i in ids], in_title)
        vec = (w[:, None] * model.embedding[ids]).sum(axis=0)
    elif hasattr(model, "encode") and hasattr(model, "tokenizer"):
        vec = _transformer_vector(model, text, weights)
    else:
        return None
    norm = float(np.linalg.norm(vec))
    return (vec / norm).astype(np.float32) if norm > 0 else None


def _transformer_vector(model, text: str, weights: TermWeights) -> np.ndarray:
    """The transformer's (mean-pooling) sentence vector with each token's contextual vector weighed as the static
    model weighs its row: the GPU path's use of the same weights."""
    tokens = model.tokenizer(text, truncation=True, max_length=model.max_seq_length, return_offsets_mapping=True)
    ids, offsets = tokens["input_ids"], tokens["offset_mapping"]
    names = model.tokenizer.convert_ids_to_tokens(ids)
    end = title_end(text)
    special = set(model.tokenizer.all_special_ids)
    w = weights.of(names, [i not in special and s < end for i, (s, _) in zip(ids, offsets, strict=True)])
    vectors = np.asarray(model.encode(text, output_value="token_embeddings", convert_to_numpy=True), dtype=np.float64)
    return (w[: len(vectors), None] * vectors).sum(axis=0)
