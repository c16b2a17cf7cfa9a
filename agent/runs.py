"""Reading run traces back: the list of runs, and one run replayed step by step."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.text import Text

from agent.trace import runs_dir
from core.errors import InputError


@dataclass
class RunSummary:
    """One line of ``patchgate runs``."""

    run_id: str
    issue: str
    outcome: str  # passed | failed | interrupted | error | running
    calls: int
    tokens: int
    cost_usd: float


def load_events(root: Path, run_id: str) -> list[dict[str, Any]]:
    """Every event of run ``run_id`` (a unique prefix is enough); skips a torn last line."""
    matches = (
        [p for p in runs_dir(root).glob(f"{run_id}*") if (p / "trace.jsonl").is_file()]
        if runs_dir(root).is_dir() and run_id and "/" not in run_id
        else []
    )
    if len(matches) != 1:
        raise InputError(f"no run {run_id!r}" if not matches else f"run id {run_id!r} is ambiguous")
    events = []
    for line in (matches[0] / "trace.jsonl").read_text(encoding="utf-8").splitlines():
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return events


def list_runs(root: Path) -> list[RunSummary]:
    """Every run under ``.patchgate/runs``, newest first."""
    base = runs_dir(root)
    if not base.is_dir():
        return []
    return [
        summarize(p.name, load_events(root, p.name))
        for p in sorted(base.iterdir(), reverse=True)
        if (p / "trace.jsonl").is_file()
    ]


def summarize(run_id: str, events: list[dict[str, Any]]) -> RunSummary:
    kinds = {e["event"]: e for e in events}
    start = kinds.get("start", {})
    calls = [e for e in events if e["event"] == "model_call"]
    if "result" in kinds:
        outcome = "passed" if kinds["result"]["passed"] else "failed"
    else:
        outcome = next((k for k in ("interrupted", "error") if k in kinds), "running")
    first = (start.get("issue") or "").strip().splitlines()[0] if (start.get("issue") or "").strip() else ""
    return RunSummary(
        run_id,
        first if len(first) <= 60 else first[:59] + "…",
        outcome,
        len(calls),
        sum(e["prompt_tokens"] + e["completion_tokens"] for e in calls),
        round(sum(call_cost(e) for e in calls), 6),
    )


def call_cost(event: dict[str, Any]) -> float:
    """A model_call line's cost; traces written before usage had one name call it ``estimated_cost_usd``."""
    return float(event.get("cost_usd", event.get("estimated_cost_usd", 0.0)))


def describe(event: dict[str, Any]) -> Text:
    """One event as lines a person reads: our labels are styled, the event's own text stays plain."""
    kind = event["event"]
    if kind == "start":
        return Text.assemble(
            ("start", "bold"),
            f" model={event.get('model')} base={str(event.get('base'))[:12]} "
            f"rounds={event.get('rounds')} candidates={event.get('candidates')}\n"
            f"  issue: {event.get('issue', '').strip()[:300]}",
        )
    if kind == "localize":
        return Text.assemble(
            ("localize", "bold"), f" {event['tokens']} tokens of context; files: {', '.join(event['files'][:8])}"
        )
    if kind == "tools":
        calls = "; ".join(f"{c['tool']}({c.get('path') or c.get('query') or ''})" for c in event["calls"])
        return Text.assemble(("tools", "bold"), f" {calls}")
    if kind == "plan":
        return Text.assemble(
            ("plan", "bold"),
            f" files={event['files']} symbols={event['symbols']} tests={event['tests']}\n  {event['reasoning']}",
        )
    if kind == "model_call":
        line = Text.assemble(
            ("model", "dim"),
            f" {event['kind']} {event['prompt_tokens']}+{event['completion_tokens']}"
            f" tokens {event['latency_s']:.2f}s retries={event['retries']} "
            f"${call_cost(event):.4f}",
        )
        return line.append(f" error: {event['error']}", "red") if event.get("error") else line
    if kind == "edit_mismatch":
        return Text.assemble(
            ("edit mismatch", "yellow"), f" (try {event['attempt']}):\n  ", "\n  ".join(event["problems"])
        )
    if kind == "edit_failed":
        return Text.assemble(
            ("no edit applied", "red"),
            f" candidate {event['candidate'] + 1} round {event['round']}: {event['problem'][:300]}",
        )
    if kind == "gate":
        gates = " ".join(
            f"{g['name']}:{'skip' if g['skipped'] else 'ok' if g['passed'] else 'FAIL'}" for g in event["gates"]
        )
        line = Text.assemble(
            ("gate", "green" if event["passed"] else "red"),
            f" candidate {event['candidate'] + 1} round {event['round']}: {gates}",
        )
        report = "\n".join(event.get("report", "").splitlines()[:6])
        if report:
            line.append("\n  ").append("sent back to the model:", "dim").append("\n  " + report.replace("\n", "\n  "))
        return line
    if kind == "result":
        verdict = ("passed", "green") if event["passed"] else ("no candidate passed", "red")
        return Text.assemble(
            ("result", "bold"),
            " ",
            verdict,
            f"; {event['calls']} model calls, {event['tokens']} tokens, ${event['cost_usd']:.4f}",
        )
    return Text.assemble((kind, "bold"), f" {event.get('message', '')}")
