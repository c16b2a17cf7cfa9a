"""One record per model call, handed to an ``on_call`` callback for the run trace.

The agent writes these to ``runs/<id>/trace.jsonl``; providers only build them.
Error texts pass through ``tools.secrets.redact`` so a key echoed back by a
server never reaches a trace.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from core.secrets import redact


@dataclass
class CallRecord:
    """What one model call did: who answered, what it cost, how it ended."""

    model: str
    kind: str  # "complete" | "structured" | "generate"
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0
    retries: int = 0
    error: str | None = None
    started_at: float = field(default_factory=time.time)

    def to_json(self) -> dict[str, Any]:
        """A plain dict for one trace.jsonl line (error already redacted)."""
        data = asdict(self)
        if data["error"]:
            data["error"] = redact(data["error"])
        return data


OnCall = Callable[[CallRecord], None]


def emit(on_call: OnCall | None, record: CallRecord) -> None:
    """Hand ``record`` to the callback, redacting its error text first."""
    if record.error:
        record.error = redact(record.error)
    if on_call is not None:
        on_call(record)
