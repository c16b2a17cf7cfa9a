"""Fixtures for the agent tests: a scripted model on 127.0.0.1 and a repository with a failing test."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from agentkit import FILES, ScriptedModel, scripted_server


@pytest.fixture
def scripted() -> Iterator[ScriptedModel]:
    with scripted_server() as model:
        yield model


@pytest.fixture
def calc_repo(make_repo: Callable[..., Path]) -> Path:
    """A git repository whose test_add fails (add subtracts)."""
    return make_repo(FILES)
