"""The review a person reads: the one real error first, problems the base already had counted, 80 columns."""

from __future__ import annotations

import io

from core.console import DataConsole
from tools.findings import Finding, GateReport, ReviewResult
from tools.report import print_table, to_github

PRE_EXISTING = [
    Finding(
        rule="tests.pre-existing-failure",
        path=f"tests/test_mod{n}.py",
        line=n + 1,
        severity="warning",
        message=f"tests/test_mod{n}.py::test_case_{n} already failed on the base: "
        "AssertionError: assert 1 == 2\n  + where 1 = compute()\nE long trace line",
    )
    for n in range(40)
]
ERROR = Finding(
    rule="parse.syntax",
    path="src/app/very/deep/package/module_with_a_long_name.py",
    line=12,
    message="python: invalid syntax (the change left an unclosed bracket)",
)
RESULT = ReviewResult(
    passed=False,
    gates=[
        GateReport(name="apply", passed=True),
        GateReport(name="tests", passed=True, findings=PRE_EXISTING),
        GateReport(name="parse", passed=False, findings=[ERROR]),
        GateReport(name="license", passed=True, skipped=True, detail="no dependency manifest changed"),
    ],
)


def rendered(width: int) -> str:
    buffer = io.StringIO()
    print_table(RESULT, DataConsole(file=buffer, width=width, color_system=None))
    return buffer.getvalue()


def test_the_error_comes_first_and_pre_existing_failures_are_one_line() -> None:
    text = rendered(80)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert len(lines) < 25  # not 40 rows of other people's failures
    assert text.index("parse.syntax") < text.index("tests.pre-existing-failure")
    assert "40 places" in text and text.count("tests.pre-existing-") == 1 and "for example" in text
    assert "module_with_a_long_name.py:12" in text.replace("\n", "").replace("│", "").replace(" ", "")
    assert "parse FAILED" in text and "tests ok" in text and "license skipped" in text


def test_github_comments_put_the_error_first_and_summarise_the_rest() -> None:
    body = to_github(RESULT)
    sections = body.split("### ")[1:]
    assert sections[0].startswith("❌ `src/app/very/deep/package/module_with_a_long_name.py:12` — parse.syntax")
    assert len(sections) == 2 and "40 places" in sections[1]


def test_a_gate_that_checked_nothing_says_what_it_tried_once_and_the_verdict_says_not_checked() -> None:
    said = "no related tests; import check: 0 of 3 changed module(s) import"
    unchecked = Finding(rule="tests.import-unchecked", severity="warning", message="3 changed module(s) not checked")
    result = ReviewResult(
        passed=True,
        gates=[GateReport(name="tests", passed=True, skipped=True, findings=[unchecked], detail=said, checked=said)],
    )
    buffer = io.StringIO()
    print_table(result, DataConsole(file=buffer, width=80, color_system=None))
    text = buffer.getvalue()
    assert text.count("import check: 0 of 3") == 1 and "passed, but not checked: tests" in text, text
