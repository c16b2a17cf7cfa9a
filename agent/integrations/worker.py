"""One review in a child process of the MCP server: a JSON request on stdin, the result as JSON on stdout.

A review checks a change out into a worktree and runs tests in a sandbox. Run in its own process, it can be
interrupted like a person's Ctrl-C when the client cancels or disconnects (SIGINT, so every ``with`` on the
way out removes what it made), and the kernel interrupts it the same way if the server itself dies
(``PR_SET_PDEATHSIG``). Progress lines (environment builds, test runs) go to stderr, which the server
forwards to the client as progress notifications.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import signal
import sys
from pathlib import Path
from typing import Any

PR_SET_PDEATHSIG = 1


def _interrupt_when_parent_dies() -> None:
    # not Linux: the review finishes and cleans up by itself
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGINT)


def run(request: dict[str, Any]) -> dict[str, Any]:
    """Review ``request["diff"]`` (or the working tree's changes) and return the ReviewResult as JSON data; with
    ``request["select"]`` (several diffs), choose among them and return the selection."""
    from core.git import open_repo, staged_diff, uncommitted_diff
    from core.settings import resolve
    from tools.gates import review

    root = Path(request["root"])
    if request.get("select"):
        return _select(root, request)
    diff = request.get("diff")
    if diff is None:
        repo = open_repo(root)
        diff = staged_diff(repo) if request.get("staged") else uncommitted_diff(repo)
        if not diff.strip():
            return {"nothing": True}
    base = request.get("base") or "HEAD"
    settings = resolve(root, base=base, review={"origin": "model", "tests": request.get("tests")})
    _progress(f"reviewing the change against {base} (tests: {settings.review.tests})")
    return review(
        root, diff, base=settings.commit, options=settings.review, tests=settings.tests, progress=_progress
    ).model_dump()


def _progress(line: str) -> None:
    """A line for the client: the gate running, which test files on which side (a notification per line)."""
    print(line, file=sys.stderr, flush=True)


def _select(root: Path, request: dict[str, Any]) -> dict[str, Any]:
    from agent.selection import select
    from core.settings import resolve

    settings = resolve(
        root, base=request.get("base") or "HEAD", review={"origin": "model", "tests": request.get("tests")}
    )
    selection = select(
        root,
        request.get("issue") or "",
        list(request["select"]),
        settings=settings,
        progress=_progress,
    )
    answer = selection.to_json()
    return {
        "chosen": answer["chosen"],
        "checked": answer["checked"],
        "ranking": [{k: row[k] for k in ("index", "passed", "score", "reason")} for row in answer["ranking"]],
    }


def main() -> None:
    from core.errors import PatchgateError

    # SIGINT is how the server stops a review, so it must raise here even when the server was started with it
    # ignored (a client run from a background job or nohup), which a child inherits through exec.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    _interrupt_when_parent_dies()
    answer: dict[str, Any]
    try:
        answer = {"result": run(json.loads(sys.stdin.read()))}
    except PatchgateError as exc:
        answer = {"error": str(exc)}
    except KeyboardInterrupt:
        answer = {"error": "interrupted"}
    print(json.dumps(answer))


if __name__ == "__main__":
    main()
