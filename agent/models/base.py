"""The one seam between patchgate and any language model.

A provider implements ``Model`` (``complete`` and ``structured``); everything
else (retries, tracing, repair rounds) is shared. Providers are found by name
in ``agent.models.registry``. What only some providers can do is
declared as a capability protocol below (``ConstrainedModel``, ``GrammarToolModel``,
``InfillModel``), and callers ask ``isinstance(model, Capability)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel

Role = Literal["system", "user", "assistant"]
T = TypeVar("T", bound=BaseModel)


@dataclass(frozen=True)
class Message:
    """One chat message."""

    role: Role
    content: str


@dataclass(frozen=True)
class Usage:
    """What model calls cost: the one value a call record embeds, a completion carries and a trace sums.

    ``cost_usd`` is the public price of the tokens (0 for local models and unknown prices); it is the
    only name for cost anywhere, in the trace file too.
    """

    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0
    retries: int = 0
    cost_usd: float = 0.0

    @property
    def tokens(self) -> int:
        """Prompt and completion tokens together."""
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
            self.latency_s + other.latency_s,
            self.retries + other.retries,
            round(self.cost_usd + other.cost_usd, 6),
        )


@dataclass
class Generated:
    """Token ids a local model produced and their text."""

    text: str
    tokens: list[int]
    prompt_tokens: int
    latency_s: float


@dataclass
class Completion:
    """A model's text answer and what it cost."""

    text: str
    usage: Usage = field(default_factory=Usage)


class Model(Protocol):
    """What patchgate needs from a model."""

    name: str

    def complete(
        self, messages: list[Message], *, max_tokens: int = 1024, temperature: float = 0.0, seed: int | None = None
    ) -> Completion:
        """Answer a chat conversation with free text."""
        ...

    def structured(
        self,
        messages: list[Message],
        schema: type[T],
        *,
        max_tokens: int = 1024,
        temperature: float = 0.0,
        seed: int | None = None,
    ) -> tuple[T, Usage]:
        """Answer with an instance of ``schema``, validated; raise OutputValidationError otherwise."""
        ...


@runtime_checkable
class ConstrainedModel(Model, Protocol):
    """A local model that decodes under a grammar, so every answer parses (llguidance)."""

    def generate_constrained(
        self,
        messages: list[Message],
        grammar: str,
        *,
        max_tokens: int = 512,
        temperature: float = 0.0,
        seed: int | None = None,
    ) -> tuple[Completion, Any]:
        """Answer under ``grammar`` (llguidance's serialised form); also returns the guide's statistics."""
        ...


@runtime_checkable
class GrammarToolModel(Model, Protocol):
    """A hosted model that takes a Lark grammar as a custom tool's format (OpenAI's grammar tools)."""

    def grammar_call(
        self, messages: list[Message], lark_grammar: str, *, max_tokens: int = 1024, seed: int | None = None
    ) -> Completion:
        """Answer through a custom tool whose output must match ``lark_grammar``."""
        ...


@runtime_checkable
class InfillModel(Model, Protocol):
    """A local model with its tokenizer, for fill-in-the-middle at the token level."""

    tokenizer: Any

    def generate_ids(
        self,
        prompt: list[int],
        *,
        max_tokens: int,
        temperature: float = 0.0,
        seed: int | None = None,
        logits_processor: list[Any] | None = None,
        stop_ids: list[int] | None = None,
        speculate: bool = False,
        **generate_options: Any,
    ) -> Generated:
        """Continue the token ids ``prompt``; stop at any of ``stop_ids``."""
        ...
