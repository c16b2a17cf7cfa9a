"""Fixtures for the evaluation tests: one environment cache for the session, the scripted model."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "agent"))

from agentkit import ScriptedModel, scripted_server


@pytest.fixture(scope="session")
def envs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Environments are cached by content, so the synthetic repositories' build once per session."""
    return tmp_path_factory.mktemp("envs")


@pytest.fixture
def scripted() -> Iterator[ScriptedModel]:
    with scripted_server() as model:
        yield model
