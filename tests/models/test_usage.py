"""One usage value: a call record embeds it priced, the run trace sums it, and old traces still read back."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from pytest_httpserver import HTTPServer
from test_openai_provider import HELLO, KEY, answer

from agent.models.openai_model import OpenAIModel
from agent.models.retry import ModelSettings
from agent.trace import RunTrace

CHAT = "/v1/chat/completions"


def test_the_trace_sums_the_priced_usage_of_every_call(tmp_path: Path) -> None:
    with HTTPServer(host="127.0.0.1") as server:
        server.expect_request(CHAT, method="POST").respond_with_json(answer("hi"))  # 11 + 7 tokens a call
        trace = RunTrace(tmp_path)
        model = OpenAIModel(
            "gpt-4.1",
            base_url=server.url_for("/v1"),
            api_key=KEY,
            settings=ModelSettings(timeout_s=5.0),
            on_call=trace.model_call,
        )
        first, second = model.complete(HELLO), model.complete(HELLO)
        trace.close()
    per_call = round((11 * 2.0 + 7 * 8.0) / 1e6, 6)  # gpt-4.1's public price per million tokens
    assert first.usage.cost_usd == second.usage.cost_usd == per_call
    assert trace.calls == 2 and (trace.usage.prompt_tokens, trace.usage.completion_tokens) == (22, 14)
    assert trace.usage.cost_usd == round(2 * per_call, 6)
    lines = [json.loads(line) for line in trace.path.read_text().splitlines()]
    assert [line["cost_usd"] for line in lines] == [per_call, per_call]
    assert not any("estimated_cost_usd" in line for line in lines)  # one name for cost, on disk too


def test_runs_reads_a_trace_written_before_cost_had_one_name(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    run = tmp_path / ".patchgate" / "runs" / "20250101-000000-abcdef"
    run.mkdir(parents=True)
    old_call = {
        "t": 1.0,
        "event": "model_call",
        "model": "openai:gpt-4.1",
        "kind": "complete",
        "prompt_tokens": 100,
        "completion_tokens": 50,
        "latency_s": 0.5,
        "retries": 0,
        "error": None,
        "started_at": 1.0,
        "estimated_cost_usd": 0.0006,
    }
    events = [{"t": 0.0, "event": "start", "issue": "old run"}, old_call]
    (run / "trace.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    listed = subprocess.run(
        [sys.executable, "-P", "-m", "patchgate", "runs", "--json"], cwd=tmp_path, capture_output=True, text=True
    )
    assert listed.returncode == 0, listed.stderr
    (summary,) = json.loads(listed.stdout)
    assert (summary["calls"], summary["tokens"], summary["cost_usd"]) == (1, 150, 0.0006)
    shown = subprocess.run(
        [sys.executable, "-P", "-m", "patchgate", "runs", "show", "20250101"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert shown.returncode == 0 and "$0.0006" in shown.stdout, shown.stdout + shown.stderr
