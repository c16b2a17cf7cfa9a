"""``patchgate install-agent-hooks`` and ``patchgate agent-hook`` through the CLI, with hook payloads as the
clients send them: merging into existing settings, removing exactly ours, and every kind of bad input."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from tests.conftest import git
from tests.integrations.conftest import SECRET, leftovers, patchgate


def _hook(root: Path, client: str, event: str, payload: dict | str, *args: str, tmp: Path | None = None):
    raw = payload if isinstance(payload, str) else json.dumps(payload)
    env = {**os.environ, **({"TMPDIR": str(tmp)} if tmp else {})}
    run = patchgate("agent-hook", client, event, *args, cwd=root, stdin=raw, env=env)
    return run, (json.loads(run.stdout) if run.returncode == 0 else None)


def _edit(root: Path, path: str, old: str, new: str) -> dict:
    return {
        "cwd": str(root),
        "hook_event_name": "PreToolUse",
        "tool_name": "Edit",
        "tool_input": {"file_path": path, "old_string": old, "new_string": new},
    }


def _reason(answer: dict) -> str:
    return answer["hookSpecificOutput"]["permissionDecisionReason"]


def test_install_merges_into_existing_settings_and_removes_only_its_own(project: Path) -> None:
    settings = project / ".claude" / "settings.json"
    settings.parent.mkdir()
    mine = {"matcher": "Bash", "hooks": [{"type": "command", "command": "echo mine"}]}
    settings.write_text(json.dumps({"model": "opus", "hooks": {"PreToolUse": [mine]}}))
    for _ in range(2):  # installing twice replaces, never duplicates
        assert patchgate("install-agent-hooks", "--claude-code", cwd=project).returncode == 0
    data = json.loads(settings.read_text())
    assert data["model"] == "opus"
    assert data["hooks"]["PreToolUse"][0] == mine
    ours = data["hooks"]["PreToolUse"][1]
    assert (
        ours["matcher"] == "Edit|MultiEdit|Write"
        and "agent-hook claude-code pre-tool-use" in ours["hooks"][0]["command"]
    )
    assert len(data["hooks"]["PreToolUse"]) == 2 and len(data["hooks"]["Stop"]) == 1
    assert patchgate("install-agent-hooks", "--claude-code", "--remove", cwd=project).returncode == 0
    assert json.loads(settings.read_text()) == {"model": "opus", "hooks": {"PreToolUse": [mine]}}


def test_install_for_codex_in_codex_home_and_remove_leaves_no_file(project: Path, tmp_path: Path) -> None:
    env = {**os.environ, "CODEX_HOME": str(tmp_path / "codex")}
    run = patchgate("install-agent-hooks", "--codex", "--user", cwd=project, env=env)
    assert run.returncode == 0 and "trust" in run.stdout
    hooks = json.loads((tmp_path / "codex" / "hooks.json").read_text())["hooks"]
    assert hooks["PreToolUse"][0]["matcher"] == "apply_patch" and "Stop" in hooks
    assert patchgate("install-agent-hooks", "--codex", "--user", "--remove", cwd=project, env=env).returncode == 0
    assert not (tmp_path / "codex" / "hooks.json").exists()


def test_install_never_overwrites_a_broken_settings_file(project: Path) -> None:
    settings = project / ".claude" / "settings.json"
    settings.parent.mkdir()
    settings.write_text("{not json")
    run = patchgate("install-agent-hooks", "--claude-code", cwd=project)
    assert run.returncode == 2 and run.stderr.startswith("error: ") and "not valid JSON" in run.stderr
    assert settings.read_text() == "{not json"
    both = patchgate("install-agent-hooks", cwd=project)
    assert both.returncode == 2 and "exactly one of --claude-code or --codex" in both.stderr


def test_pre_tool_use_allows_clean_and_blocks_with_reasons(project: Path, tmp_path: Path) -> None:
    calc, tests = str(project / "pkg/calc.py"), "tests/test_calc.py"
    tmp = tmp_path / "hook-tmp"
    tmp.mkdir()
    run, clean = _hook(project, "claude-code", "pre-tool-use", _edit(project, calc, "a + b", "b + a"), tmp=tmp)
    assert clean == {}, run.stderr
    _, secret = _hook(
        project,
        "claude-code",
        "pre-tool-use",
        {
            "cwd": str(project),
            "hook_event_name": "PreToolUse",
            "tool_name": "Write",
            "tool_input": {"file_path": "pkg/settings.py", "content": SECRET},
        },
    )
    assert "GitHub Token added (value redacted)" in _reason(secret)
    assert "ghp_" not in json.dumps(secret)  # the secret itself never goes back
    _, weakened = _hook(
        project,
        "claude-code",
        "pre-tool-use",
        {
            "cwd": str(project),
            "hook_event_name": "PreToolUse",
            "tool_name": "MultiEdit",
            "tool_input": {
                "file_path": tests,
                "edits": [{"old_string": "    assert add(0, 0) == 0\n", "new_string": ""}],
            },
        },
    )
    assert "assertion removed" in _reason(weakened)
    _, broken = _hook(project, "claude-code", "pre-tool-use", _edit(project, calc, "return a + b", "return (a +"))
    assert "parse" in _reason(broken)
    assert leftovers(tmp, project) == []


def test_bad_edits_are_blocked_with_what_to_do(project: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.py"
    _, answer = _hook(
        project,
        "claude-code",
        "pre-tool-use",
        {
            "cwd": str(project),
            "hook_event_name": "PreToolUse",
            "tool_name": "Write",
            "tool_input": {"file_path": str(outside), "content": "x = 1\n"},
        },
    )
    assert "is outside the repository" in _reason(answer)
    _, answer = _hook(
        project,
        "claude-code",
        "pre-tool-use",
        {
            "cwd": str(project),
            "hook_event_name": "PreToolUse",
            "tool_name": "Write",
            "tool_input": {"file_path": "pkg/../.git/config", "content": "[core]\n"},
        },
    )
    assert "inside .git" in _reason(answer)
    # the agent edits from a view of the file that is not what is saved on disk
    _, answer = _hook(project, "claude-code", "pre-tool-use", _edit(project, "pkg/calc.py", "return a * b", "x"))
    assert "not in pkg/calc.py as saved on disk; read the file again" in _reason(answer)
    _, answer = _hook(
        project,
        "codex",
        "pre-tool-use",
        {
            "cwd": str(project),
            "hook_event_name": "PreToolUse",
            "tool_name": "apply_patch",
            "tool_input": {
                "command": "*** Begin Patch\n*** Update File: pkg/calc.py\n@@\n-    return a * b\n"
                "+    return b\n*** End Patch\n"
            },
        },
    )
    assert "does not match the file as saved on disk" in _reason(answer)


def test_malformed_payloads_are_one_line_errors(project: Path) -> None:
    for payload in (
        "{not json",
        json.dumps({"hook_event_name": "PreToolUse"}),
        json.dumps(
            {"cwd": str(project), "hook_event_name": "PreToolUse", "tool_name": "Edit", "tool_input": {"file_path": 7}}
        ),
        json.dumps(
            {
                "cwd": str(project),
                "hook_event_name": "PreToolUse",
                "tool_name": "apply_patch",
                "tool_input": {"command": "rm -rf /"},
            }
        ),
    ):
        client = "codex" if "apply_patch" in payload else "claude-code"
        run, _ = _hook(project, client, "pre-tool-use", payload)
        # exit 2 is how both clients block a call and show stderr to the model
        assert run.returncode == 2, run.stdout
        assert (
            run.stderr.startswith("error: malformed") and run.stderr.count("\n") == 1 and "Traceback" not in run.stderr
        )


def test_stop_blocks_a_failing_session_and_passes_a_clean_one(project: Path, tmp_path: Path) -> None:
    tmp = tmp_path / "stop-tmp"
    tmp.mkdir()
    stop = {"cwd": str(project), "hook_event_name": "Stop", "stop_hook_active": False}
    _, clean = _hook(project, "claude-code", "stop", stop)
    assert clean == {}  # nothing changed: nothing to review
    (project / "pkg/calc.py").write_text("def add(a, b):\n    return a - b\n")
    run, blocked = _hook(project, "codex", "stop", stop, "--timeout", "120", tmp=tmp)
    assert blocked is not None and blocked["decision"] == "block", run.stderr
    assert "test_add fails" in blocked["reason"]
    assert leftovers(tmp, project) == []


def test_a_hook_that_cannot_finish_says_so(project: Path, tmp_path: Path) -> None:
    tmp = tmp_path / "stop-tmp"
    tmp.mkdir()
    (project / "tests/test_slow.py").write_text("import time\n\n\ndef test_slow():\n    time.sleep(60)\n")
    (project / "pkg/calc.py").write_text("def add(a, b):\n    return b + a\n")
    run, answer = _hook(
        project, "claude-code", "stop", {"cwd": str(project), "hook_event_name": "Stop"}, "--timeout", "4", tmp=tmp
    )
    assert answer is not None and list(answer) == ["systemMessage"], run.stderr
    # either the hook's bound or the tests' own share of it ran out first: both say it is unchecked
    assert re.match(
        r"patchgate could not (finish checking the session's changes within [1-4] s; nothing was checked"
        r"|check the change:\n- tests: tests did not finish)",
        answer["systemMessage"],
    )
    assert leftovers(tmp, project) == []


def test_outside_any_repository_or_before_the_first_commit_nothing_is_claimed(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    payload = {
        "cwd": str(plain),
        "hook_event_name": "PreToolUse",
        "tool_name": "Write",
        "tool_input": {"file_path": str(plain / "a.py"), "content": "x = 1\n"},
    }
    _, answer = _hook(plain, "claude-code", "pre-tool-use", payload)
    assert answer is not None and "not in a git repository; nothing was checked" in answer["systemMessage"]
    git(plain, "init", "-q")
    _, answer = _hook(plain, "claude-code", "pre-tool-use", payload)
    assert answer is not None and "no commit yet" in answer["systemMessage"]
