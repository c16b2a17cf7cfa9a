"""``patchgate mcp`` driven by the MCP SDK's own client (stdio and streamable HTTP) and by the MCP Inspector CLI."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import anyio
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from core.worktrees import worktree_lock
from tests.conftest import git
from tests.integrations.conftest import BROKEN, MCP_TOOLS, client, leftovers

pytestmark = pytest.mark.slow
DOCSTRING = (
    '--- a/pkg/calc.py\n+++ b/pkg/calc.py\n@@ -1,2 +1,3 @@\n def add(a, b):\n+    """The sum."""\n     return a + b\n'
)


def _server(root: Path, tmp: Path | None = None, sigint_ignored: bool = False) -> StdioServerParameters:
    """The server as a client starts it; ``sigint_ignored``: as one started from a background job (or nohup)
    starts it, with SIGINT ignored, which every process it starts inherits."""
    env = {**os.environ, **({"TMPDIR": str(tmp)} if tmp else {})}
    args = ["-P", "-m", "patchgate", "mcp", "--repo", str(root)]
    if sigint_ignored:
        launch = "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); os.execv(sys.executable, sys.argv[1:])"
        return StdioServerParameters(command=sys.executable, args=["-c", launch, sys.executable, *args], env=env)
    return StdioServerParameters(command=sys.executable, args=args, env=env)


def test_sdk_client_over_stdio(project: Path) -> None:
    (project / "pkg/calc.py").write_text("def add(a, b):\n    return a * b\n")  # an uncommitted, breaking change
    (project / "pkg/extra.py").write_text("VALUE = 1\n")  # and a new file, never git-added
    progress: list[str] = []

    async def main() -> dict:
        async with Client(_server(project)) as session:
            listed = {t.name: t for t in (await session.list_tools()).tools}

            async def on_progress(value: float, total: float | None, message: str | None) -> None:
                progress.append(message or "")

            patch = await session.call_tool("review_patch", {"diff": BROKEN}, progress_callback=on_progress)
            changes = await session.call_tool("review_changes", {"tests": "related"})
            chosen = await session.call_tool("select", {"diffs": [BROKEN, DOCSTRING], "tests": "related"})
            huge = await session.call_tool("review_patch", {"diff": "+" * (11 * 2**20)})
            found = await session.call_tool("localize", {"issue": "add returns the wrong sum", "top": 3})
            packed = await session.call_tool("context", {"task": "add returns the wrong sum", "budget": 300})
            return {
                "listed": listed,
                "patch": patch,
                "changes": changes,
                "select": chosen,
                "huge": huge,
                "localize": found,
                "context": packed,
            }

    got = anyio.run(main)
    assert set(got["listed"]) == MCP_TOOLS
    assert all(t.output_schema and t.input_schema for t in got["listed"].values())
    patch = got["patch"].structured_content
    assert patch["status"] == "failed" and "test_add fails" in patch["summary"]
    assert any("reviewing the change" in m for m in progress)
    assert "tests: 1 test file on the change" in progress, progress  # what runs, as a terminal's status line says
    changes = got["changes"].structured_content
    assert changes["status"] == "failed" and "test_add fails" in changes["summary"]
    assert (project / "pkg/calc.py").read_text() == "def add(a, b):\n    return a * b\n"  # the tree is untouched
    assert "pkg/extra.py" in git(project, "status", "--porcelain")  # still untracked: the index is untouched
    assert got["select"].structured_content["chosen"] == 1
    assert got["huge"].is_error and "the limit is 10,485,760" in got["huge"].content[0].text
    assert got["localize"].structured_content["files"][0]["path"] == "pkg/calc.py"
    packed = got["context"].structured_content
    assert packed["files"][0]["reasons"] and 0 < packed["tokens"] <= 300 and "def add" in packed["context"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_sdk_client_over_streamable_http(project: Path) -> None:
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-P", "-m", "patchgate", "mcp", "--repo", str(project), "--http", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.2)

        async def main() -> tuple[set[str], dict]:
            async with Client(f"http://127.0.0.1:{port}/mcp") as session:
                names = {t.name for t in (await session.list_tools()).tools}
                result = await session.call_tool("review_patch", {"diff": DOCSTRING, "tests": "none"})
                return names, result.structured_content

        names, verdict = anyio.run(main)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert names == MCP_TOOLS
    assert verdict["status"] == "passed"
    assert "tests" in verdict["checked"]  # tests off still imports the changed module in the sandbox


@pytest.mark.parametrize("sigint", ["default", "ignored"])
def test_a_client_that_disconnects_mid_review_leaves_nothing_behind(project: Path, tmp_path: Path, sigint: str) -> None:
    slow = "import time\n\n\ndef test_slow():\n    time.sleep(120)\n"
    (project / "tests/test_slow.py").write_text(slow)
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "a slow test")
    tmp = tmp_path / "server-tmp"
    tmp.mkdir()
    diff = (
        "--- a/tests/test_slow.py\n+++ b/tests/test_slow.py\n@@ -1,5 +1,5 @@\n import time\n \n \n"
        " def test_slow():\n-    time.sleep(120)\n+    time.sleep(121)\n"
    )

    async def main() -> None:
        started = anyio.Event()

        async def on_progress(value: float, total: float | None, message: str | None) -> None:
            started.set()

        server = _server(project, tmp, sigint_ignored=sigint == "ignored")
        async with Client(server) as session, anyio.create_task_group() as group:
            group.start_soon(lambda: session.call_tool("review_patch", {"diff": diff}, progress_callback=on_progress))
            await started.wait()
            with anyio.move_on_after(120):
                while not leftovers(tmp, project):  # the review's worktree and sandbox exist
                    await anyio.sleep(0.5)
            assert leftovers(tmp, project), "the review should be under way"
            await anyio.sleep(3)  # the slow test is running
            group.cancel_scope.cancel()
        # leaving the client closes the server's stdin and stops it: the review is interrupted

    anyio.run(main)
    deadline = time.monotonic() + 60
    while leftovers(tmp, project) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert leftovers(tmp, project) == []
    common = Path(git(project, "rev-parse", "--git-common-dir").strip())
    lock = worktree_lock(common if common.is_absolute() else project / common)
    assert lock.exists(), "the review took the worktree lock"  # so the check below checks the lock it took
    from filelock import FileLock

    with FileLock(str(lock), timeout=0):  # nobody holds the worktree lock any more
        pass


def _inspector(root: Path, *args: str) -> dict:
    command = [
        client("mcp-inspector"),
        "--cli",
        sys.executable,
        "-P",
        "-m",
        "patchgate",
        "mcp",
        "--repo",
        str(root),
        *args,
    ]
    run = subprocess.run(command, cwd=root, text=True, capture_output=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    return json.loads(run.stdout)


def test_mcp_inspector_cli_lists_and_calls(project: Path) -> None:
    listed = _inspector(project, "--method", "tools/list")
    assert {t["name"] for t in listed["tools"]} == MCP_TOOLS
    called = _inspector(
        project, "--method", "tools/call", "--tool-name", "review_patch", "--tool-arg", f"diff={BROKEN}"
    )
    assert called["structuredContent"]["status"] == "failed"
