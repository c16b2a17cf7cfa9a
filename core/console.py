"""Where output goes: people read rich tables on stdout, machines read one JSON line.

Progress and messages go to stderr so ``--json`` output on stdout stays clean.

Text from users, repositories and models is data. These consoles never read
markup or emoji codes in a string (an issue saying ``[/]`` or ``:x:`` prints
as written), and every control character that reaches the terminal, from a
string, a table cell or a highlighted diff, is shown as ``\\xNN`` instead of
being sent raw: no escape sequence from an issue or a model drives the
terminal. Styling is ours alone and is given as styles (``Text``, ``style=``),
never as markup inside strings, so no call site has to remember to escape.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from rich.console import Console, ConsoleOptions, JustifyMethod, OverflowMethod, RenderableType
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

from core.errors import PatchgateError

# C0 controls except tab and newline, DEL, C1 controls, and the bidirectional overrides that can
# make code read differently from what it is ("Trojan Source").
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` with every control character shown as ``\\xNN`` (``\\uNNNN`` above 0xff); tab and newline kept."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100 else f"\\u{ord(m[0]):04x}", text)


def first_few(items: Sequence[str], limit: int = 3, sep: str = ", ") -> str:
    """``a, b, c and 2 more``: the first ``limit`` of ``items`` and how many more there are, as a report lists them;
    joined by ``"; "`` (items that hold commas), ``a; b; and 2 more``."""
    shown, more = sep.join(items[:limit]), len(items) - limit
    if more <= 0:
        return shown
    return f"{shown}{';' if sep.strip() == ';' else ''} and {more} more"


class DataConsole(Console):
    """A rich console for which every string is plain data: no markup, no emoji codes, no control characters."""

    def render_str(
        self,
        text: str,
        *,
        style: str | Style = "",
        justify: JustifyMethod | None = None,
        overflow: OverflowMethod | None = None,
        emoji: bool | None = None,
        markup: bool | None = None,
        highlight: bool | None = None,
        highlighter: Any = None,
    ) -> Text:
        """Every str a console renders (print arguments, table cells, titles) comes through here."""
        return super().render_str(
            printable(text),
            style=style,
            justify=justify,
            overflow=overflow,
            emoji=False,
            markup=False,
            highlight=False,
            highlighter=highlighter,
        )

    def render(self, renderable: RenderableType, options: ConsoleOptions | None = None) -> Iterable[Segment]:
        """The last line of defence: text segments (``Text``, ``Syntax``) lose their control characters too."""
        for segment in super().render(renderable, options):
            if segment.control is None and _CONTROL.search(segment.text):
                yield Segment(printable(segment.text), segment.style)
            else:
                yield segment


out = DataConsole(highlight=False, markup=False, emoji=False)
err = DataConsole(stderr=True, highlight=False, markup=False, emoji=False, soft_wrap=True)  # a message stays one line


def emit_json(payload: Any) -> None:
    """Print ``payload`` as one JSON line on stdout (the last line a machine reads)."""
    print(json.dumps(payload, default=str), flush=True)  # patchgate: allow (the JSON line is the output)


@contextmanager
def json_error(as_json: bool) -> Iterator[None]:
    """With --json, a failure still prints one JSON object on stdout (``{"error", "exit_code"}``) before
    the usual ``error:`` line on stderr, so a script reading stdout always gets an answer."""
    try:
        yield
    except PatchgateError as exc:
        if as_json:
            emit_json({"error": str(exc), "type": type(exc).__name__, "exit_code": exc.exit_code})
        raise


def print_data(text: str) -> None:
    """Print text that *is* the command's output (a packed context, a document) exactly as it is.

    Redirected to a file it is byte for byte what the library produced; on a
    terminal its control characters are shown as ``\\xNN`` like everything else.
    """
    stream = sys.stdout
    stream.write(printable(text) if stream.isatty() else text)
    if not text.endswith("\n"):
        stream.write("\n")
    stream.flush()


def progress(*, transient: bool = True):
    """A rich progress bar on stderr, shared by every long-running step (descriptions are plain text)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("{task.description}", markup=False, style="progress.description"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=err,
        transient=transient,
    )
