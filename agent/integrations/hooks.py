"""Claude Code's and Codex's hooks, answered by the gates: before an edit, and before the agent stops.

Both clients send a JSON payload on stdin and read a JSON answer on stdout (Codex speaks Claude Code's
hook format). Before an edit (``PreToolUse``) the fast gates judge the diff the edit would make
(``tools.editgate``); a problem denies the edit with a reason the model reads on its next turn. Before the
agent declares itself done (``Stop``) the full review, tests included, judges the session's whole change
(every uncommitted file); a failure blocks the stop and the reason sends the agent back to work.

Every edit is reviewed as a model patch (``origin = "model"``). The work is bounded by the hook's own
timeout: when the bound passes, the answer says that nothing was checked rather than passing or blocking
without a word.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from agent.integrations.deadline import DeadlineExceeded, deadline
from agent.integrations.edits import StaleEdit, claude_code_edits, codex_edits
from agent.integrations.verdict import summary, verdict_of
from core.errors import InputError
from tools.candidate import UnsafePath
from tools.findings import Finding, GateReport, ReviewResult

Client = Literal["claude-code", "codex"]
Event = Literal["pre-tool-use", "stop"]
EDIT_TOOLS = {"claude-code": ("Edit", "MultiEdit", "Write"), "codex": ("apply_patch", "Edit", "Write")}


class Payload(BaseModel):
    """The fields of a hook payload that patchgate reads (the clients send more)."""

    model_config = ConfigDict(extra="allow")

    cwd: str
    hook_event_name: str
    tool_name: str | None = None
    tool_input: dict[str, Any] | None = None
    stop_hook_active: bool = False


@dataclass(frozen=True)
class Answer:
    """What the hook decided: ``allow`` (nothing to say), ``block`` (reason for the model), ``unchecked``."""

    decision: Literal["allow", "block", "unchecked"]
    reason: str = ""


def parse_payload(raw: str) -> Payload:
    """The payload, or an InputError naming what is wrong with it."""
    try:
        return Payload.model_validate_json(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'payload'}: {e['msg']}" for e in exc.errors()[:3])
        raise InputError(f"malformed hook payload: {problems}") from None


def answer(client: Client, event: Event, payload: Payload, seconds: float) -> Answer:
    """Run the gates for one hook call within ``seconds``."""
    from core.git import has_commits, open_repo, repo_root

    try:
        root = repo_root(Path(payload.cwd))
    except InputError:  # a user-level hook in a folder that is no repository: nothing to judge against
        return Answer("unchecked", f"patchgate: {payload.cwd} is not in a git repository; nothing was checked")
    if not has_commits(open_repo(root)):
        return Answer(
            "unchecked",
            "patchgate: the repository has no commit yet to judge changes against; nothing was checked (commit once)",
        )
    try:
        with deadline(seconds):
            if event == "pre-tool-use":
                return _before_edit(client, root, payload)
            return _before_stop(root, seconds)
    except DeadlineExceeded:
        what = "this edit" if event == "pre-tool-use" else "the session's changes"
        return Answer(
            "unchecked", f"patchgate could not finish checking {what} within {seconds:.0f} s; nothing was checked"
        )


def _before_edit(client: Client, root: Path, payload: Payload) -> Answer:
    from core.settings import resolve
    from tools.editgate import gate_edits

    tool, tool_input = payload.tool_name or "", payload.tool_input or {}
    if tool not in EDIT_TOOLS[client]:
        return Answer("allow")  # a matcher wider than ours: other tools are not patchgate's to judge
    try:
        if client == "codex" and tool == "apply_patch":
            patch = tool_input.get("command", tool_input.get("input"))
            if not isinstance(patch, str):
                raise InputError("malformed hook payload: apply_patch carries no patch text in tool_input.command")
            edits = codex_edits(root, Path(payload.cwd), patch)
        else:
            edits = claude_code_edits(root, Path(payload.cwd), tool, tool_input)
        result = gate_edits(root, edits, resolve(root, base="HEAD", review={"origin": "model", "tests": "none"}))
    except UnsafePath as exc:
        return Answer("block", f"patchgate blocked this edit: {exc}")
    except StaleEdit as exc:
        result = ReviewResult(
            passed=False,
            gates=[
                GateReport(name="apply", passed=False, findings=[Finding(rule="apply.stale-edit", message=str(exc))])
            ],
        )
    verdict = verdict_of(result)
    if verdict.status == "passed":
        return Answer("allow")
    return Answer("block" if verdict.status == "failed" else "unchecked", verdict.summary)


def _before_stop(root: Path, seconds: float) -> Answer:
    from core.git import open_repo, uncommitted_diff
    from core.settings import resolve
    from tools.gates import review

    diff = uncommitted_diff(open_repo(root))
    if not diff.strip():
        return Answer("allow")
    settings = resolve(root, base="HEAD", review={"origin": "model"})
    tests = settings.tests.model_copy(update={"timeout": max(1.0, min(settings.tests.timeout, seconds / 2))})
    result = review(root, diff, base=settings.commit, options=settings.review, tests=tests)
    verdict = verdict_of(result)
    if verdict.status == "passed":
        return Answer("allow")
    if verdict.status == "undecided":
        return Answer("unchecked", verdict.summary)
    return Answer(
        "block",
        summary(result, "failed") + "\nFix these before finishing; patchgate reviews the whole "
        "uncommitted change again when you stop.",
    )


def render(event: Event, result: Answer) -> dict[str, Any]:
    """The JSON both clients read back: a PreToolUse deny, a Stop block, or a message to the person."""
    if result.decision == "allow":
        return {}
    if result.decision == "unchecked":
        return {"systemMessage": result.reason}
    if event == "pre-tool-use":
        return {
            "hookSpecificOutput": {
                "hookEventName": "PreToolUse",
                "permissionDecision": "deny",
                "permissionDecisionReason": result.reason,
            }
        }
    return {"decision": "block", "reason": result.reason}
