"""Fixtures of the ranking tests."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

from retrieval.embeddings import default_model_path


@pytest.fixture(scope="session")
def static_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A static model as patchgate distils one (the packaged MiniLM's tokenizer without padding or truncation) but
    with a random 16-dimensional table: a static index in milliseconds, without the 15 s distillation."""
    folder = tmp_path_factory.mktemp("static")
    tokenizer = json.loads((Path(default_model_path()) / "tokenizer.json").read_text())
    (folder / "tokenizer.json").write_text(json.dumps({**tokenizer, "padding": None, "truncation": None}))
    (folder / "config.json").write_text(json.dumps({"max_length": 512}))
    size = len(tokenizer["model"]["vocab"])
    table = np.random.default_rng(0).normal(size=(size, 16)).astype(np.float32)
    save_file({"embeddings": table}, str(folder / "model.safetensors"))
    return folder
