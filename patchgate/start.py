"""The first code the ``patchgate`` command runs: a Ctrl-C while it starts is one line, like any other.

Importing the CLI (click, rich, the settings) takes a tenth of a second or more, and Python raises
KeyboardInterrupt wherever a Ctrl-C lands, so one pressed at once after Enter printed a traceback of those
imports. Here, before them, a Ctrl-C ends the command with ``error: interrupted`` and exit 130, as
``patchgate.cli.main`` does once it runs; nothing has been made yet, so there is nothing to clean up. Only the
interpreter's own start is left before this (tens of milliseconds), where a Ctrl-C ends the process silently.
"""

from __future__ import annotations

import os
import signal
import sys


def main() -> None:
    """Import the CLI with Ctrl-C turned into a quiet exit, then run it with Ctrl-C as it was."""
    previous = signal.getsignal(signal.SIGINT)
    if previous is signal.default_int_handler:  # not a run started with Ctrl-C ignored (nohup, `cmd &`)
        signal.signal(signal.SIGINT, _interrupted_while_starting)
    from patchgate.cli import main as run

    if previous is signal.default_int_handler:
        signal.signal(signal.SIGINT, previous)
    run()


def _interrupted_while_starting(_signum: int, _frame: object) -> None:
    sys.stderr.write("error: interrupted\n")
    sys.stderr.flush()
    os._exit(130)
