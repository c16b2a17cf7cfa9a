"""Reproduce the command outputs of docs/walkthrough.md on a small demo repository.

    .venv/bin/python docs/walkthrough.py [WORKDIR]

It builds a demo project with a bug and a failing test, then runs, as a user
would, each command of the walkthrough through the installed ``patchgate``
(80 columns, no colour) and prints every command with its real output as
Markdown. The model for ``solve`` is scripted: a tiny OpenAI-compatible server
on 127.0.0.1 answers the plan and the edit a real model would (the same idea
as tests/agent/agentkit.py), so the run needs no key and no network.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

VENV_BIN = Path(sys.executable).parent
FILES = {
    "pyproject.toml": '[project]\nname = "calc"\nversion = "0.1"\n',
    "calc.py": 'def add(a, b):\n    """Sum of a and b."""\n    return a - b\n\n\ndef double(x):\n    return x * 2\n',
    "tests/test_calc.py": "from calc import add, double\n\n\ndef test_add():\n    assert add(2, 3) == 5\n\n\n"
    "def test_double():\n    assert double(4) == 8\n",
    "README.md": "# calc\nA tiny calculator.\n",
}
ISSUE = "add() returns the wrong result: add(2, 3) gives -1 instead of 5"
PLAN = {
    "tool_calls": [],
    "plan": {
        "files": ["calc.py"],
        "symbols": ["add"],
        "reasoning": "add subtracts instead of adding",
        "tests": ["tests/test_calc.py::test_add"],
    },
}
EDIT = "calc.py\n<<<<<<< SEARCH\n    return a - b\n=======\n    return a + b\n>>>>>>> REPLACE\n"


class ScriptedChat(BaseHTTPRequestHandler):
    """/v1/chat/completions: the plan for a structured request, the edit otherwise."""

    def do_POST(self) -> None:  # http.server's naming
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        text = json.dumps(PLAN) if "response_format" in body else EDIT
        prompt = sum(len(m["content"]) for m in body["messages"]) // 4
        answer = {
            "id": "c",
            "object": "chat.completion",
            "created": 0,
            "model": "scripted",
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": len(text) // 4,
                "total_tokens": prompt + len(text) // 4,
            },
        }
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


def show(repo: Path, command: str, env: dict[str, str]) -> None:
    """Run ``command`` in ``repo`` as a shell would and print it with its output (stdout and stderr)."""
    result = subprocess.run(
        command, shell=True, cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=900
    )
    print(f"```console\n$ {command}")
    print(result.stdout.rstrip("\n"))
    if result.returncode:
        print(f"$ echo $?\n{result.returncode}")
    print("```\n")


def main() -> None:
    work = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="patchgate-walkthrough-"))
    repo = work / "calc"
    repo.mkdir(parents=True, exist_ok=False)
    for name, text in FILES.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    env = {
        **os.environ,
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}",
        "COLUMNS": "80",
        "NO_COLOR": "1",
        "GIT_AUTHOR_NAME": "Ada",
        "GIT_AUTHOR_EMAIL": "ada@example.com",
        "GIT_COMMITTER_NAME": "Ada",
        "GIT_COMMITTER_EMAIL": "ada@example.com",
    }
    for key in ("PATCHGATE_MODEL", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        env.pop(key, None)
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "calc"]):
        subprocess.run(["git", *args], cwd=repo, env=env, check=True)
    server = ThreadingHTTPServer(("127.0.0.1", 0), ScriptedChat)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    model = f"openai:scripted@http://127.0.0.1:{server.server_address[1]}/v1"

    show(repo, "patchgate index .", env)
    show(repo, f"patchgate context '{ISSUE}'", env)
    show(repo, f"patchgate context '{ISSUE}' --budget 300 > prompt.txt; cat prompt.txt", env)
    show(repo, "patchgate review --staged", env)
    (repo / "calc.py").write_text(FILES["calc.py"].replace("return x * 2", "return x * 2 +"))
    show(repo, "git add calc.py && patchgate review --staged", env)
    show(repo, "patchgate install-hook", env)
    show(repo, "git commit -qm 'double: wip'", env)
    show(repo, "git reset -q && git checkout -q calc.py && rm prompt.txt && git status --short", env)
    show(repo, f"patchgate solve '{ISSUE}' --model {model}", env)
    show(repo, "patchgate runs", env)
    show(repo, "patchgate solve --model nonsense:x 'fix add'", env)
    show(repo, "patchgate solve --json --model nonsense:x 'fix add'", env)
    show(repo, "patchgate review --bogus", env)
    show(repo, "patchgate complete calc.py:3 --model openai:gpt-4.1", env)
    show(repo, "patchgate solve 'fix add' --model openai:x@http://127.0.0.1:9/v1", env)
    show(repo, "patchgate runs", env)
    server.shutdown()


if __name__ == "__main__":
    main()
