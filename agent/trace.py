"""One run's trace: ``.patchgate/runs/<id>/trace.jsonl``, a line per step, model call and gate.

Each line is redacted as a whole (``tools.secrets.redact``) before it is
written, so a key in an issue, a file or a server's error never reaches
disk. Lines are appended and flushed as they happen: a run cut short by
Ctrl-C still leaves a readable trace.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.models.trace import CallRecord
from core.atomic import atomic_write_text
from core.paths import own_dir, state_dir
from core.secrets import redact

# US dollars per million tokens (prompt, completion) for models whose price is public; others cost 0 (local).
PRICES: dict[str, tuple[float, float]] = {
    "openai:gpt-4.1": (2.0, 8.0),
    "openai:gpt-4.1-mini": (0.4, 1.6),
    "openai:gpt-4.1-nano": (0.1, 0.4),
    "openai:gpt-4o": (2.5, 10.0),
    "openai:gpt-4o-mini": (0.15, 0.6),
}


def runs_dir(root: Path) -> Path:
    """``.patchgate/runs`` of ``root``; a symlinked ``.patchgate`` or ``runs`` is refused, never followed."""
    return own_dir(state_dir(root) / "runs")



def estimated_cost(model: str, prompt_tokens: int, completion_tokens: int) -> float:
    """Dollars for one call at the public price of ``model`` (0 when unknown or local)."""
    prompt_price, completion_price = PRICES.get(model, (0.0, 0.0))
    return round((prompt_tokens * prompt_price + completion_tokens * completion_price) / 1e6, 6)


@dataclass
class RunTrace:
    """Appends events for one run and keeps the totals a summary needs."""

    root: Path
    run_id: str = field(default_factory=lambda: time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(3))
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0

    def __post_init__(self) -> None:
        self.dir = runs_dir(self.root) / self.run_id
        self.dir.mkdir(parents=True, exist_ok=True)
        ignore = state_dir(self.root) / ".gitignore"
        if not ignore.exists():  # runs are never something to commit, even before the index excludes .patchgate
            ignore.write_text("*\n", encoding="utf-8")
        self.path = self.dir / "trace.jsonl"
        self._file = self.path.open("a", encoding="utf-8")

    def event(self, kind: str, /, **data: Any) -> None:
        """Append one redacted line."""
        line = json.dumps({"t": round(time.time(), 3), "event": kind, **data}, sort_keys=True, default=str)
        self._file.write(redact(line) + "\n")
        self._file.flush()

    def model_call(self, record: CallRecord) -> None:
        """The ``on_call`` hook for the model layer: one line per call, totals kept."""
        cost = estimated_cost(record.model, record.prompt_tokens, record.completion_tokens)
        self.calls += 1
        self.prompt_tokens += record.prompt_tokens
        self.completion_tokens += record.completion_tokens
        self.cost += cost
        self.event("model_call", **record.to_json(), estimated_cost_usd=cost)

    def save(self, name: str, text: str) -> Path:
        """Write ``text`` next to the trace (e.g. patch.diff), atomically and redacted like the trace itself.

        A passing patch holds no secret (the security gate saw to that); a rejected one, saved for
        reading, may hold the key a model wrote into it, and that never reaches disk.
        """
        return atomic_write_text(self.dir / name, redact(text, name))

    def close(self) -> None:
        self._file.close()
