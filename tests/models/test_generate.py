"""`patchgate generate`: local documents parse; hosted answers are checked with lark and retried."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from pytest_httpserver import HTTPServer

from agent.models.openai_model import OpenAIModel
from agent.models.retry import ModelSettings
from agent.writing.documents import generate_document
from core.errors import GateFailure

ROOT = Path(__file__).resolve().parents[2]
CHAT = "/v1/chat/completions"


def run_generate(cwd: Path, model: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATCHGATE_MODEL": model}
    return subprocess.run([sys.executable, "-P", "-m", "patchgate", "generate", *args], cwd=cwd, env=env,
                          capture_output=True, text=True)


def test_local_generate_prints_a_manifest_that_parses(tiny_path: Path, tmp_path: Path) -> None:
    result = run_generate(tmp_path, f"hf:{tiny_path}", "--grammar", "kubernetes", "--seed", "4",
                          "--max-tokens", "400", "a web deployment")
    assert result.returncode == 0, result.stderr
    assert yaml.safe_load(result.stdout)["kind"] in {"Deployment", "Service", "Job", "ConfigMap"}


def test_generate_needs_exactly_one_of_grammar_and_schema(tmp_path: Path) -> None:
    result = run_generate(tmp_path, "openai:m@http://127.0.0.1:9/v1", "x")
    assert result.returncode == 2 and "exactly one of --grammar NAME or --schema FILE" in result.stderr


@pytest.fixture
def server() -> Iterator[HTTPServer]:
    srv = HTTPServer(host="127.0.0.1")
    srv.start()
    yield srv
    srv.clear()
    srv.stop()


def chat(text: str | None = None, tool_input: str | None = None) -> dict:
    message: dict = {"role": "assistant", "content": text}
    if tool_input is not None:
        message["tool_calls"] = [{"id": "t1", "type": "custom", "custom": {"name": "emit_document",
                                                                          "input": tool_input}}]
    return {"id": "c", "object": "chat.completion", "created": 0, "model": "m",
            "choices": [{"index": 0, "finish_reason": "stop", "message": message}]}


def hosted(server: HTTPServer) -> OpenAIModel:
    return OpenAIModel("m", base_url=server.url_for("/v1"), settings=ModelSettings(max_retries=0))


def test_hosted_custom_tool_grammar_is_used_when_offered(server: HTTPServer) -> None:
    server.expect_request(CHAT, method="POST").respond_with_json(chat(tool_input='{"a": [1, 2]}'))
    doc = generate_document(hosted(server), "x", grammar="json")
    assert json.loads(doc.text) == {"a": [1, 2]} and doc.constrained
    tool = server.log[0][0].get_json()["tools"][0]["custom"]["format"]
    assert tool["type"] == "grammar" and tool["grammar"]["syntax"] == "lark"


def test_hosted_without_custom_tools_validates_and_retries(server: HTTPServer) -> None:
    server.expect_ordered_request(CHAT, method="POST").respond_with_json(
        {"error": {"message": "custom tools are not supported"}}, status=400)
    server.expect_ordered_request(CHAT, method="POST").respond_with_json(chat("name = [unclosed"))
    server.expect_ordered_request(CHAT, method="POST").respond_with_json(chat("```toml\nname = \"api\"\n```"))
    doc = generate_document(hosted(server), "x", grammar="toml")
    assert doc.text == 'name = "api"\n' and doc.attempts == 2
    assert "does not parse" in server.log[2][0].get_json()["messages"][-1]["content"]


def test_hosted_never_valid_exits_1_with_a_clear_message(server: HTTPServer, tmp_path: Path) -> None:
    server.expect_request(CHAT, method="POST").respond_with_json(chat("apiVersion: [oops"))
    with pytest.raises(GateFailure, match="no valid document in 3 attempts"):
        generate_document(hosted(server), "x", grammar="yaml")
    result = run_generate(tmp_path, f"openai:m@{server.url_for('/v1')}", "--grammar", "yaml", "x")
    assert result.returncode == 1 and result.stderr.startswith("error: openai:m gave no valid document")
