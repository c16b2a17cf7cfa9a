"""Write patchgate's hooks into Claude Code's or Codex's configuration, merged into what is there.

Both clients read the same shape (``{"hooks": {EVENT: [{"matcher": ..., "hooks": [{"type": "command",
...}]}]}}``): Claude Code from ``.claude/settings.json`` (project) or ``~/.claude/settings.json`` (user),
Codex from ``.codex/hooks.json`` or ``$CODEX_HOME/hooks.json``. patchgate's entries are recognised by their
command (``-m patchgate agent-hook``), so installing twice replaces them, ``--remove`` takes out exactly them,
and every other key, hook and event of the file is kept as it was. A file that is not valid JSON is never
overwritten.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path
from typing import Any, Literal

from core.atomic import atomic_write_text
from core.errors import ConfigError

Client = Literal["claude-code", "codex"]
Scope = Literal["project", "user"]
MARK = "-m patchgate agent-hook"
# seconds the client waits for each hook; the hook itself stops a few seconds earlier and says so
TIMEOUTS = {"pre-tool-use": 30, "stop": 600}
MARGIN = 5
MATCHERS = {"claude-code": "Edit|MultiEdit|Write", "codex": "apply_patch"}
EVENTS = {"pre-tool-use": "PreToolUse", "stop": "Stop"}


def config_path(client: Client, scope: Scope, root: Path) -> Path:
    """Where ``client`` reads hooks for ``scope``."""
    if client == "claude-code":
        return (root if scope == "project" else Path.home()) / ".claude" / "settings.json"
    home = Path(os.environ.get("CODEX_HOME") or Path.home() / ".codex")
    return (root / ".codex" if scope == "project" else home) / "hooks.json"


def hook_command(client: Client, event: str) -> str:
    """The command a client runs: this interpreter by its absolute path (agents rarely have the venv on PATH)."""
    return f"{shlex.quote(sys.executable)} -P {MARK} {client} {event} --timeout {TIMEOUTS[event] - MARGIN}"


def _ours(group: Any) -> bool:
    return isinstance(group, dict) and any(
        isinstance(h, dict) and MARK in str(h.get("command", "")) for h in group.get("hooks", []) or []
    )


def _read(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path} is not valid JSON ({exc}); fix it first, patchgate never overwrites it") from None
    if not isinstance(data, dict) or not isinstance(data.get("hooks", {}), dict):
        raise ConfigError(f"{path} does not hold a JSON object with a 'hooks' object; fix it first")
    return data


def _without_ours(data: dict[str, Any]) -> dict[str, Any]:
    hooks = data.get("hooks", {})
    kept = {}
    for event, groups in hooks.items():
        rest = [g for g in groups if not _ours(g)] if isinstance(groups, list) else groups
        if rest != []:
            kept[event] = rest
    result = {k: v for k, v in data.items() if k != "hooks"}
    if kept:
        result["hooks"] = kept
    return result


def install(client: Client, scope: Scope, root: Path, remove: bool = False) -> Path:
    """Merge patchgate's PreToolUse and Stop hooks into ``client``'s configuration (or take them out)."""
    path = config_path(client, scope, root)
    data = _without_ours(_read(path))
    if not remove:
        hooks = data.setdefault("hooks", {})
        for event, name in EVENTS.items():
            entry: dict[str, Any] = {
                "hooks": [{"type": "command", "command": hook_command(client, event), "timeout": TIMEOUTS[event]}]
            }
            if event == "pre-tool-use":
                entry = {"matcher": MATCHERS[client], **entry}
            hooks.setdefault(name, []).append(entry)
    if not data and remove:
        if path.exists():
            path.unlink()
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps(data, indent=2) + "\n")
    return path
