"""A scripted OpenAI-compatible model that answers each SWE-bench instance with its gold fix.

    python benchmarks/gold_model_server.py --dataset ../shared/swebench/lite_dev.json --port 8765 &
    patchgate eval solve --model openai:gold@http://127.0.0.1:8765/v1 --dataset ... --repos ... --out ...

It checks agent mode end to end (index, plan, edit, gates, evaluation) with a
model whose answers are known to be right: a plan naming the files the gold
patch touches, then the gold patch itself as the edit (the edit format accepts a
unified diff). The instance is recognised by its problem statement in the
prompt. A request it cannot place gets HTTP 400, as an exhausted script would.
"""

from __future__ import annotations

import argparse
import json
import re
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from chat_server import chat_completion, send_json


def load(path: Path) -> list[dict]:
    text = path.read_text(encoding="utf-8")
    return json.loads(text) if text.lstrip().startswith("[") else [json.loads(x) for x in text.splitlines() if x]


def answer(rows: list[dict], body: dict) -> str | None:
    prompt = "\n".join(str(m.get("content", "")) for m in body.get("messages", []))
    row = next((r for r in rows if r["problem_statement"].strip()[:300] in prompt), None)
    if row is None:
        return None
    if "response_format" in body:
        files = sorted(set(re.findall(r"^\+\+\+ b/(\S+)", row["patch"], flags=re.MULTILINE)))
        return json.dumps(
            {"tool_calls": [], "plan": {"files": files, "symbols": [], "tests": [], "reasoning": "the reference fix"}}
        )
    return row["patch"]


def serve(rows: list[dict], port: int) -> None:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            text = answer(rows, body)
            if text is None:
                send_json(self, 400, {"error": {"message": "no instance matches this prompt"}})
                return
            tokens = sum(len(str(m.get("content", ""))) for m in body.get("messages", [])) // 4
            send_json(
                self,
                200,
                chat_completion(
                    {"role": "assistant", "content": text},
                    model="gold",
                    prompt_tokens=tokens,
                    completion_tokens=len(text) // 4,
                ),
            )

        def log_message(self, *args: object) -> None:
            pass

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, required=True)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    serve(load(args.dataset), args.port)


if __name__ == "__main__":
    main()
