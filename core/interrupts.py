"""Interrupts and the processes patchgate starts: workers a Ctrl-C must not reach while they start, and
process groups stopped whole.

A spawned Python worker spends its first half second or more importing. A Ctrl-C there (the terminal sends it
to every process of the foreground group) ends it with a traceback on the user's terminal, one per worker,
before any handler of ours exists. An ignored SIGINT is the one setting a new interpreter keeps: Python installs
its KeyboardInterrupt handler only where SIGINT was not ignored, and a blocked mask does not survive
(multiprocessing's resource tracker lifts it in the parent on the first start). So workers are started while
this process ignores SIGINT; one that must stop on Ctrl-C installs its own handler once started, and its
parent passes the interrupt on (``evaluation.executors``). For the milliseconds the starts take, this process
ignores Ctrl-C too.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator


@contextlib.contextmanager
def children_start_ignoring_interrupts() -> Iterator[None]:
    """Processes started in this block start with SIGINT ignored (and so does this process, meanwhile).

    Off the main thread nothing changes: only it may set a handler (an MCP server refreshing an index in a
    worker thread), and a handler installed outside Python could not be put back.
    """
    previous = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or previous is None:
        yield
        return
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def signal_group(group: int, signum: int) -> None:
    """Send ``signum`` to the process group ``group`` (a process started in a group or session of its own, and
    all it started); a group already gone is not an error."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signum)
