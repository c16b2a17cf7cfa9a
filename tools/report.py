"""Render a ReviewResult: a rich table for people, JSON for machines, SARIF for code scanning,
markdown review comments (with ```suggestion blocks) for GitHub.

Renderers read only ``tools.findings`` types, so a new gate needs no new renderer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from tools.findings import Finding, ReviewResult

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SARIF_LEVEL = {"error": "error", "warning": "warning", "note": "note"}


SEVERITY_ORDER = {"error": 0, "warning": 1, "note": 2}
SHOWN_PER_RULE = 3  # past this, the findings of one non-error rule become one summary row
MESSAGE_CHARS = 240


@dataclass(frozen=True)
class Row:
    """One line of a report: a finding, or a summary standing for ``count`` findings of one rule."""

    gate: str
    finding: Finding
    count: int = 1


def _where(finding: Finding) -> str:
    if finding.path is None:
        return "-"
    return f"{finding.path}:{finding.line}" if finding.line else finding.path


def report_rows(result: ReviewResult) -> list[Row]:
    """Errors first (every one of them), then warnings and notes, summarised past a few per rule.

    A change that touches one line must not drown its one real error under
    dozens of problems the base already had: those are counted, not listed.
    """
    found = [(g.name, f) for g in result.gates for f in g.findings]
    found.sort(key=lambda pair: SEVERITY_ORDER[pair[1].severity])  # stable: gate order within a severity
    rows: list[Row] = []
    by_rule: dict[str, list[tuple[str, Finding]]] = {}
    for gate, finding in found:
        if finding.severity == "error":
            rows.append(Row(gate, finding))
        else:
            by_rule.setdefault(finding.rule, []).append((gate, finding))
    for rule, items in by_rule.items():
        if len(items) <= SHOWN_PER_RULE:
            rows.extend(Row(gate, finding) for gate, finding in items)
            continue
        gate, first = items[0]
        summary = Finding(rule=rule, severity=first.severity, message=f"for example {_first_line(first.message)}")
        rows.append(Row(gate, summary, len(items)))
    return rows


def _first_line(message: str) -> str:
    line = message.strip().splitlines()[0] if message.strip() else ""
    return line if len(line) <= MESSAGE_CHARS else line[: MESSAGE_CHARS - 1] + "…"


def gate_line(result: ReviewResult) -> Text:
    """Every gate's verdict on one line: ``apply ok · parse ok · tests FAILED · license skipped``."""
    line = Text()
    for n, gate in enumerate(result.gates):
        if n:
            line.append(" · ", "dim")
        if gate.skipped:
            line.append(f"{gate.name} skipped", "dim")
        else:
            line.append(f"{gate.name} " + ("ok" if gate.passed else "FAILED"), "green" if gate.passed else "bold red")
    return line


def print_table(result: ReviewResult, console: Console) -> None:
    """The findings, errors first, in a table that fits the terminal; then each gate's verdict and the outcome."""
    rows = report_rows(result)
    if rows:
        table = Table(title="patchgate review", title_justify="left", show_lines=True)
        table.add_column("rule", no_wrap=True)  # rule ids are short and never cut
        table.add_column("where and what", overflow="fold")  # the rest of the width goes to the message
        for row in rows:
            colour = {"error": "red", "warning": "yellow"}.get(row.finding.severity, "white")
            where = _where(row.finding) if row.count == 1 else f"{row.count} places"
            table.add_row(
                Text(row.finding.rule, colour), Text.assemble((where, "cyan"), "\n", _first_line(row.finding.message))
            )
        console.print(table)
    console.print(gate_line(result))
    for gate in result.gates:
        if gate.checked:
            console.print(Text(f"  {gate.name}: {gate.checked}"))
    skipped = [g for g in result.gates if g.skipped and g.detail and g.detail != g.checked]  # not said twice
    for gate in skipped:
        console.print(Text(f"  {gate.name} skipped: {gate.detail}", "dim"))
    unchecked = [g.name for g in result.gates if g.skipped and g.findings]  # could not run: never "all passed"
    if result.passed and unchecked:
        console.print(Text(f"passed, but not checked: {', '.join(unchecked)}", "yellow"))
    elif result.passed:
        console.print(Text("all gates passed", "green"))
    else:
        console.print(Text("failed: " + ", ".join(g.name for g in result.failed()), "red"))


def to_json(result: ReviewResult) -> dict[str, Any]:
    """The machine-readable verdict: ``{"passed", "gates": [{"name", "passed", "findings"}]}``."""
    return {
        "passed": result.passed,
        "gates": [
            {
                "name": g.name,
                "passed": g.passed,
                "skipped": g.skipped,
                "detail": g.detail,
                "checked": g.checked,
                "findings": [f.model_dump(exclude_none=True) for f in g.findings],
            }
            for g in result.gates
        ],
    }


def to_sarif(result: ReviewResult) -> dict[str, Any]:
    """SARIF 2.1.0: one run, one rule per distinct finding rule id (ids are stable across runs)."""
    from core import __version__

    findings = [f for g in result.gates for f in g.findings]
    rule_ids = sorted({f.rule for f in findings})
    rules = [{"id": rid, "name": rid.replace(".", "-"), "shortDescription": {"text": rid}} for rid in rule_ids]
    results = []
    for finding in findings:
        entry: dict[str, Any] = {
            "ruleId": finding.rule,
            "ruleIndex": rule_ids.index(finding.rule),
            "level": _SARIF_LEVEL[finding.severity],
            "message": {"text": finding.message},
        }
        if finding.path:
            physical: dict[str, Any] = {"artifactLocation": {"uri": finding.path, "uriBaseId": "%SRCROOT%"}}
            if finding.line:
                physical["region"] = {"startLine": finding.line}
            entry["locations"] = [{"physicalLocation": physical}]
        results.append(entry)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "patchgate",
                        "version": __version__,
                        "informationUri": "https://github.com/patchgate/patchgate",
                        "rules": rules,
                    }
                },
                "results": results,
            }
        ],
    }


def to_github(result: ReviewResult) -> str:
    """Markdown review comments, errors first, repeated warnings summarised; a known fix is a ```suggestion."""
    parts = [
        "## patchgate review: "
        + ("all gates passed" if result.passed else "failed (" + ", ".join(g.name for g in result.failed()) + ")")
    ]
    for row in report_rows(result):
        finding = row.finding
        icon = {"error": "❌", "warning": "⚠️"}.get(finding.severity, "ℹ️")
        where = _where(finding) if row.count == 1 else f"{row.count} places"
        parts.append(f"### {icon} `{where}` — {finding.rule}\n\n{finding.message}")
        if row.count == 1 and finding.suggestion is not None and finding.path and finding.line:
            parts.append(f"```suggestion\n{finding.suggestion}\n```" if finding.suggestion else "```suggestion\n```")
    return "\n\n".join(parts) + "\n"
