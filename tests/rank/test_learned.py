"""The learned query: term weights learned from fixes move the issue's vector toward the words that locate a bug."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from core.settings import EmbeddingConfig
from retrieval.learned import Adapter, Learned, TermWeights, query_vector, static_tokens
from retrieval.static_tables import StaticTables


@dataclass
class Embedder:
    """What ``query_vector`` reads from an embedder: its settings and its static tables."""

    config: EmbeddingConfig
    model: StaticTables | Rotated


@pytest.fixture(scope="module")
def embedder(static_folder: Path) -> Embedder:
    """A static model with the packaged MiniLM's real tokenizer and a random 16-dimensional table."""
    return Embedder(EmbeddingConfig(dense="static"), StaticTables(static_folder))


@dataclass(eq=False)  # hashed by identity, as the adapter's cache keys a table
class Rotated:
    """Another machine's distillation of the same model: the same table in other axes (``T Q``), as its PCA gives."""

    tables: StaticTables
    rotation: np.ndarray

    def __getattr__(self, name: str) -> object:
        return getattr(self.tables, name)

    @property
    def embedding(self) -> np.ndarray:
        return self.tables.embedding @ self.rotation


def weights_only(weights: TermWeights) -> Learned:
    return Learned(weights)


def row(embedder: Embedder, word: str) -> np.ndarray:
    vec = embedder.model.embedding[embedder.model.tokenizer.token_to_id(word)]
    return vec / np.linalg.norm(vec)


ISSUE = "printer crash on empty input\n\nthe printer should not crash when the input is empty"


def test_without_learned_weights_the_query_is_the_plain_static_query(embedder: Embedder) -> None:
    plain = embedder.model.encode([ISSUE])[0]
    learned = query_vector(embedder, ISSUE, weights_only(TermWeights({}, 0.0)))
    assert learned is not None
    assert np.allclose(learned, plain / np.linalg.norm(plain), atol=1e-5)


def test_weights_pull_the_query_toward_the_words_they_favour(embedder: Embedder) -> None:
    plain = query_vector(embedder, ISSUE, weights_only(TermWeights({}, 0.0)))
    favoured = query_vector(
        embedder, ISSUE, weights_only(TermWeights({"printer": 2.0, "crash": -2.0, "the": -3.0}, 0.0))
    )
    assert plain is not None and favoured is not None
    assert favoured @ row(embedder, "printer") > plain @ row(embedder, "printer") + 0.1
    assert favoured @ row(embedder, "crash") < plain @ row(embedder, "crash")


def test_the_title_weight_counts_the_first_line_more(embedder: Embedder) -> None:
    ids, in_title = static_tokens(embedder.model, "\n  empty input\nthe printer")
    words = [embedder.model.tokenizer.id_to_token(i) for i in ids]
    assert words == ["empty", "input", "the", "printer"] and in_title == [True, True, False, False]
    body_first = query_vector(embedder, "empty input\nthe printer", weights_only(TermWeights({}, 3.0)))
    assert body_first is not None and body_first @ row(embedder, "empty") > body_first @ row(embedder, "printer")


ANCHORS = [
    *("printer", "crash", "empty", "input", "should", "not", "when", "the", "is"),
    *("and", "code", "file", "error", "value", "type", "name", "list"),
]


def adapter(embedder: Embedder, matrix: np.ndarray) -> Adapter:
    return Adapter.of_matrix(matrix, embedder.model, ANCHORS)


def test_the_adapter_maps_the_unit_query(embedder: Embedder) -> None:
    matrix = np.random.default_rng(1).normal(scale=0.3, size=(16, 16))
    before = query_vector(embedder, ISSUE, weights_only(TermWeights({}, 0.0)))
    after = query_vector(embedder, ISSUE, Learned(TermWeights({}, 0.0), adapter(embedder, matrix)))
    assert before is not None and after is not None
    expected = before + before @ matrix
    assert np.allclose(after, expected / np.linalg.norm(expected), atol=1e-5)


def test_the_adapter_means_the_same_in_another_machines_axes(embedder: Embedder) -> None:
    """Trained in one distillation, applied in a rotated one (another machine's PCA): the same query, rotated."""
    matrix = np.random.default_rng(1).normal(scale=0.3, size=(16, 16))
    model = Learned(TermWeights({"printer": 1.0}, 0.5), adapter(embedder, matrix))
    rotation, _ = np.linalg.qr(np.random.default_rng(2).normal(size=(16, 16)))
    here = query_vector(embedder, ISSUE, model)
    there = query_vector(Embedder(embedder.config, Rotated(embedder.model, rotation)), ISSUE, model)
    assert here is not None and there is not None
    assert np.allclose(there, here @ rotation, atol=1e-5)


def test_a_different_distillation_gets_the_term_weights_without_the_adapter(embedder: Embedder) -> None:
    """A table that is not a rotation of the training one (another model, another distillation setting): the
    adapter's map would be noise there, so only the term weights apply."""
    weights = TermWeights({"printer": 1.0}, 0.5)
    model = Learned(weights, adapter(embedder, np.random.default_rng(1).normal(scale=0.3, size=(16, 16))))
    other = Embedder(embedder.config, Rotated(embedder.model, np.diag(np.linspace(0.5, 2.0, 16))))
    assert np.allclose(query_vector(other, ISSUE, model), query_vector(other, ISSUE, weights_only(weights)), atol=1e-6)


def test_the_model_saves_and_loads_as_plain_arrays(embedder: Embedder, tmp_path: Path) -> None:
    matrix = np.random.default_rng(1).normal(scale=0.3, size=(16, 16))
    model = Learned(TermWeights({"printer": 1.2, "the": -2.0, "fix": -1.0}, 0.5), adapter(embedder, matrix))
    model.save(tmp_path / "learned.npz")
    loaded = Learned.load(tmp_path / "learned.npz")
    weights = loaded.weights
    assert weights.title == 0.5 and weights.of(["printer", "unknown"], [True, False]).tolist() == pytest.approx(
        [np.exp(1.7), 1.0]
    )
    assert weights.heaviest(["the", "printer", "fix", "of"], n=2) == ["printer", "fix"]  # "of": too short to name
    assert loaded.adapter is not None and np.allclose(loaded.adapter.matrix(embedder.model), matrix, atol=1e-4)
    assert np.allclose(query_vector(embedder, ISSUE, loaded), query_vector(embedder, ISSUE, model), atol=1e-5)
