"""Scripted model servers on 127.0.0.1 that real coding agents talk to: Anthropic Messages and OpenAI Responses.

``claude -p`` reaches the first through ``ANTHROPIC_BASE_URL``; ``codex exec`` the second through a custom
model provider (``wire_api = "responses"``). Each answers the agent's main-loop requests (those that offer
the agent's tools) from a script of steps, in order, streaming server-sent events as the clients expect; any
side request (a title, a quota probe) gets a short text. Every request body is recorded, so a test can read
what reached the model: a tool result, a hook's reason, the tools it was offered.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# A step is what the model answers to one main-loop request: tool calls (name, input) or a final text.
Step = list[tuple[str, Any]]


@dataclass
class Script:
    steps: list[Step]
    main_tool: str  # a tool every main-loop request offers ("Edit" for Claude Code, "apply_patch" for Codex)
    requests: list[dict[str, Any]] = field(default_factory=list)
    # A tool to wait for before the script starts (an MCP server that connects after the first request), and
    # the step that waits a moment meanwhile.
    wait_for: str | None = None
    wait_step: Step = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_step(self, body: dict[str, Any]) -> Step | None:
        """The next step for a main-loop request, a final text once the script is done; None for side requests."""
        names = {t.get("name") for t in body.get("tools", [])}
        with self.lock:
            self.requests.append({**body, "_at": time.monotonic()})
            if self.main_tool not in names:
                return None
            if self.wait_for is not None and self.wait_for not in names:
                return self.wait_step
            return self.steps.pop(0) if self.steps else [("text", "done")]

    def main_requests(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if self.main_tool in {t.get("name") for t in r.get("tools", [])}]


def _serve(handler: type[BaseHTTPRequestHandler]) -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def _handler(script: Script, respond: Callable[[BaseHTTPRequestHandler, dict[str, Any], Step | None, int], None]):
    counter = iter(range(1, 10**6))

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
            if self.path.split("?")[0].endswith("count_tokens"):
                self._json({"input_tokens": 10})
                return
            respond(self, body, script.next_step(body), next(counter))

        def do_GET(self) -> None:
            self._json({"data": [], "models": []})

        def _json(self, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


def _events(handler: BaseHTTPRequestHandler, events: list[tuple[str, dict[str, Any]]]) -> None:
    handler.send_response(200)
    handler.send_header("content-type", "text/event-stream")
    handler.send_header("connection", "close")
    handler.end_headers()
    for name, data in events:
        handler.wfile.write(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode())
        handler.wfile.flush()
    handler.close_connection = True


def anthropic_server(script: Script) -> tuple[ThreadingHTTPServer, str]:
    """An Anthropic Messages API (streaming) answering from ``script``; returns the server and its base URL."""

    def respond(handler: BaseHTTPRequestHandler, body: dict[str, Any], step: Step | None, n: int) -> None:
        step = step if step is not None else [("text", "ok")]
        events: list[tuple[str, dict[str, Any]]] = [
            (
                "message_start",
                {
                    "type": "message_start",
                    "message": {
                        "id": f"msg_{n}",
                        "type": "message",
                        "role": "assistant",
                        "model": body.get("model", "scripted"),
                        "content": [],
                        "stop_reason": None,
                        "stop_sequence": None,
                        "usage": {"input_tokens": 1, "output_tokens": 1},
                    },
                },
            )
        ]
        tool_use = False
        for i, (kind, value) in enumerate(step):
            if kind == "text":
                start, delta = {"type": "text", "text": ""}, {"type": "text_delta", "text": value}
            else:
                tool_use = True
                start = {"type": "tool_use", "id": f"toolu_{n}_{i}", "name": kind, "input": {}}
                delta = {"type": "input_json_delta", "partial_json": json.dumps(value)}
            events += [
                ("content_block_start", {"type": "content_block_start", "index": i, "content_block": start}),
                ("content_block_delta", {"type": "content_block_delta", "index": i, "delta": delta}),
                ("content_block_stop", {"type": "content_block_stop", "index": i}),
            ]
        events += [
            (
                "message_delta",
                {
                    "type": "message_delta",
                    "usage": {"output_tokens": 5},
                    "delta": {"stop_reason": "tool_use" if tool_use else "end_turn", "stop_sequence": None},
                },
            ),
            ("message_stop", {"type": "message_stop"}),
        ]
        _events(handler, events)

    return _serve(_handler(script, respond))


def responses_server(script: Script) -> tuple[ThreadingHTTPServer, str]:
    """An OpenAI Responses API (streaming) answering from ``script``: ``apply_patch`` as Codex's freeform tool."""

    def respond(handler: BaseHTTPRequestHandler, body: dict[str, Any], step: Step | None, n: int) -> None:
        step = step if step is not None else [("text", "ok")]
        items = []
        for i, (kind, value) in enumerate(step):
            if kind == "text":
                items.append(
                    {
                        "type": "message",
                        "id": f"msg_{n}_{i}",
                        "role": "assistant",
                        "status": "completed",
                        "content": [{"type": "output_text", "text": value, "annotations": []}],
                    }
                )
            elif kind == "apply_patch":
                items.append(
                    {
                        "type": "custom_tool_call",
                        "id": f"ctc_{n}_{i}",
                        "call_id": f"call_{n}_{i}",
                        "name": kind,
                        "input": value,
                        "status": "completed",
                    }
                )
            else:  # "namespace/name" calls a tool of a namespace (how Codex offers an MCP server's tools)
                namespace, _, name = kind.rpartition("/")
                items.append(
                    {
                        "type": "function_call",
                        "id": f"fc_{n}_{i}",
                        "call_id": f"call_{n}_{i}",
                        "name": name,
                        **({"namespace": namespace} if namespace else {}),
                        "arguments": json.dumps(value),
                        "status": "completed",
                    }
                )
        response = {"id": f"resp_{n}", "object": "response", "status": "in_progress", "output": []}
        events: list[tuple[str, dict[str, Any]]] = [
            ("response.created", {"type": "response.created", "response": response})
        ]
        for i, item in enumerate(items):
            events += [
                ("response.output_item.added", {"type": "response.output_item.added", "output_index": i, "item": item}),
                ("response.output_item.done", {"type": "response.output_item.done", "output_index": i, "item": item}),
            ]
        usage = {
            "input_tokens": 1,
            "output_tokens": 1,
            "total_tokens": 2,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens_details": {"reasoning_tokens": 0},
        }
        events.append(
            (
                "response.completed",
                {
                    "type": "response.completed",
                    "response": {**response, "status": "completed", "output": items, "usage": usage},
                },
            )
        )
        _events(handler, events)

    return _serve(_handler(script, respond))
