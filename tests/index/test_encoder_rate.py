"""The tuned encoder's speed on this machine, timed once and read back (``retrieval.encoder_rate``)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer

from core.settings import EmbeddingConfig
from retrieval import encoder_rate
from retrieval.embeddings import TUNED_DOCUMENT_TOKENS, TransformerEmbedder, default_model_path


def test_the_encoder_is_timed_once_per_machine_and_read_back(monkeypatch, tmp_path: Path) -> None:
    """The first index that needs the rate times the real encoder on code-like chunks longer than it reads; every
    later choice reads the figure back, as timing again would add seconds to every first index. A damaged file is
    only a cache: it is timed again, never a traceback."""
    monkeypatch.setenv("PATCHGATE_CACHE", str(tmp_path))
    monkeypatch.setattr(encoder_rate, "PROBE_CHUNKS", 16)  # the real encoder on fewer texts
    tuned = TransformerEmbedder(default_model_path(), "cpu", EmbeddingConfig(device="cpu"), tuned=True)
    made: list[int] = []  # the texts of each call: a warm-up and the timed runs make one timing

    def embed(texts: list[str]) -> np.ndarray:
        made.append(len(texts))
        return tuned.embed(texts)

    timing = encoder_rate.RUNS + 1
    rate = encoder_rate.chunks_per_second(tuned.model_id, embed)
    assert rate > 0 and len(made) == timing
    stored = json.loads((tmp_path / "encoder_rates.json").read_text())
    assert list(stored.values()) == [rate] and next(iter(stored)).startswith(tuned.model_id)
    assert encoder_rate.chunks_per_second(tuned.model_id, embed) == rate and len(made) == timing
    assert encoder_rate.cached_rate(tuned.model_id) == rate and encoder_rate.cached_rate("another encoder") is None

    (tmp_path / "encoder_rates.json").write_text("{damaged")
    assert encoder_rate.cached_rate(tuned.model_id) is None
    assert encoder_rate.chunks_per_second(tuned.model_id, embed) > 0 and len(made) == 2 * timing
    assert json.loads((tmp_path / "encoder_rates.json").read_text())  # written again, whole

    words = Tokenizer.from_file(str(Path(default_model_path()) / "tokenizer.json"))
    words.no_truncation()
    lengths = [len(words.encode(text).ids) for text in encoder_rate.probe_texts(3)]
    assert min(lengths) > TUNED_DOCUMENT_TOKENS, "timed at the full length the encoder reads"
