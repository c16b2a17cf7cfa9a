"""The learned retriever: the issue's dense query reshaped by what thousands of real fixes taught.

An issue's static embedding is the mean of its tokens' rows, so "the", "when",
"fix" and "error" pull it as hard as the one identifier that locates the bug,
and the mean of a report's words sits where reports sit, not where the code
that fixes them does. ``benchmarks/train_learned.py`` learns, from thousands of
pull requests and commits of other Python projects (benchmarks/data/README.md),
two things that move the query toward the code the fixes changed: a weight per
vocabulary token (and one for the words of the issue's first line), and a
linear map of the weighted query (an adapter, ``q + q B``). Chunk vectors are
untouched, so the index is the same; only the query changes, one extra vector
search per query.

Why the adapter is stored in anchor tokens' coordinates: the static model is
distilled on each machine by a PCA whose axes (signs included) may differ
between machines and BLAS builds, so a matrix written in the training
machine's axes would be noise on another's. Two distillations differ by a
rotation ``Q`` (``T' = T Q``), and the adapter is stored as ``C`` with
``B = T_A^T C T_A`` over the rows ``T_A`` of a fixed set of anchor tokens: on
another machine the same formula gives ``Q^T B Q``, the same map in its own
axes, with nothing to align. A small Gram matrix of anchor rows (cosines, which
a rotation keeps) tells a distillation the adapter was not trained for; the
adapter is then left out and the term weights alone shape the query.

The GPU path embeds with the transformer itself, in its own space: there the
term weights weigh the mean pooling of the same tokens' contextual vectors;
the adapter, learned over the static rows, does not apply.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from core.atomic import atomic_write_bytes

WEIGHTS_FILE = Path(__file__).with_name("learned.npz")
CHECKED = 16  # anchors whose cosines identify the distillation the adapter was trained in
TOLERANCE = 1e-3  # the largest cosine difference that is still the same distillation (float16 rows: ~1e-4)


@dataclass(frozen=True)
class TermWeights:
    """Log-weights of vocabulary tokens (absent: 0, i.e. weight 1) and the extra log-weight of title tokens."""

    log_weights: dict[str, float]
    title: float

    def of(self, tokens: list[str], in_title: list[bool]) -> np.ndarray:
        """Each token's weight in the pooled query."""
        logw = np.array([self.log_weights.get(t, 0.0) for t in tokens], dtype=np.float64)
        return np.exp(logw + self.title * np.asarray(in_title, dtype=np.float64))

    def heaviest(self, tokens: list[str], n: int = 3) -> list[str]:
        """The issue's ``n`` tokens the learned weights favour most (for reasons), whole words only."""
        words = {t for t in tokens if t.isalpha() and len(t) > 2}
        return sorted(words, key=lambda t: (-self.log_weights.get(t, 0.0), t))[:n]


@dataclass(frozen=True, eq=False)
class Adapter:
    """The query's linear map ``q + q B``, stored as ``C`` in the coordinates of anchor tokens' rows."""

    anchors: tuple[str, ...]
    coefficients: np.ndarray  # len(anchors) x len(anchors)
    gram: np.ndarray  # cosines of the first CHECKED anchors' rows in the training machine's distillation

    @classmethod
    def of_matrix(cls, matrix: np.ndarray, tables, anchors: list[str]) -> Adapter:
        """The adapter whose map in ``tables``' axes is ``matrix`` (D x D); the anchors' rows must span them."""
        rows = _rows(tables, anchors)
        if np.linalg.matrix_rank(rows) < rows.shape[1]:
            raise ValueError("the anchor tokens' rows do not span the static model's space")
        inverse = np.linalg.pinv(rows)  # D x N: rows^T C rows = matrix for C = inverse^T matrix inverse
        return cls(tuple(anchors), inverse.T @ matrix @ inverse, _cosines(rows[:CHECKED]))

    def matrix(self, tables) -> np.ndarray | None:
        """The map in ``tables``' own axes, or None where ``tables`` is not the distillation it was trained in."""
        return _matrix(self, tables)


@dataclass(frozen=True)
class Learned:
    """Everything the learned query needs: the term weights and, when trained, the adapter."""

    weights: TermWeights
    adapter: Adapter | None = None

    @classmethod
    def load(cls, path: Path) -> Learned:
        with np.load(path, allow_pickle=False) as data:
            weights = TermWeights(
                dict(zip(data["tokens"].tolist(), data["log_weights"].astype(float).tolist(), strict=True)),
                float(data["title"]),
            )
            adapter = None
            if "anchors" in data:
                adapter = Adapter(tuple(data["anchors"].tolist()), data["coefficients"], data["gram"])
        return cls(weights, adapter)

    def save(self, path: Path) -> None:
        tokens = sorted(self.weights.log_weights)
        arrays: dict[str, Any] = {  # Any: numpy types savez's keywords as allow_pickle's bool
            "tokens": np.array(tokens),
            "log_weights": np.array([self.weights.log_weights[t] for t in tokens], dtype=np.float32),
            "title": np.array(self.weights.title, dtype=np.float32),
        }
        if self.adapter is not None:
            arrays |= {
                "anchors": np.array(self.adapter.anchors),
                "coefficients": self.adapter.coefficients.astype(np.float32),
                "gram": self.adapter.gram.astype(np.float32),
            }
        out = io.BytesIO()
        np.savez_compressed(out, **arrays)
        atomic_write_bytes(path, out.getvalue())  # a reader never sees half a model


@lru_cache(maxsize=1)
def learned() -> Learned | None:
    """The shipped model, or None where it was never trained (the learned signal is then absent)."""
    return Learned.load(WEIGHTS_FILE) if WEIGHTS_FILE.exists() else None


@lru_cache(maxsize=4)
def _matrix(adapter: Adapter, tables) -> np.ndarray | None:
    """``Adapter.matrix``, computed once per process and table (both are keyed by identity)."""
    try:
        rows = _rows(tables, list(adapter.anchors))
    except KeyError:
        return None
    if (
        rows.shape[0] != adapter.coefficients.shape[0]
        or np.abs(_cosines(rows[:CHECKED]) - adapter.gram).max() > TOLERANCE
    ):
        return None
    return rows.T @ adapter.coefficients.astype(np.float64) @ rows


def _rows(tables, tokens: list[str]) -> np.ndarray:
    ids = [tables.tokenizer.token_to_id(t) for t in tokens]
    if any(i is None for i in ids):
        raise KeyError("an anchor token is not in the static model's vocabulary")
    return np.asarray(tables.embedding[ids], dtype=np.float64)


def _cosines(rows: np.ndarray) -> np.ndarray:
    unit = rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
    return unit @ unit.T


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


def query_vector(embedder, text: str, model: Learned | None = None) -> np.ndarray | None:
    """The issue's unit query vector shaped by the learned model, in the embedder's own space (None: no model,
    or an embedder whose pooling we cannot weigh)."""
    model = model or learned()
    if model is None or embedder is None:
        return None
    text = embedder.config.query_text(text)
    encoder = embedder.model
    if hasattr(encoder, "embedding") and hasattr(encoder, "tokenizer") and hasattr(encoder, "unk"):
        vec = static_vector(encoder, text, model)
        if vec is None:
            return None
    elif hasattr(encoder, "encode") and hasattr(encoder, "tokenizer"):
        vec = _transformer_vector(encoder, text, model.weights)
    else:
        return None
    norm = float(np.linalg.norm(vec))
    return (vec / norm).astype(np.float32) if norm > 0 else None


def static_vector(tables, text: str, model: Learned) -> np.ndarray | None:
    """The learned query of ``text`` over the static rows (not unit length; None: no known token): the weighted
    sum of its tokens' rows, then, where the adapter applies to ``tables``, ``q + q B`` of its unit vector."""
    ids, in_title = static_tokens(tables, text)
    if not ids:
        return None
    vocab = tables.tokenizer.id_to_token
    vec = (model.weights.of([vocab(i) for i in ids], in_title)[:, None] * tables.embedding[ids]).sum(axis=0)
    matrix = model.adapter.matrix(tables) if model.adapter is not None else None
    if matrix is None:
        return vec
    vec = vec / max(float(np.linalg.norm(vec)), 1e-12)
    return vec + vec @ matrix


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
