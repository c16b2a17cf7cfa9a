"""The transformer embedder's own input pipeline (length buckets, background tokenizer) on CPU."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from retrieval.embeddings import EmbeddingConfig, TransformerEmbedder

TEXTS = [
    "def total(self, items): return sum(items)",
    "x",
    "class Cart:\n    def run(self): pass " * 9,
    "import config",
    "user name value " * 30,
    "order price",
    "",
]


def test_bucketed_batches_keep_each_vector_with_its_text(tiny_embedder: Path) -> None:
    config = EmbeddingConfig(dense="transformer", embedding_model=str(tiny_embedder), device="cpu", batch_size=2)
    embedder = TransformerEmbedder(str(tiny_embedder), "cpu", config)
    got = embedder.embed(TEXTS)
    want = embedder.model.encode(TEXTS, batch_size=1, normalize_embeddings=True, convert_to_numpy=True)
    assert got.shape == (len(TEXTS), embedder.dim)
    np.testing.assert_allclose(got, want, atol=1e-5)
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    assert embedder.embed([]).shape == (0, embedder.dim)


def test_distillation_leaves_cores_that_other_work_holds(monkeypatch) -> None:
    """On a shared 2-core machine two threads fighting other work distilled 2-3x slower than one."""
    from retrieval import embeddings

    monkeypatch.setattr(embeddings.os, "cpu_count", lambda: 2)
    for load, threads in ((0.2, 2), (1.1, 1), (7.5, 1)):
        monkeypatch.setattr(embeddings.os, "getloadavg", lambda load=load: (load, load, load))
        assert embeddings._free_cores(8) == threads
    monkeypatch.setattr(embeddings.os, "cpu_count", lambda: 16)
    assert embeddings._free_cores(4) == 4  # never more than torch would use
