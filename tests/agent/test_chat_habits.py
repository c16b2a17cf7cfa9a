"""A server without strict JSON schema or tools, and a model that talks: solve still gets its plan and its fix."""

from __future__ import annotations

import json
from pathlib import Path

from agentkit import CALC, ISSUE, PLAN, completion, run_cli
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

CHATTY_EDIT = (
    "Sure! The bug is in `add`. Here is the fix:\n\nFile: `calc.py`\n```python\n<<<<<<< SEARCH\n"
    "return a - b\n=======\nreturn a + b\n>>>>>>> REPLACE\n```\n\nThis makes add() add."
)


def test_prose_plan_with_fenced_json_from_a_plain_server_is_understood(calc_repo: Path) -> None:
    asked: list[dict] = []

    def answer(request: Request) -> Response:
        body = request.get_json()
        asked.append(body)
        if "response_format" in body or "tools" in body:
            return Response(
                json.dumps(
                    {"error": {"message": f"{'tools' if 'tools' in body else 'response_format'} is not supported"}}
                ),
                status=400,
                content_type="application/json",
            )
        wants_json = "JSON Schema" in body["messages"][0]["content"]
        text = (
            f"I will fix `add` in calc.py.\n\n```json\n{json.dumps(PLAN, indent=2)}\n```\n"
            if wants_json
            else CHATTY_EDIT
        )
        return Response(json.dumps(completion(text, 10)), content_type="application/json")

    server = HTTPServer(host="127.0.0.1", threaded=True)
    server.expect_request("/v1/chat/completions", method="POST").respond_with_handler(answer)
    server.start()
    try:
        result = run_cli(
            "solve", ISSUE, "--model", f"openai:chatty@{server.url_for('/v1')}", "--apply", "--yes", cwd=calc_repo
        )
    finally:
        server.clear()
        server.stop()
    assert result.returncode == 0, result.stdout + result.stderr
    assert (calc_repo / "calc.py").read_text() == CALC.replace("a - b", "a + b")
    structured = [
        b for b in asked if "JSON Schema" in b["messages"][0]["content"] or "tools" in b or "response_format" in b
    ]
    assert ["response_format" in b for b in structured[:2]] == [True, False] and "tools" in structured[1]
    assert len(structured) == 3  # json_schema and tools refused once each, then prompted JSON, remembered
