"""The consoles print text from users, repositories and models as written: no markup, no emoji, no escapes."""

from __future__ import annotations

import io

from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from core.console import DataConsole, first_few, printable

HOSTILE = "[/] [bold]x[/bold] :x: \x1b[2J\x1b]0;title\x07 admin\u202e txt.exe \x7f"


def rendered(*renderables) -> str:
    buffer = io.StringIO()
    console = DataConsole(file=buffer, width=200, force_terminal=True, color_system="standard")
    for renderable in renderables:
        console.print(renderable)
    return buffer.getvalue()


def test_markup_and_emoji_codes_print_as_written_in_strings_cells_and_titles() -> None:
    table = Table(title=HOSTILE)
    table.add_column("issue")
    table.add_row(HOSTILE)
    text = rendered(HOSTILE, table)
    assert text.count("[/] [bold]x[/bold] :x:") == 3 and "❌" not in text


def test_control_characters_never_reach_the_terminal_raw() -> None:
    text = rendered(HOSTILE, Text(HOSTILE, style="red"), Syntax(HOSTILE, "diff"))
    assert "\x1b[2J" not in text and "\x1b]0" not in text and "\x07" not in text and "\u202e" not in text
    assert text.count("\\x1b[2J") == 3 and text.count("\\u202e") == 3 and text.count("\\x7f") == 3
    assert "\x1b[" in text  # our own styling still gets through: only the data was neutralised


def test_printable_keeps_tabs_and_newlines() -> None:
    assert printable("a\tb\nc\rd\x00") == "a\tb\nc\\x0dd\\x00"


def test_a_report_lists_the_first_few_and_counts_the_rest() -> None:
    """Every "and N more" a report writes (the base's failures, the change's packages, the selected files) is one
    function's; the import check's list joins by semicolons, as its items hold commas."""
    assert first_few(["a", "b", "c"]) == "a, b, c"
    assert first_few(["a", "b", "c", "d", "e"]) == "a, b, c and 2 more"
    assert first_few(["x: 1, 2", "y", "z"], 2, sep="; ") == "x: 1, 2; y; and 1 more"
    assert first_few([]) == ""
