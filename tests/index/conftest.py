"""A tiny random sentence-transformers model, so dense tests run in seconds without a hub."""

from __future__ import annotations

from pathlib import Path

import pytest

WORDS = [
    "def",
    "class",
    "return",
    "import",
    "self",
    "parse",
    "config",
    "file",
    "server",
    "run",
    "total",
    "price",
    "order",
    "user",
    "name",
    "value",
]


@pytest.fixture(scope="session")
def tiny_embedder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from transformers import BertConfig, BertModel, BertTokenizerFast

    path = tmp_path_factory.mktemp("tiny-st")
    vocab = [
        "[PAD]",
        "[UNK]",
        "[CLS]",
        "[SEP]",
        "[MASK]",
        *WORDS,
        *"abcdefghijklmnopqrstuvwxyz_().:=",
        *(f"##{c}" for c in "abcdefghijklmnopqrstuvwxyz"),
    ]
    (path / "vocab.txt").write_text("\n".join(vocab) + "\n")
    BertTokenizerFast(vocab_file=str(path / "vocab.txt")).save_pretrained(path)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=512,
    )
    BertModel(config).save_pretrained(path)
    return path
