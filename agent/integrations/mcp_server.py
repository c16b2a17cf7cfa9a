"""``patchgate mcp``: the gates and the ranking as MCP tools, for any agent that speaks MCP.

Built on the official SDK's ``MCPServer`` (``mcp`` 2.x, which serves spec revision 2026-07-28 and still
negotiates older revisions with older clients). Every tool has typed input and output schemas (pydantic).
Reviews run in a child process (``agent.integrations.worker``) under the same sandbox and base-commit rules
as ``patchgate review``, as model patches; the child's progress lines become progress notifications, and a
cancelled call or a client that goes away interrupts it so that its worktree is removed. No tool writes to
the user's tree (the index lives in ``.patchgate/``, as for ``patchgate context``).
"""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path
from typing import Annotated, Any, Literal

import anyio
from anyio.abc import Process
from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

from agent.integrations.verdict import Verdict, verdict_of
from tools.candidate import MAX_PATCH_CHARS
from tools.findings import ReviewResult

MAX_TEXT_CHARS = 2**20  # an issue or task text
MAX_DIFFS = 20
INTERRUPT_GRACE = 30.0  # seconds an interrupted review has to remove its worktree
Tests = Literal["related", "all", "none"]


class RankedPath(BaseModel):
    path: str
    score: float
    reasons: list[str] = Field(description="Why it ranks here: signal and detail.")


class RankedFunction(BaseModel):
    path: str
    name: str
    start_line: int
    score: float


class Localization(BaseModel):
    """The files and functions an issue most likely needs, best first."""

    files: list[RankedPath]
    functions: list[RankedFunction]


class ContextPack(Localization):
    """The ranking plus a packed context (repo map and snippets) within the token budget."""

    context: str
    tokens: int


class Candidate(BaseModel):
    index: int
    passed: bool = Field(description="Whether it passed every gate.")
    score: float | None = Field(
        description="The selector's score; null for one that can never win (does not apply or parse)."
    )
    reason: str = Field(description="Why it ranks here: gates, regressions, agreement with the others, evidence.")


class Selection(BaseModel):
    """The best of several diffs for one task (``patchgate select``); chosen is null when none passed the gates."""

    chosen: int | None
    ranking: list[Candidate]
    checked: str = Field(description="What ran: reviews, shared base runs, probes, which tests.")


def _check(text: str, limit: int, what: str) -> None:
    if len(text) > limit:
        raise ToolError(f"{what} is {len(text):,} characters; the limit is {limit:,}: send less")
    if not text.strip():
        raise ToolError(f"{what} is empty")


async def _review(root: Path, request: dict[str, Any], ctx: Context | None) -> ReviewResult | None:
    """Run one review in the worker; None when there was nothing to review. Errors become ToolErrors."""
    answer = await _in_worker(root, request, ctx)
    return None if answer.get("nothing") else ReviewResult.model_validate(answer)


async def _in_worker(root: Path, request: dict[str, Any], ctx: Context | None) -> dict[str, Any]:
    """Run one request in the worker process and return its result; errors become ToolErrors."""
    if str(request.get("base", "")).startswith("-"):  # a revision, never an option to git
        raise ToolError(f"base {request['base']!r} is not a revision")
    command = [sys.executable, "-P", "-m", "agent.integrations.worker"]
    process = await anyio.open_process(command, stdin=-1, stdout=-1, stderr=-1)
    try:
        assert process.stdin and process.stdout
        await process.stdin.send(json.dumps({"root": str(root), **request}).encode())
        await process.stdin.aclose()
        chunks: list[bytes] = []
        async with anyio.create_task_group() as group:
            group.start_soon(_forward_progress, process, ctx)
            async for chunk in process.stdout:
                chunks.append(chunk)
        await process.wait()
    except BaseException:
        with anyio.CancelScope(shield=True):
            await _interrupt(process)
        raise
    lines = b"".join(chunks).decode("utf-8", "replace").strip().splitlines()
    try:
        answer = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        raise ToolError(f"the review stopped without an answer (exit {process.returncode})") from None
    if "error" in answer:
        raise ToolError(answer["error"])
    return dict(answer["result"])


async def _forward_progress(process: Process, ctx: Context | None) -> None:
    assert process.stderr
    step, buffer = 0, b""
    async for chunk in process.stderr:
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            if line.strip() and ctx is not None:
                step += 1
                await ctx.report_progress(step, None, line.decode("utf-8", "replace")[:300])


async def _interrupt(process: Process) -> None:
    """Ctrl-C the review so it removes its worktree; kill it if it does not stop within the grace time."""
    if process.returncode is not None:
        return
    process.send_signal(signal.SIGINT)
    with anyio.move_on_after(INTERRUPT_GRACE):
        await process.wait()
        return
    process.kill()


def _ranked(pack: Any) -> dict[str, Any]:
    files = [
        RankedPath(
            path=f.path,
            score=round(f.score, 4),
            reasons=[f"{r.signal}: {r.detail}" if r.detail else r.signal for r in f.reasons],
        )
        for f in pack.files
    ]
    functions = [
        RankedFunction(path=c.chunk.path, name=c.chunk.name, start_line=c.chunk.start_line, score=round(c.score, 4))
        for c in pack.functions
    ]
    return {"files": files, "functions": functions}


def build_server(root: Path) -> MCPServer:
    """The server for the repository at ``root``; every tool works on that repository."""
    server: MCPServer = MCPServer(
        "patchgate",
        version="0.1.0",
        log_level="WARNING",
        instructions=(
            "patchgate gates patches for this repository: review_patch or review_changes before you finish, "
            "localize and context to find where to work. A status of 'undecided' means a check could not run."
        ),
    )

    @server.tool()
    async def review_patch(
        diff: Annotated[str, Field(description="A unified diff (git diff output).")],
        base: Annotated[str, Field(description="The revision the diff applies to.")] = "HEAD",
        tests: Annotated[Tests, Field(description="Which tests run.")] = "related",
        ctx: Context | None = None,
    ) -> Verdict:
        """Review a unified diff with every gate (apply, parse, tests in a sandbox, scope, security, license),
        as a model's patch under the base commit's rules. Never writes to the working tree."""
        _check(diff, MAX_PATCH_CHARS, "the diff")
        result = await _review(root, {"diff": diff, "base": base, "tests": tests}, ctx)
        assert result is not None
        return verdict_of(result)

    @server.tool()
    async def review_changes(
        staged: Annotated[bool, Field(description="Only what is staged.")] = False,
        tests: Annotated[Tests, Field(description="Which tests run.")] = "related",
        ctx: Context | None = None,
    ) -> Verdict:
        """Review the working tree's uncommitted changes (tracked and new files), or only the staged ones."""
        result = await _review(root, {"staged": staged, "tests": tests}, ctx)
        if result is None:
            raise ToolError("nothing to review: the working tree has no uncommitted changes")
        return verdict_of(result)

    @server.tool()
    async def select(
        diffs: Annotated[list[str], Field(description="Candidate unified diffs for one task.")],
        issue: Annotated[str, Field(description="The task or issue the diffs answer.")] = "",
        base: str = "HEAD",
        tests: Tests = "related",
        ctx: Context | None = None,
    ) -> Selection:
        """Choose among candidate diffs for one task as ``patchgate select`` does: every gate, regressions on the
        base's passing tests, agreement between the candidates, the issue's evidence. chosen is null when no
        candidate passed the gates."""
        if not 1 <= len(diffs) <= MAX_DIFFS:
            raise ToolError(f"give between 1 and {MAX_DIFFS} diffs (got {len(diffs)})")
        for n, diff in enumerate(diffs):
            _check(diff, MAX_PATCH_CHARS, f"diff {n}")
        if len(issue) > MAX_TEXT_CHARS:
            _check(issue, MAX_TEXT_CHARS, "the issue")
        answer = await _in_worker(root, {"select": diffs, "issue": issue, "base": base, "tests": tests}, ctx)
        return Selection.model_validate(answer)

    @server.tool()
    async def localize(
        issue: Annotated[str, Field(description="The issue or task text.")],
        top: Annotated[int, Field(ge=1, le=50)] = 10,
    ) -> Localization:
        """The top files and functions for an issue, with the signals that put them there."""
        _check(issue, MAX_TEXT_CHARS, "the issue")
        pack = await anyio.to_thread.run_sync(_pack, root, issue, 500, top)
        return Localization(**_ranked(pack))

    @server.tool()
    async def context(
        task: Annotated[str, Field(description="The task or issue text.")],
        budget: Annotated[int, Field(ge=100, le=200_000, description="Tokens to pack.")] = 6000,
        top: Annotated[int, Field(ge=1, le=50)] = 10,
    ) -> ContextPack:
        """The ranked files and functions for a task, with reasons, and a packed context within the budget."""
        _check(task, MAX_TEXT_CHARS, "the task")
        pack = await anyio.to_thread.run_sync(_pack, root, task, budget, top)
        return ContextPack(**_ranked(pack), context=pack.text, tokens=pack.tokens)

    return server


def _pack(root: Path, text: str, budget: int, top: int) -> Any:
    from core.errors import PatchgateError
    from core.settings import resolve
    from retrieval.context import build_context

    try:  # each tool call is a command of its own: the index settings as the repository has them now
        return build_context(root, text, config=resolve(root).index, budget=budget, top_files=top)
    except PatchgateError as exc:
        raise ToolError(str(exc)) from None
