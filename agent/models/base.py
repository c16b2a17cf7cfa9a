"""The one seam between patchgate and any language model.

A provider implements ``Model`` (``complete`` and ``structured``); everything
else (retries, tracing, repair rounds) is shared. Providers are found by name
in ``agent.models.registry``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol, TypeVar

from pydantic import BaseModel

Role = Literal["system", "user", "assistant"]
T = TypeVar("T", bound=BaseModel)


@dataclass(frozen=True)
class Message:
    """One chat message."""

    role: Role
    content: str


@dataclass
class Usage:
    """What one call cost, for the run trace."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0
    retries: int = 0


@dataclass
class Completion:
    """A model's text answer and what it cost."""

    text: str
    usage: Usage = field(default_factory=Usage)


class Model(Protocol):
    """What patchgate needs from a model."""

    name: str

    def complete(self, messages: list[Message], *, max_tokens: int = 1024, temperature: float = 0.0,
                 seed: int | None = None) -> Completion:
        """Answer a chat conversation with free text."""
        ...

    def structured(self, messages: list[Message], schema: type[T], *, max_tokens: int = 1024,
                   temperature: float = 0.0, seed: int | None = None) -> tuple[T, Usage]:
        """Answer with an instance of ``schema``, validated; raise OutputValidationError otherwise."""
        ...
