"""One run's trace: ``.patchgate/runs/<id>/trace.jsonl``, a line per step, model call and gate.

Each line is redacted as a whole (``core.secrets.redact``) before it is
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

from agent.models.base import Usage
from agent.models.trace import CallRecord
from core.atomic import atomic_write_text
from core.paths import own_dir, state_dir
from core.secrets import redact


def runs_dir(root: Path) -> Path:
    """``.patchgate/runs`` of ``root``; a symlinked ``.patchgate`` or ``runs`` is refused, never followed."""
    return own_dir(state_dir(root) / "runs")


@dataclass
class RunTrace:
    """Appends events for one run and keeps the totals a summary needs (``usage``, the sum of every call's)."""

    root: Path
    run_id: str = field(default_factory=lambda: time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(3))
    calls: int = 0
    usage: Usage = field(default_factory=Usage)

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
        self.calls += 1
        self.usage += record.usage
        self.event("model_call", **record.to_json())

    def save(self, name: str, text: str) -> Path:
        """Write ``text`` next to the trace (e.g. patch.diff), atomically and redacted like the trace itself.

        A passing patch holds no secret (the security gate saw to that); a rejected one, saved for
        reading, may hold the key a model wrote into it, and that never reaches disk.
        """
        return atomic_write_text(self.dir / name, redact(text, name))

    def close(self) -> None:
        self._file.close()
