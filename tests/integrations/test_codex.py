"""The real Codex CLI (``codex exec``) against a scripted Responses API server, with patchgate's hooks.

Codex reads hooks in Claude Code's format from ``$CODEX_HOME/hooks.json``; it runs a hook only after a
person trusted it in its TUI, so the headless run here passes ``--dangerously-bypass-hook-trust`` (the
trust step is Codex's, not patchgate's). The model is scripted as ``gpt-5.5`` so that Codex offers its
freeform ``apply_patch`` tool to the custom provider.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integrations.conftest import BROKEN, MCP_TOOLS, SECRET, assert_session_outcome, client, patchgate, serving
from tests.integrations.scripted_servers import Script, responses_server

pytestmark = pytest.mark.slow
MODEL = "gpt-5.5"  # a model Codex knows, so it offers apply_patch; the provider is ours
# For a model it does not know Codex offers MCP tools directly; for gpt-5.5 it defers them behind tool search.
UNKNOWN_MODEL = "scripted-model"


def _config(home: Path, base_url: str, extra: str = "", model: str = MODEL) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(
        f'model = "{model}"\nmodel_provider = "scripted"\n\n[model_providers.scripted]\nname = "scripted"\n'
        f'base_url = "{base_url}/v1"\nwire_api = "responses"\nenv_key = "SCRIPTED_API_KEY"\n{extra}'
    )


def _run_codex(root: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CODEX_HOME": str(home), "SCRIPTED_API_KEY": "scripted"}
    return subprocess.run(
        [
            client("codex"),
            "exec",
            "--dangerously-bypass-hook-trust",
            "--skip-git-repo-check",
            "-s",
            "workspace-write",
            "fix the calculator",
        ],
        cwd=root,
        env=env,
        text=True,
        capture_output=True,
        timeout=300,
    )


def _outputs(request: dict) -> str:
    """The tool outputs and messages the client sent after the model's last turn."""
    return json.dumps([i for i in request["input"] if i.get("type") != "message" or i.get("role") == "user"][-3:])


def _patch(*lines: str) -> str:
    return "\n".join(["*** Begin Patch", *lines, "*** End Patch"]) + "\n"


def test_hooks_gate_codex_apply_patch_and_stop(project: Path, tmp_path: Path) -> None:
    home = tmp_path / "codex"
    installed = patchgate(
        "install-agent-hooks", "--codex", "--user", cwd=project, env={**os.environ, "CODEX_HOME": str(home)}
    )
    assert installed.returncode == 0, installed.stderr
    script = Script(
        main_tool="apply_patch",
        steps=[
            [
                (
                    "apply_patch",
                    _patch(
                        "*** Update File: pkg/calc.py",
                        "@@",
                        " def add(a, b):",
                        '+    """The sum of a and b."""',
                        "     return a + b",
                    ),
                )
            ],
            [("apply_patch", _patch("*** Add File: pkg/settings.py", "+" + SECRET.rstrip("\n")))],
            [
                (
                    "apply_patch",
                    _patch(
                        "*** Update File: tests/test_calc.py",
                        "@@",
                        "     assert add(1, 2) == 3",
                        "-    assert add(0, 0) == 0",
                    ),
                )
            ],
            [("apply_patch", _patch("*** Update File: pkg/calc.py", "@@", "-    return a + b", "+    return a - b"))],
            [("text", "All done.")],
            [("apply_patch", _patch("*** Update File: pkg/calc.py", "@@", "-    return a - b", "+    return a + b"))],
            [("text", "Fixed the subtraction.")],
        ],
    )
    with serving(responses_server, script) as url:
        _config(home, url)
        run = _run_codex(project, home)
    assert run.returncode == 0, run.stdout + run.stderr
    requests = script.main_requests()
    assert_session_outcome(project)
    assert "GitHub Token added" in _outputs(requests[2])
    assert "assertion removed: assert add(0, 0) == 0" in _outputs(requests[3])
    assert "test_add fails" in _outputs(requests[5])
    assert len(requests) == 7, [_outputs(r)[:300] for r in requests]


def test_codex_lists_and_calls_patchgate_mcp(project: Path, tmp_path: Path) -> None:
    home = tmp_path / "codex"
    # codex exec sends its first request before the MCP server has connected: wait until it offers the tools
    script = Script(
        main_tool="exec_command",
        wait_for="mcp__patchgate",
        wait_step=[("exec_command", {"cmd": "sleep 1"})],
        steps=[
            [("mcp__patchgate/review_patch", {"diff": BROKEN, "tests": "related"})],
            [("text", "The patch fails the tests.")],
        ],
    )
    args = json.dumps(["-P", "-m", "patchgate", "mcp", "--repo", str(project)])
    with serving(responses_server, script) as url:
        _config(
            home,
            url,
            f"\n[mcp_servers.patchgate]\ncommand = {json.dumps(sys.executable)}\nargs = {args}\n"
            'startup_timeout_sec = 60\ntool_timeout_sec = 240\ndefault_tools_approval_mode = "approve"\n',
            model=UNKNOWN_MODEL,
        )
        run = _run_codex(project, home)
    assert run.returncode == 0, run.stdout + run.stderr
    requests = script.main_requests()
    namespace = next(t for t in requests[-2]["tools"] if t.get("name") == "mcp__patchgate")
    assert {t["name"] for t in namespace["tools"]} == MCP_TOOLS
    output = next(i for i in reversed(requests[-1]["input"]) if i.get("type") == "function_call_output")["output"]
    verdict = json.loads(output.partition("Output:\n")[2])  # Codex prefixes the tool's text with its wall time
    assert verdict["status"] == "failed"
    assert "test_add fails" in verdict["summary"]
    assert (project / "pkg/calc.py").read_text() == "def add(a, b):\n    return a + b\n"  # never written
