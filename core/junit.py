"""One reader for JUnit XML reports, the format pytest writes and CI systems hand over.

The tests gate reads the report of its own pytest run; ``suggest`` reads the one CI produced. Both want the
same thing: each test case with its outcome, place and first message line (a doctest's made one).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from core.errors import InputError

Outcome = Literal["passed", "failed", "error", "skipped"]


@dataclass(frozen=True)
class TestCase:
    """One ``<testcase>``: its pytest-style id, where it is, how it ended and why."""

    __test__ = False  # not a pytest test class

    classname: str
    name: str
    file: str | None
    line: int | None  # 1-based
    outcome: Outcome
    message: str
    detail: str = ""  # the element's whole text (a traceback), for a cause its first line does not name
    seconds: float = 0.0  # how long it took, setup and teardown included

    @property
    def test_id(self) -> str:
        return f"{self.classname}::{self.name}"

    @property
    def failed(self) -> bool:
        return self.outcome in ("failed", "error")


# pytest's message for an error whose report has no crash line (a fixture lookup): where the test is, then its text
_LOCATED = re.compile(r'(failed on (?:setup|teardown) with )"file .+, line \d+\n')
_E_LINE = re.compile(r"^E\s+(.+)$", re.M)


def read_junit(path: Path) -> list[TestCase]:
    """Every test case in the report at ``path``; an unreadable report is a one-line InputError."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as exc:
        raise InputError(f"cannot read JUnit report {path}: {exc}") from None
    cases = []
    for case in root.iter("testcase"):
        outcome: Outcome = "passed"
        message = detail = ""
        for tag in ("failure", "error", "skipped"):
            element = case.find(tag)
            if element is not None:
                outcome = "failed" if tag == "failure" else tag  # type: ignore[assignment]
                message = _first_line((element.get("message") or element.text or "").strip())
                detail = (element.text or "")[-2000:]
                break
        line = case.get("line")
        cases.append(
            TestCase(
                classname=case.get("classname", ""),
                name=case.get("name", ""),
                file=case.get("file"),
                line=int(line) + 1 if line and line.isdigit() else None,
                outcome=outcome,
                message=message,
                detail=detail,
                seconds=_seconds(case.get("time")),
            )
        )
    return cases


def _seconds(text: str | None) -> float:
    """A case's ``time`` attribute as seconds; 0 where it is absent or no number."""
    try:
        return float(text or 0)
    except ValueError:
        return 0.0


def _first_line(message: str) -> str:
    """The line of a failure's message a report shows. A doctest's is made one, ``>>> hello("ann"): expected
    'HELLO, ANN!', got 'HELLO, ANN?'``: pytest's starts with the docstring's numbered lines, and its first said
    only ``007 Greet someone loudly.``. A fixture pytest could not find is its ``E`` line: the message starts with
    where the test is written (``failed on setup with "file tests/test_x.py, line 12``), which said nothing of why
    requests-mock's own tests failed once its packaging lost its pytest plugin."""
    if (located := _LOCATED.match(message)) and (said := _E_LINE.search(message)):
        return f'{located[1]}"{said[1].strip()}"'
    head, expected_at, rest = message.partition("\nExpected:\n")
    expected, got_at, got = rest.partition("\nGot:\n")
    if not (expected_at and got_at):
        return message.splitlines()[0] if message else ""
    example = next((line.partition(">>>")[2].strip() for line in reversed(head.splitlines()) if ">>>" in line), "")
    wanted, printed = " ".join(expected.split()), " ".join(got.partition("\n\n")[0].split())
    return f">>> {example}: expected {wanted}, got {printed}"
