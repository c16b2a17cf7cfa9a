"""The wire format of an OpenAI-compatible chat endpoint, once, for the benchmarks' scripted servers.

A benchmark's handler decides what to answer; these two helpers write the response the way the `openai`
client expects it (a JSON body with its length, a chat completion with usage).
"""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler


def send_json(handler: BaseHTTPRequestHandler, status: int, payload: dict) -> None:
    """Write ``payload`` as the whole JSON response of ``handler``'s request."""
    data = json.dumps(payload).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


def chat_completion(message: dict, *, model: str, prompt_tokens: int, completion_tokens: int) -> dict:
    """A one-choice chat completion answering ``message`` (``{"role": "assistant", ...}``)."""
    return {
        "id": model,
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [{"index": 0, "finish_reason": "stop", "message": message}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }
