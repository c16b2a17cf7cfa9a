"""The ``scripted`` provider: replays answers from a JSON list, for tests and demos.

``scripted:answers.json`` holds a list of strings; each call takes the next.
It goes through the same registry, validation and trace as a real model, so
tests of the agent loop exercise the real code paths without a network.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from agent.models.base import Completion, Message, Usage
from agent.models.retry import ModelSettings
from agent.models.structured import structured_with_repair
from agent.models.trace import CallRecord, OnCall, emit
from core.errors import ConfigError, ModelError

T = TypeVar("T", bound=BaseModel)


class ScriptedModel:
    """A deterministic model that answers from a queue."""

    def __init__(self, answers: list[str], *, name: str = "scripted", on_call: OnCall | None = None) -> None:
        self.name = name
        self.answers = list(answers)
        self.on_call = on_call
        self.seen: list[list[Message]] = []  # every conversation it was asked, for assertions

    @classmethod
    def from_spec(cls, spec: Any, *, settings: ModelSettings, on_call: OnCall | None = None) -> ScriptedModel:
        """Load the answer list from the file named in ``scripted:PATH``."""
        path = Path(spec.name)
        try:
            answers = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"scripted model: cannot read {path}: {exc}") from None
        if not isinstance(answers, list) or not all(isinstance(a, str) for a in answers):
            raise ConfigError(f"scripted model: {path} must hold a JSON list of strings")
        return cls(answers, name=f"scripted:{path.name}", on_call=on_call)

    def complete(
        self, messages: list[Message], *, max_tokens: int = 1024, temperature: float = 0.0, seed: int | None = None
    ) -> Completion:
        """The next scripted answer."""
        return self._next(messages, "complete")

    def structured(
        self,
        messages: list[Message],
        schema: type[T],
        *,
        max_tokens: int = 1024,
        temperature: float = 0.0,
        seed: int | None = None,
    ) -> tuple[T, Usage]:
        """The next scripted answer, validated (with the usual repair round)."""
        return structured_with_repair(lambda conv: self._next(conv, "structured"), messages, schema)

    def _next(self, messages: list[Message], kind: str) -> Completion:
        self.seen.append(list(messages))
        record = CallRecord(model=self.name, kind=kind)
        start = time.monotonic()
        if not self.answers:
            record.error = "scripted model has no answers left"
            emit(self.on_call, record)
            raise ModelError(f"{self.name}: no scripted answers left")
        text = self.answers.pop(0)
        usage = record.finish(
            sum(len(m.content.split()) for m in messages), len(text.split()), time.monotonic() - start
        )
        emit(self.on_call, record)
        return Completion(text, usage)
