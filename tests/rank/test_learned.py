"""The learned query: term weights learned from fixes move the issue's vector toward the words that locate a bug."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

from core.settings import EmbeddingConfig
from retrieval.embeddings import default_model_path
from retrieval.learned import TermWeights, query_vector, static_tokens
from retrieval.static_tables import StaticTables


@dataclass
class Embedder:
    """What ``query_vector`` reads from an embedder: its settings and its static tables."""

    config: EmbeddingConfig
    model: StaticTables


@pytest.fixture(scope="module")
def embedder(tmp_path_factory: pytest.TempPathFactory) -> Embedder:
    """A static model with the packaged MiniLM's real tokenizer (without padding, as the distilled one) and a random
    16-dimensional table."""
    folder = tmp_path_factory.mktemp("static")
    tokenizer = json.loads((Path(default_model_path()) / "tokenizer.json").read_text())
    (folder / "tokenizer.json").write_text(
        json.dumps({**tokenizer, "padding": None, "truncation": None})
    )  # as distilled
    (folder / "config.json").write_text(json.dumps({"max_length": 512}))
    size = len(json.loads((folder / "tokenizer.json").read_text())["model"]["vocab"])
    table = np.random.default_rng(0).normal(size=(size, 16)).astype(np.float32)
    save_file({"embeddings": table}, str(folder / "model.safetensors"))
    return Embedder(EmbeddingConfig(dense="static"), StaticTables(folder))


def row(embedder: Embedder, word: str) -> np.ndarray:
    vec = embedder.model.embedding[embedder.model.tokenizer.token_to_id(word)]
    return vec / np.linalg.norm(vec)


ISSUE = "printer crash on empty input\n\nthe printer should not crash when the input is empty"


def test_without_learned_weights_the_query_is_the_plain_static_query(embedder: Embedder) -> None:
    plain = embedder.model.encode([ISSUE])[0]
    learned = query_vector(embedder, ISSUE, TermWeights({}, 0.0))
    assert learned is not None
    assert np.allclose(learned, plain / np.linalg.norm(plain), atol=1e-5)


def test_weights_pull_the_query_toward_the_words_they_favour(embedder: Embedder) -> None:
    plain = query_vector(embedder, ISSUE, TermWeights({}, 0.0))
    favoured = query_vector(embedder, ISSUE, TermWeights({"printer": 2.0, "crash": -2.0, "the": -3.0}, 0.0))
    assert plain is not None and favoured is not None
    assert favoured @ row(embedder, "printer") > plain @ row(embedder, "printer") + 0.1
    assert favoured @ row(embedder, "crash") < plain @ row(embedder, "crash")


def test_the_title_weight_counts_the_first_line_more(embedder: Embedder) -> None:
    ids, in_title = static_tokens(embedder.model, "\n  empty input\nthe printer")
    words = [embedder.model.tokenizer.id_to_token(i) for i in ids]
    assert words == ["empty", "input", "the", "printer"] and in_title == [True, True, False, False]
    body_first = query_vector(embedder, "empty input\nthe printer", TermWeights({}, 3.0))
    assert body_first is not None and body_first @ row(embedder, "empty") > body_first @ row(embedder, "printer")


def test_weights_load_from_their_json_and_name_the_words_they_favour(tmp_path: Path) -> None:
    path = tmp_path / "learned.json"
    path.write_text(json.dumps({"title": 0.5, "log_weights": {"printer": 1.2, "the": -2.0, "fix": -1.0}}))
    weights = TermWeights.load(path)
    assert weights.title == 0.5 and weights.of(["printer", "unknown"], [True, False]).tolist() == pytest.approx(
        [np.exp(1.7), 1.0]
    )
    assert weights.heaviest(["the", "printer", "fix", "of"], n=2) == ["printer", "fix"]  # "of": too short to name
