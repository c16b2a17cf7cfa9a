"""Helpers for the agent tests: a scripted model served over real HTTP, a repository with a failing test, the CLI."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

ROOT = Path(__file__).resolve().parents[2]

CALC = 'def add(a, b):\n    """Sum of a and b."""\n    return a - b\n\n\ndef double(x):\n    return x * 2\n'
TEST_CALC = (
    "from calc import add, double\n\n\ndef test_add():\n    assert add(2, 3) == 5\n\n\n"
    "def test_double():\n    assert double(4) == 8\n"
)
FILES = {
    ".patchgate.toml": '[index]\ndense = "none"  # BM25 only: keeps the tests fast\n',
    "calc.py": CALC,
    "tests/test_calc.py": TEST_CALC,
    "README.md": "# calc\nA tiny calculator.\n",
    ".github/workflows/ci.yml": "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: pytest\n",
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
GOOD_EDIT = "calc.py\n<<<<<<< SEARCH\n    return a - b\n=======\n    return a + b\n>>>>>>> REPLACE\n"


def completion(text: str, prompt_tokens: int) -> dict:
    return {
        "id": "c",
        "object": "chat.completion",
        "created": 0,
        "model": "scripted",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": max(1, len(text) // 4),
            "total_tokens": prompt_tokens + max(1, len(text) // 4),
        },
    }


class ScriptedModel:
    """A test double for the model: answers plan requests (structured) and edit requests from a script.

    It is served over real HTTP and reached through the real openai client, so the whole provider path runs.
    """

    def __init__(self, server: HTTPServer) -> None:
        self.server = server
        self.plans: list[dict] = []
        self.edits: list[str] = []
        self.requests: list[dict] = []
        server.expect_request("/v1/chat/completions", method="POST").respond_with_handler(self._answer)

    def _answer(self, request: Request) -> Response:
        body = request.get_json()
        self.requests.append(body)
        prompt_tokens = sum(len(m["content"]) for m in body["messages"]) // 4
        if "response_format" in body:
            text = json.dumps(self.plans.pop(0) if self.plans else PLAN)
        elif self.edits:
            text = self.edits.pop(0)
        else:
            return Response(
                json.dumps({"error": {"message": "script exhausted"}}), status=400, content_type="application/json"
            )
        return Response(json.dumps(completion(text, prompt_tokens)), content_type="application/json")

    @property
    def spec(self) -> str:
        return f"openai:scripted@{self.server.url_for('/v1')}"

    def edit_requests(self) -> list[list[dict]]:
        """The message lists of every edit (non-structured) request, in order."""
        return [r["messages"] for r in self.requests if "response_format" not in r]


@contextlib.contextmanager
def scripted_server() -> Iterator[ScriptedModel]:
    """A ScriptedModel on a real HTTP server on 127.0.0.1, stopped afterwards."""
    server = HTTPServer(host="127.0.0.1", threaded=True)
    server.start()
    try:
        yield ScriptedModel(server)
    finally:
        server.clear()
        server.stop()


CLI_ENV = {"HF_HUB_OFFLINE": "1", "NO_COLOR": "1", "COLUMNS": "200"}
UNSET = ("PATCHGATE_MODEL", "OPENAI_API_KEY", "OPENAI_BASE_URL", "PATCHGATE_DEBUG")


class Terminal(io.StringIO):
    """Typed answers at a terminal: stdin that is a tty, as when a person runs the command."""

    def isatty(self) -> bool:
        return True


def run_cli(*args: str, cwd: Path, stdin: str | None = None, tty: bool = False) -> subprocess.CompletedProcess[str]:
    """Run ``patchgate ARGS`` in ``cwd`` through the real entry point, in this process (saves the start-up).

    Exit code, stdout and stderr are what a user would see; the environment is the clean one a user without
    model settings has. ``tty``: ``stdin`` is typed at a terminal (else it is a pipe).
    """
    from patchgate.cli import main

    saved_env, saved_argv, saved_stdin = dict(os.environ), sys.argv, sys.stdin
    stdout, stderr = io.StringIO(), io.StringIO()
    code = 0
    try:
        for key in UNSET:
            os.environ.pop(key, None)
        os.environ.update(CLI_ENV)
        sys.argv, sys.stdin = ["patchgate", *args], (Terminal if tty else io.StringIO)(stdin or "")
        with contextlib.chdir(cwd), contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            try:
                main()
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
        sys.argv, sys.stdin = saved_argv, saved_stdin
    return subprocess.CompletedProcess(["patchgate", *args], code, stdout.getvalue(), stderr.getvalue())


def tree_state(root: Path) -> str:
    """Status and diff of the working tree (what a user would notice changing)."""
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"], cwd=root, capture_output=True, text=True, check=True
    ).stdout
    diff = subprocess.run(["git", "diff", "HEAD"], cwd=root, capture_output=True, text=True, check=True).stdout
    return status + diff


def git(cwd: Path, *args: str) -> str:
    """git with a fixed identity (commits in tests need one)."""
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "T",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "T",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout
