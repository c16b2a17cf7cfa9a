"""Render a ReviewResult: a rich table for people, JSON for machines, SARIF for code scanning,
markdown review comments (with ```suggestion blocks) for GitHub.

Renderers read only ``tools.findings`` types, so a new gate needs no new renderer.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from patchgate.tools.findings import Finding, ReviewResult

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SARIF_LEVEL = {"error": "error", "warning": "warning", "note": "note"}


def _where(finding: Finding) -> str:
    if finding.path is None:
        return "-"
    return f"{finding.path}:{finding.line}" if finding.line else finding.path


def print_table(result: ReviewResult, console: Console) -> None:
    """One row per finding under its gate, then one line per gate with its verdict."""
    table = Table(title="patchgate review", show_lines=False)
    table.add_column("gate", style="bold")
    table.add_column("where", style="cyan", overflow="fold")
    table.add_column("rule", overflow="fold")
    table.add_column("message", overflow="fold")
    for gate in result.gates:
        if gate.skipped:
            status = f"[dim]skipped: {gate.detail}[/dim]"
        else:
            status = "[green]passed[/green]" if gate.passed else "[red]failed[/red]"
        if not gate.findings:
            table.add_row(gate.name, "", "", status)
        for finding in gate.findings:
            colour = {"error": "red", "warning": "yellow"}.get(finding.severity, "white")
            table.add_row(gate.name, _where(finding), f"[{colour}]{finding.rule}[/{colour}]", finding.message)
    console.print(table)
    verdict = "[green]all gates passed[/green]" if result.passed else \
        "[red]failed: " + ", ".join(g.name for g in result.failed()) + "[/red]"
    console.print(verdict)


def to_json(result: ReviewResult) -> dict[str, Any]:
    """The machine-readable verdict: ``{"passed", "gates": [{"name", "passed", "findings"}]}``."""
    return {"passed": result.passed,
            "gates": [{"name": g.name, "passed": g.passed, "skipped": g.skipped, "detail": g.detail,
                       "findings": [f.model_dump(exclude_none=True) for f in g.findings]} for g in result.gates]}


def to_sarif(result: ReviewResult) -> dict[str, Any]:
    """SARIF 2.1.0: one run, one rule per distinct finding rule id (ids are stable across runs)."""
    from patchgate import __version__

    findings = [f for g in result.gates for f in g.findings]
    rule_ids = sorted({f.rule for f in findings})
    rules = [{"id": rid, "name": rid.replace(".", "-"), "shortDescription": {"text": rid}} for rid in rule_ids]
    results = []
    for finding in findings:
        entry: dict[str, Any] = {"ruleId": finding.rule, "ruleIndex": rule_ids.index(finding.rule),
                                 "level": _SARIF_LEVEL[finding.severity], "message": {"text": finding.message}}
        if finding.path:
            physical: dict[str, Any] = {"artifactLocation": {"uri": finding.path, "uriBaseId": "%SRCROOT%"}}
            if finding.line:
                physical["region"] = {"startLine": finding.line}
            entry["locations"] = [{"physicalLocation": physical}]
        results.append(entry)
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0",
            "runs": [{"tool": {"driver": {"name": "patchgate", "version": __version__,
                                          "informationUri": "https://github.com/patchgate/patchgate", "rules": rules}},
                      "results": results}]}


def to_github(result: ReviewResult) -> str:
    """Markdown review comments, one per finding; a known fix becomes a ```suggestion block."""
    parts = ["## patchgate review: " + ("all gates passed" if result.passed else
                                        "failed (" + ", ".join(g.name for g in result.failed()) + ")")]
    for gate in result.gates:
        for finding in gate.findings:
            icon = {"error": "❌", "warning": "⚠️"}.get(finding.severity, "ℹ️")
            parts.append(f"### {icon} `{_where(finding)}` — {finding.rule}\n\n{finding.message}")
            if finding.suggestion is not None and finding.path and finding.line:
                parts.append(f"```suggestion\n{finding.suggestion}\n```" if finding.suggestion else "```suggestion\n```")
    return "\n\n".join(parts) + "\n"
