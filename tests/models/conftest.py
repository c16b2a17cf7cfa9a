"""Tiny real models, built once per session (seconds): see tiny.py."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from tiny import build_tiny_model

QWEN_FIM = ["<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>"]


@pytest.fixture(scope="session")
def tiny_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random 2-layer Llama whose tokenizer has Qwen2.5-Coder's FIM tokens."""
    return build_tiny_model(tmp_path_factory.mktemp("tiny"), special_tokens=QWEN_FIM)


@pytest.fixture(scope="session")
def draft_path(tmp_path_factory: pytest.TempPathFactory, tiny_path: Path) -> Path:
    """A smaller random model with the same tokenizer, as a draft."""
    return build_tiny_model(tmp_path_factory.mktemp("draft"), special_tokens=QWEN_FIM, seed=1, layers=1, hidden=32)


@pytest.fixture(scope="session")
def tiny(tiny_path: Path):
    from agent.models.hf import HFModel

    return HFModel(tiny_path)
