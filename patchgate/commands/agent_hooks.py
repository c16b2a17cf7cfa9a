"""``patchgate install-agent-hooks`` and the hook runner the agents call, ``patchgate agent-hook``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from core.console import out
from core.errors import InputError

MAX_PAYLOAD = 20 * 2**20  # bytes of hook payload read from stdin


@click.command("install-agent-hooks")
@click.option("--claude-code", "claude_code", is_flag=True, help="Claude Code: .claude/settings.json.")
@click.option("--codex", is_flag=True, help="Codex CLI: .codex/hooks.json.")
@click.option(
    "--project/--user",
    "project",
    default=True,
    help="The repository's own configuration (default) or the user's (~/.claude, $CODEX_HOME).",
)
@click.option("--remove", is_flag=True, help="Take patchgate's hooks out again, keeping everything else.")
@click.option("--repo", type=click.Path(path_type=Path), default=".", help="Repository (default: here).")
def install_agent_hooks_command(claude_code: bool, codex: bool, project: bool, remove: bool, repo: Path) -> None:
    """Gate a coding agent's edits: fast gates before each edit, the full review before it stops."""
    from agent.integrations.install import Client, install
    from core.git import repo_root

    if claude_code == codex:
        raise InputError("give exactly one of --claude-code or --codex")
    client: Client = "claude-code" if claude_code else "codex"
    root = repo_root(repo) if project else Path(repo).resolve()
    path = install(client, "project" if project else "user", root, remove=remove)
    out.print(f"{'removed patchgate hooks from' if remove else 'installed patchgate hooks in'} {path}")
    if client == "codex" and not remove:
        out.print(
            "Codex runs a new hook only once you trust it: start `codex` here and accept patchgate's hooks "
            "in its hook review (`codex exec` skips untrusted hooks without a word)."
        )


@click.command("agent-hook", hidden=True)
@click.argument("client", type=click.Choice(["claude-code", "codex"]))
@click.argument("event", type=click.Choice(["pre-tool-use", "stop"]))
@click.option("--timeout", type=click.FloatRange(min=1), default=25, help="Seconds to answer within.")
def agent_hook_command(client: str, event: str, timeout: float) -> None:
    """Answer one hook call: the payload on stdin, the decision as JSON on stdout (run by the agent)."""
    from agent.integrations.deadline import since_start
    from agent.integrations.hooks import answer, parse_payload, render

    raw = sys.stdin.buffer.read(MAX_PAYLOAD + 1)
    if len(raw) > MAX_PAYLOAD:
        raise InputError(f"malformed hook payload: larger than {MAX_PAYLOAD // 2**20} MiB")
    payload = parse_payload(raw.decode("utf-8", "replace"))
    # the bound counts from the process's start: imports on a loaded machine take seconds of it
    result = answer(client, event, payload, max(1.0, timeout - since_start()))  # type: ignore[arg-type]
    print(json.dumps(render(event, result)))  # type: ignore[arg-type]
