"""The openai provider against a real HTTP server on 127.0.0.1 with the real openai client."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
from pydantic import BaseModel
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from agent.models.base import Message
from agent.models.openai_model import OpenAIModel
from agent.models.retry import ModelSettings
from agent.models.trace import CallRecord
from core.errors import ModelError, OutputValidationError

CHAT = "/v1/chat/completions"
KEY = "sk-proj-" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4"


class Plan(BaseModel):
    files: list[str]
    reason: str


def answer(text: str) -> dict:
    return {
        "id": "c1",
        "object": "chat.completion",
        "created": 0,
        "model": "m",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}],
        "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18},
    }


@pytest.fixture
def server() -> Iterator[HTTPServer]:
    srv = HTTPServer(host="127.0.0.1", threaded=True)  # threaded: a hung handler must not block the retry
    srv.start()
    yield srv
    srv.clear()
    srv.stop()


def make_model(server: HTTPServer, records: list[CallRecord], **settings: float) -> OpenAIModel:
    base = {"timeout_s": 5.0, "deadline_s": 20.0, "max_retries": 3, "backoff_base_s": 0.01, **settings}
    return OpenAIModel(
        "m", base_url=server.url_for("/v1"), api_key=KEY, settings=ModelSettings(**base), on_call=records.append
    )


HELLO = [Message("user", "hello")]


def test_429_with_retry_after_is_waited_out_then_succeeds(server: HTTPServer) -> None:
    server.expect_ordered_request(CHAT, method="POST").respond_with_json(
        {"error": {"message": "slow down"}}, status=429, headers={"Retry-After": "0.3"}
    )
    server.expect_ordered_request(CHAT, method="POST").respond_with_json(answer("hi"))
    records: list[CallRecord] = []
    start = time.monotonic()
    result = make_model(server, records).complete(HELLO)
    assert result.text == "hi"
    assert time.monotonic() - start >= 0.3  # the server's Retry-After was honoured
    assert result.usage.retries == 1 and records[-1].usage.retries == 1
    assert (records[-1].usage.prompt_tokens, records[-1].usage.completion_tokens) == (11, 7)


def test_retry_after_is_capped(server: HTTPServer) -> None:
    server.expect_ordered_request(CHAT, method="POST").respond_with_json(
        {"error": {"message": "slow down"}}, status=429, headers={"Retry-After": "3600"}
    )
    server.expect_ordered_request(CHAT, method="POST").respond_with_json(answer("ok"))
    records: list[CallRecord] = []
    assert make_model(server, records, retry_after_cap_s=0.1).complete(HELLO).text == "ok"


def test_500_then_success(server: HTTPServer) -> None:
    server.expect_ordered_request(CHAT, method="POST").respond_with_json({"error": {"message": "boom"}}, status=500)
    server.expect_ordered_request(CHAT, method="POST").respond_with_json(answer("fine"))
    records: list[CallRecord] = []
    assert make_model(server, records).complete(HELLO).text == "fine"
    assert records[-1].usage.retries == 1 and records[-1].error is None


def test_hung_response_hits_the_timeout_and_fails_clearly(server: HTTPServer) -> None:
    def hang(request: Request) -> Response:
        time.sleep(1.5)
        return Response(json.dumps(answer("late")), content_type="application/json")

    server.expect_request(CHAT, method="POST").respond_with_handler(hang)
    records: list[CallRecord] = []
    with pytest.raises(ModelError, match="timed out"):
        make_model(server, records, timeout_s=0.2, max_retries=1).complete(HELLO)
    assert records[-1].usage.retries == 1 and "timed out" in records[-1].error


def test_401_is_not_retried_and_names_the_key(server: HTTPServer) -> None:
    server.expect_request(CHAT, method="POST").respond_with_json(
        {"error": {"message": f"Incorrect API key provided: {KEY}"}}, status=401
    )
    records: list[CallRecord] = []
    with pytest.raises(ModelError, match="OPENAI_API_KEY") as info:
        make_model(server, records).complete(HELLO)
    assert len(server.log) == 1  # not retried
    assert KEY not in str(info.value) and KEY not in json.dumps(records[-1].to_json())


def test_404_names_the_model_and_400_names_the_context(server: HTTPServer) -> None:
    server.expect_ordered_request(CHAT, method="POST").respond_with_json(
        {"error": {"message": "The model `m` does not exist"}}, status=404
    )
    server.expect_ordered_request(CHAT, method="POST").respond_with_json(
        {"error": {"message": "This model's maximum context length is 8192 tokens"}}, status=400
    )
    model = make_model(server, [])
    with pytest.raises(ModelError, match="unknown model"):
        model.complete(HELLO)
    with pytest.raises(ModelError, match="too long"):
        model.complete(HELLO)
    assert len(server.log) == 2


def test_structured_sends_a_strict_json_schema(server: HTTPServer) -> None:
    server.expect_request(CHAT, method="POST").respond_with_json(answer('{"files": ["a.py"], "reason": "bug"}'))
    plan, _usage = make_model(server, []).structured(HELLO, Plan)
    assert plan == Plan(files=["a.py"], reason="bug")
    fmt = server.log[0][0].get_json()["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
    schema = fmt["json_schema"]["schema"]
    assert schema["additionalProperties"] is False and set(schema["required"]) == {"files", "reason"}


def test_invalid_json_then_valid_after_one_repair(server: HTTPServer) -> None:
    server.expect_ordered_request(CHAT, method="POST").respond_with_json(answer('{"files": "a.py"'))
    server.expect_ordered_request(CHAT, method="POST").respond_with_json(answer('{"files": ["a.py"], "reason": "x"}'))
    plan, usage = make_model(server, []).structured(HELLO, Plan)
    assert plan.files == ["a.py"] and usage.completion_tokens == 14
    repair = server.log[1][0].get_json()["messages"][-1]["content"]
    assert "not valid" in repair and "Plan" in repair


def test_still_invalid_after_repair_is_an_error(server: HTTPServer) -> None:
    server.expect_request(CHAT, method="POST").respond_with_json(answer('{"files": 3}'))
    with pytest.raises(OutputValidationError, match="repair"):
        make_model(server, []).structured(HELLO, Plan)
    assert len(server.log) == 2


def test_server_without_json_schema_falls_back_to_prompted_json_and_remembers(server: HTTPServer) -> None:
    for feature in ("response_format json_schema", "tool_choice"):
        server.expect_ordered_request(CHAT, method="POST").respond_with_json(
            {"error": {"message": f"{feature} is not supported"}}, status=400
        )
    prose = 'Here is the plan:\n```json\n{"files": [], "reason": "none"}\n```\nHope that helps.'
    server.expect_ordered_request(CHAT, method="POST").respond_with_json(answer(prose))
    server.expect_ordered_request(CHAT, method="POST").respond_with_json(answer('{"files": ["b"], "reason": "x"}'))
    model = make_model(server, [])
    plan, _ = model.structured(HELLO, Plan)
    assert plan.reason == "none"
    tried = [entry[0].get_json() for entry in server.log]
    assert "response_format" in tried[0] and "tools" in tried[1] and "response_format" not in tried[1]
    assert "response_format" not in tried[2] and "tools" not in tried[2]
    assert "JSON Schema" in tried[2]["messages"][0]["content"]
    assert model.structured(HELLO, Plan)[0].files == ["b"]
    assert len(server.log) == 4  # the second call went straight to prompted JSON


def test_server_with_function_calling_answers_through_the_tool(server: HTTPServer) -> None:
    server.expect_ordered_request(CHAT, method="POST").respond_with_json(
        {"error": {"message": "'response_format.type' must be 'json_object' or 'text'; json_schema unsupported"}},
        status=400,
    )
    call = {
        "id": "c1",
        "type": "function",
        "function": {"name": "Plan", "arguments": '{"files": ["a.py"], "reason": "r"}'},
    }
    reply = answer("")
    reply["choices"][0]["message"] = {"role": "assistant", "content": None, "tool_calls": [call]}
    server.expect_ordered_request(CHAT, method="POST").respond_with_json(reply)
    plan, _ = make_model(server, []).structured(HELLO, Plan)
    assert plan == Plan(files=["a.py"], reason="r")
    sent = server.log[1][0].get_json()
    assert sent["tool_choice"]["function"]["name"] == "Plan" and sent["tools"][0]["function"]["name"] == "Plan"


def test_connection_refused_fails_at_once_and_says_so() -> None:
    records: list[CallRecord] = []
    model = OpenAIModel(
        "m",
        base_url="http://127.0.0.1:9/v1",
        api_key=KEY,
        on_call=records.append,
        settings=ModelSettings(max_retries=5, backoff_base_s=2, timeout_s=1),
    )
    started = time.monotonic()
    with pytest.raises(
        ModelError,
        match=r"cannot connect to http://127.0.0.1:9/v1 \(connection refused\): "
        "is the server running",
    ):
        model.complete(HELLO)
    assert time.monotonic() - started < 2 and records[-1].usage.retries == 0  # nothing listens: waiting will not help


def test_each_retry_is_shown_with_its_wait(server: HTTPServer, capsys: pytest.CaptureFixture[str]) -> None:
    for _ in range(2):
        server.expect_ordered_request(CHAT, method="POST").respond_with_json({"error": {"message": "busy"}}, status=503)
    server.expect_ordered_request(CHAT, method="POST").respond_with_json(answer("done"))
    assert make_model(server, []).complete(HELLO).text == "done"
    shown = capsys.readouterr().err.splitlines()
    assert [line.split(" in ")[0].rsplit("; ", 1)[1] for line in shown] == ["retry 1 of 3", "retry 2 of 3"]
    assert all("server answered 503: busy" in line and line.endswith("s") for line in shown)


def test_reasoning_model_parameters_are_adapted_once(server: HTTPServer) -> None:
    server.expect_ordered_request(CHAT, method="POST").respond_with_json(
        {
            "error": {
                "message": "Unsupported parameter: 'max_tokens' is not supported with this model. "
                "Use 'max_completion_tokens' instead."
            }
        },
        status=400,
    )
    server.expect_ordered_request(CHAT, method="POST").respond_with_json(
        {"error": {"message": "Unsupported value: 'temperature' does not support 0.0 with this model."}}, status=400
    )
    server.expect_ordered_request(CHAT, method="POST").respond_with_json(answer("a"))
    server.expect_ordered_request(CHAT, method="POST").respond_with_json(answer("b"))
    model = make_model(server, [])
    assert model.complete(HELLO).text == "a"
    assert model.complete(HELLO).text == "b"
    last = server.log[-1][0].get_json()
    assert "max_completion_tokens" in last and "max_tokens" not in last and "temperature" not in last
