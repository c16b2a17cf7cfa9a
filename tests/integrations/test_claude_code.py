"""The real Claude Code (``claude -p``) against a scripted Anthropic server, with patchgate's hooks installed.

The scripted model makes the real client call its edit tools; patchgate's PreToolUse hook lets a clean
edit land, blocks a secret and a deleted assertion with a reason the model reads on its next request, and
the Stop review sends the agent back when the session's change fails the tests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integrations.conftest import (
    BROKEN,
    MCP_TOOLS,
    SECRET,
    assert_session_outcome,
    client,
    commit_all,
    patchgate,
    serving,
)
from tests.integrations.scripted_servers import Script, anthropic_server

pytestmark = pytest.mark.slow


def _run_claude(root: Path, home: Path, base_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "HOME": str(home),
        "ANTHROPIC_BASE_URL": base_url,
        "ANTHROPIC_API_KEY": "sk-scripted",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_AUTOUPDATER": "1",
        "ENABLE_TOOL_SEARCH": "false",
    }
    return subprocess.run(
        [client("claude"), "-p", "fix the calculator", "--output-format", "json", *args],
        cwd=root,
        env=env,
        text=True,
        capture_output=True,
        timeout=300,
    )


def _tool_results(request: dict) -> str:
    """The text of the tool results and user text in the last user message of a request."""
    content = request["messages"][-1]["content"]
    return json.dumps(content) if isinstance(content, list) else content


def _last_tool_result(request: dict) -> str:
    """The text of the newest tool result the client sent back."""
    for message in reversed(request["messages"]):
        for block in message["content"] if isinstance(message["content"], list) else []:
            if block.get("type") == "tool_result":
                content = block["content"]
                return content if isinstance(content, str) else "".join(c.get("text", "") for c in content)
    raise AssertionError("no tool result in the request")


def test_hooks_gate_claude_code_edits_and_stop(project: Path, tmp_path: Path) -> None:
    installed = patchgate("install-agent-hooks", "--claude-code", "--project", cwd=project)
    assert installed.returncode == 0, installed.stderr
    commit_all(project, "patchgate hooks")  # a team commits its agent settings
    calc, tests = str(project / "pkg/calc.py"), str(project / "tests/test_calc.py")
    script = Script(
        main_tool="Edit",
        steps=[
            [("Read", {"file_path": calc}), ("Read", {"file_path": tests})],
            [
                (
                    "Edit",
                    {
                        "file_path": calc,
                        "old_string": "    return a + b",
                        "new_string": '    """The sum of a and b."""\n    return a + b',
                    },
                )
            ],
            [("Write", {"file_path": str(project / "pkg/settings.py"), "content": SECRET})],
            [("Edit", {"file_path": tests, "old_string": "    assert add(0, 0) == 0\n", "new_string": ""})],
            [("Edit", {"file_path": calc, "old_string": "return a + b", "new_string": "return a - b"})],
            [("text", "All done.")],
            [("Edit", {"file_path": calc, "old_string": "return a - b", "new_string": "return a + b"})],
            [("text", "Fixed the subtraction.")],
        ],
    )
    with serving(anthropic_server, script) as url:
        run = _run_claude(project, tmp_path / "home", url, "--permission-mode", "acceptEdits")
    assert run.returncode == 0, run.stdout + run.stderr
    requests = script.main_requests()
    assert_session_outcome(project)  # (1) the clean edit landed; the blocked ones did not
    # (2) each block's reason reached the model on its next request
    assert "GitHub Token added" in _tool_results(requests[3])
    assert "assertion removed: assert add(0, 0) == 0" in _tool_results(requests[4])
    # (3) the Stop review ran the tests on the session's diff and sent the agent back with the failure
    assert "test_add fails" in _tool_results(requests[6])
    assert len(requests) == 8, [_tool_results(r)[:200] for r in requests]


def test_claude_code_lists_and_calls_patchgate_mcp(project: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {**os.environ, "HOME": str(home)}
    added = subprocess.run(
        [
            client("claude"),
            "mcp",
            "add",
            "patchgate",
            "--",
            sys.executable,
            "-P",
            "-m",
            "patchgate",
            "mcp",
            "--repo",
            str(project),
        ],
        cwd=project,
        env=env,
        text=True,
        capture_output=True,
        timeout=120,
    )
    assert added.returncode == 0, added.stdout + added.stderr
    script = Script(
        main_tool="Edit",
        steps=[
            [("WaitForMcpServers", {"servers": ["patchgate"]})],  # claude -p starts before its MCP servers connect
            [("mcp__patchgate__review_patch", {"diff": BROKEN, "tests": "related"})],
            [("text", "The patch fails the tests.")],
        ],
    )
    with serving(anthropic_server, script) as url:
        run = _run_claude(project, home, url, "--allowedTools", "mcp__patchgate__review_patch")
    assert run.returncode == 0, run.stdout + run.stderr
    requests = script.main_requests()
    offered = {t["name"] for t in requests[1]["tools"]}
    assert {f"mcp__patchgate__{n}" for n in MCP_TOOLS} <= offered
    verdict = json.loads(_last_tool_result(requests[2]))
    assert verdict["status"] == "failed"
    assert "test_add fails" in verdict["summary"]
    assert (project / "pkg/calc.py").read_text() == "def add(a, b):\n    return a + b\n"  # never written
