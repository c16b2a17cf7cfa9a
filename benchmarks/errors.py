"""How a benchmark script stops on bad input: as the ``patchgate`` command does, one ``error:`` line and exit 2."""

from __future__ import annotations

import sys
from typing import NoReturn


def fail(message: str) -> NoReturn:
    """Stop with ``error: message`` on stderr and exit status 2 (``sys.exit(text)`` would exit 1)."""
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)
