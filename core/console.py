"""Where output goes: people read rich tables on stdout, machines read one JSON line.

Progress and messages go to stderr so ``--json`` output on stdout stays clean.
"""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console

out = Console(highlight=False)
err = Console(stderr=True, highlight=False, soft_wrap=True)  # a message stays one line


def emit_json(payload: Any) -> None:
    """Print ``payload`` as one JSON line on stdout (the last line a machine reads)."""
    print(json.dumps(payload, default=str), flush=True)  # insertion order: stable and as documented


def progress():
    """A rich progress bar on stderr, shared by every long-running step."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )
