"""One record per model call, handed to an ``on_call`` callback for the run trace.

The agent writes these to ``runs/<id>/trace.jsonl``; providers only build them.
A record embeds the call's ``Usage`` (priced here, once), so the trace sums
usages and never recomputes a cost. Error texts pass through
``core.secrets.redact`` so a key echoed back by a server never reaches a trace.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from agent.models.base import Usage
from core.secrets import redact

# US dollars per million tokens (prompt, completion) for models whose price is public; others cost 0 (local).
PRICES: dict[str, tuple[float, float]] = {
    "openai:gpt-4.1": (2.0, 8.0),
    "openai:gpt-4.1-mini": (0.4, 1.6),
    "openai:gpt-4.1-nano": (0.1, 0.4),
    "openai:gpt-4o": (2.5, 10.0),
    "openai:gpt-4o-mini": (0.15, 0.6),
}


def estimated_cost(model: str, prompt_tokens: int, completion_tokens: int) -> float:
    """Dollars for one call at the public price of ``model`` (0 when unknown or local)."""
    prompt_price, completion_price = PRICES.get(model, (0.0, 0.0))
    return round((prompt_tokens * prompt_price + completion_tokens * completion_price) / 1e6, 6)


@dataclass
class CallRecord:
    """What one model call did: who answered, what it used (``usage``), how it ended."""

    model: str
    kind: str  # "complete" | "structured" | "generate"
    usage: Usage = field(default_factory=Usage)
    error: str | None = None
    started_at: float = field(default_factory=time.time)

    def finish(self, prompt_tokens: int, completion_tokens: int, latency_s: float, retries: int = 0) -> Usage:
        """Set (and return) this call's usage, priced at ``model``'s public price."""
        self.usage = Usage(
            prompt_tokens,
            completion_tokens,
            latency_s,
            retries,
            estimated_cost(self.model, prompt_tokens, completion_tokens),
        )
        return self.usage

    def to_json(self) -> dict[str, Any]:
        """A plain dict for one trace.jsonl line: the usage counters flat beside model and kind (error redacted)."""
        return {
            "model": self.model,
            "kind": self.kind,
            "error": redact(self.error) if self.error else self.error,
            "started_at": self.started_at,
            **asdict(self.usage),
        }


OnCall = Callable[[CallRecord], None]


def emit(on_call: OnCall | None, record: CallRecord) -> None:
    """Hand ``record`` to the callback, redacting its error text first."""
    if record.error:
        record.error = redact(record.error)
    if on_call is not None:
        on_call(record)
