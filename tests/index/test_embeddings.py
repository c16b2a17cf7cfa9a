"""The transformer embedder's own input pipeline (length buckets, background tokenizer) on CPU."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

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
ROOT = Path(__file__).resolve().parents[2]


def test_bucketed_batches_keep_each_vector_with_its_text(tiny_embedder: Path) -> None:
    config = EmbeddingConfig(dense="transformer", embedding_model=str(tiny_embedder), device="cpu", batch_size=2)
    embedder = TransformerEmbedder(str(tiny_embedder), "cpu", config)
    got = embedder.embed(TEXTS)
    want = embedder.model.encode(TEXTS, batch_size=1, normalize_embeddings=True, convert_to_numpy=True)
    assert got.shape == (len(TEXTS), embedder.dim)
    bf16 = str(next(embedder.model.parameters()).dtype) == "torch.bfloat16"  # a CPU with bfloat16 instructions
    np.testing.assert_allclose(got, want, atol=2e-2 if bf16 else 1e-5)  # another text's vector is 0.1-1 away
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


def test_tuned_encoder_reads_each_chunks_head_and_the_whole_issue() -> None:
    """The tuned encoder (the packaged MiniLM with the trained adapter) embeds a chunk from its first 64 tokens, so
    two chunks that differ only further down share a vector, while an issue is read whole."""
    from retrieval.embeddings import TUNED_DOCUMENT_TOKENS, make_embedder

    tuned = make_embedder(EmbeddingConfig(dense="tuned", device="cpu"))
    assert isinstance(tuned, TransformerEmbedder)
    head = "def parse_header(line):\n    " + "name, value = line.split(':')\n    " * 12
    same_head = tuned.embed([head + "return name", head + "raise ValueError(line)"])
    np.testing.assert_allclose(same_head[0], same_head[1], atol=1e-6)
    assert len(tuned.model.preprocess([head])["input_ids"][0]) > TUNED_DOCUMENT_TOKENS  # the cut is real
    issue = "Parsing a header fails. " * 20
    far_apart = [tuned.embed_query(issue + ending) for ending in ("It crashes on colons.", "Unicode names break.")]
    assert float(far_apart[0] @ far_apart[1]) < 0.9999

    plain = make_embedder(EmbeddingConfig(dense="transformer", device="cpu"))
    assert plain.model_id != tuned.model_id  # the vector cache never serves one's vectors to the other
    short = "def total(self, items): return sum(items)"
    assert float(plain.embed([short])[0] @ tuned.embed([short])[0]) < 0.99  # the adapter changed the model
    # the query's numpy backend and the chunks' torch backend are one model: a chunk's own text finds it
    assert float(tuned.embed_query(short) @ tuned.embed([short])[0]) > 0.99


def test_a_tuned_query_never_imports_torch() -> None:
    """A cold ``patchgate context`` embeds one query: torch's import alone would be 0.9 s of it on two cores."""
    probe = (
        "import sys\n"
        "from core.settings import EmbeddingConfig\n"
        "from retrieval.embeddings import make_embedder\n"
        "vector = make_embedder(EmbeddingConfig(dense='tuned', device='cpu')).embed_query('parse fails on colons')\n"
        "print(vector.shape, vector.dtype, 'torch' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.split() == ["(384,)", "float32", "False"]


def test_tuned_encoder_adapts_only_the_packaged_model(tiny_embedder: Path) -> None:
    """The adapter was trained on the packaged MiniLM; naming another model with it is a configuration error."""
    from core.errors import ConfigError
    from retrieval.embeddings import make_embedder

    with pytest.raises(ConfigError, match="cannot adapt embedding_model"):
        make_embedder(EmbeddingConfig(dense="tuned", embedding_model=str(tiny_embedder), device="cpu"))


def test_auto_gives_the_tuned_encoder_what_this_machine_embeds_in_time(
    monkeypatch, tmp_path: Path, tiny_embedder: Path
) -> None:
    """Two 2-core Xeons with AMX index sympy with the tuned encoder in 85 s and 188 s: the CPU's flags do not say
    whether a repository fits the 180 s a first index may take, the encoder's rate timed on the machine does. So on a
    CPU with bfloat16 instructions ``auto`` gives the tuned encoder as many chunks as it embeds in
    ``TUNED_VECTOR_SECONDS`` (timed once, then read back) and the static model the rest, or a repository of unknown
    size; without bfloat16, or for a model of the user's own (it has no adapter), the static model. ``doctor`` says
    the rule in words, and times nothing."""
    from retrieval import embeddings, encoder_rate

    timings: list[object] = []

    def timed(embed: object) -> float:
        timings.append(embed)
        return 100.0  # chunks/s: a slow machine

    monkeypatch.setenv("PATCHGATE_CACHE", str(tmp_path))
    monkeypatch.setattr(encoder_rate, "_measure", timed)
    monkeypatch.setattr(embeddings, "_distilled", lambda model: Path(model))  # the choice, not the distillation
    monkeypatch.setattr(embeddings, "_cpu_flags", lambda: frozenset({"avx512_bf16"}))
    cpu = EmbeddingConfig(device="cpu")
    before = embeddings.dense_rule(cpu)
    assert before == "tuned here for what it embeds in 130 s (timed at the first index), static beyond"
    assert timings == []
    limit = 100 * embeddings.TUNED_VECTOR_SECONDS
    for chunks, kind in {0: "tuned", limit: "tuned", limit + 1: "static", None: "static", 10: "tuned"}.items():
        chosen = embeddings.make_embedder(cpu, chunks)
        assert chosen is not None and chosen.kind == kind, chunks
    assert len(timings) == 1, "timed once, then read back"
    assert embeddings.dense_rule(cpu) == "tuned here up to 13,000 chunks (100 chunks/s), static beyond"

    monkeypatch.setattr(embeddings, "_cpu_flags", frozenset)  # no bfloat16: float32, a third of the speed
    for chunks in (0, 10, None):
        chosen = embeddings.make_embedder(cpu, chunks)
        assert chosen is not None and chosen.kind == "static", chunks
    assert embeddings.dense_rule(cpu) == "static here"
    monkeypatch.setattr(embeddings, "_cpu_flags", lambda: frozenset({"amx_bf16"}))
    own = embeddings.make_embedder(EmbeddingConfig(device="cpu", embedding_model=str(tiny_embedder)), 0)
    assert own is not None and own.kind == "static"


def test_the_tuned_forward_pass_is_berts() -> None:
    """``retrieval/tuned_model.py`` writes MiniLM's forward pass once, run on torch (an index's chunks) and on numpy
    (a query, without torch's import): transformers' own ``BertModel`` and tokenizer, with the same adapter
    merged, must agree with both."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    from retrieval.adapter import merge_adapter
    from retrieval.embeddings import default_model_path
    from retrieval.tuned_model import TunedModel

    path = default_model_path()
    ours = TunedModel(path, "cpu")  # float32: the comparison is of the arithmetic, not of a precision
    features = ours.preprocess(TEXTS)
    want_ids = AutoTokenizer.from_pretrained(path)(TEXTS, padding=True, truncation=True, max_length=256)
    assert features["input_ids"].tolist() == want_ids["input_ids"]
    bert = AutoModel.from_pretrained(path).eval()
    merge_adapter({k: v.numpy() for k, v in bert.state_dict().items()})
    with torch.no_grad():
        got = ours(features)["sentence_embedding"]
        hidden = bert(**features).last_hidden_state
    mask = features["attention_mask"].unsqueeze(-1).float()
    want = (hidden * mask).sum(1) / mask.sum(1)
    torch.testing.assert_close(got, want, atol=1e-4, rtol=1e-4)
    on_numpy = TunedModel(path, None)
    np_features = on_numpy.preprocess(TEXTS)
    assert isinstance(np_features["input_ids"], np.ndarray)  # no tensor anywhere on this path
    torch.testing.assert_close(
        torch.from_numpy(on_numpy(np_features)["sentence_embedding"]), want, atol=1e-4, rtol=1e-4
    )
