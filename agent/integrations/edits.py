"""What an agent's edit tool call would do to the files, as ``FileEdit``s: before and after texts.

Claude Code's ``Edit``/``MultiEdit`` replace strings and ``Write`` replaces a whole file; Codex's
``apply_patch`` sends its own patch language (``*** Begin Patch`` … ``*** End Patch``). Each is replayed
here on the file as it is saved on disk, exactly as the tool will do it, so the gates see the real diff.
An edit that does not match the saved file (the agent edits from a stale view) is a ``StaleEdit``; a path
outside the repository or inside ``.git`` is ``UnsafePath``: both answer the agent with what to do.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

from core.errors import InputError
from tools.candidate import UnsafePath
from tools.editgate import FileEdit

MAX_FILE_CHARS = 5 * 2**20  # a saved file larger than this is not gated in the agent's inner loop


class StaleEdit(InputError):
    """The edit does not apply to the file as saved (it was read before a later change, or never read)."""


def repo_path(root: Path, cwd: Path, name: str) -> str:
    """``name`` (absolute, or relative to ``cwd``) as a repository-relative posix path; UnsafePath if outside."""
    if not name or "\0" in name:
        raise UnsafePath(f"edit path {name!r} is not a file name")
    absolute = Path(name) if Path(name).is_absolute() else cwd / name
    resolved = absolute.resolve()
    base = root.resolve()
    if resolved != base and base not in resolved.parents:
        raise UnsafePath(f"{name} is outside the repository {base}; edit files inside it")
    rel = PurePosixPath(resolved.relative_to(base).as_posix())
    if ".git" in rel.parts:
        raise UnsafePath(f"{name} is inside .git; an agent never edits git's own files")
    return rel.as_posix()


def saved_text(root: Path, rel: str) -> str | None:
    """The file's text as saved, None when it does not exist; a binary or huge file is bad input."""
    path = root / rel
    if not path.exists():
        return None
    if path.is_dir():
        raise InputError(f"{rel} is a folder, not a file")
    if path.stat().st_size > MAX_FILE_CHARS:
        raise InputError(
            f"{rel} is larger than {MAX_FILE_CHARS // 2**20} MiB; patchgate does not gate it before an edit"
        )
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{rel} is not UTF-8 text") from None


def _text(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise InputError(f"malformed hook payload: tool_input.{field} must be a string")
    return value


def _replace(text: str, old: str, new: str, replace_all: bool, rel: str) -> str:
    """Claude Code's Edit semantics: ``old`` must occur (exactly once unless ``replace_all``)."""
    count = text.count(old) if old else 0
    if count == 0:
        raise StaleEdit(
            f"the text to replace is not in {rel} as saved on disk; read the file again and edit what it holds now"
        )
    if count > 1 and not replace_all:
        raise StaleEdit(f"the text to replace occurs {count} times in {rel}; give more context or replace_all")
    return text.replace(old, new) if replace_all else text.replace(old, new, 1)


def claude_code_edits(root: Path, cwd: Path, tool: str, tool_input: dict[str, Any]) -> list[FileEdit]:
    """The file an ``Edit``, ``MultiEdit`` or ``Write`` call would leave, from the file as saved."""
    rel = repo_path(root, cwd, _text(tool_input.get("file_path"), "file_path"))
    before = saved_text(root, rel)
    if tool == "Write":
        return [FileEdit(rel, before, _text(tool_input.get("content"), "content"))]
    if before is None:
        raise StaleEdit(f"{rel} does not exist on disk; create it with Write")
    steps: Any = [tool_input]
    if tool == "MultiEdit":
        steps = tool_input.get("edits")
        if not isinstance(steps, list) or not all(isinstance(s, dict) for s in steps):
            raise InputError("malformed hook payload: tool_input.edits must be a list of edits")
    elif tool != "Edit":
        raise InputError(f"malformed hook payload: {tool!r} is not an edit tool (Edit, MultiEdit, Write)")
    after = before
    for step in steps:
        after = _replace(
            after,
            _text(step.get("old_string"), "old_string"),
            _text(step.get("new_string"), "new_string"),
            bool(step.get("replace_all")),
            rel,
        )
    return [FileEdit(rel, before, after)]


def codex_edits(root: Path, cwd: Path, patch: str) -> list[FileEdit]:
    """The files a Codex ``apply_patch`` would add, update, move or delete, from the files as saved."""
    lines = patch.strip().splitlines()
    if not lines or lines[0].strip() != "*** Begin Patch" or lines[-1].strip() != "*** End Patch":
        raise InputError("malformed apply_patch: it must start with '*** Begin Patch' and end with '*** End Patch'")
    edits: list[FileEdit] = []
    index = 1
    while index < len(lines) - 1:
        line = lines[index]
        if line.startswith("*** Add File: "):
            rel = repo_path(root, cwd, line.removeprefix("*** Add File: ").strip())
            body, index = _block(lines, index + 1)
            if any(not b.startswith("+") for b in body):
                raise InputError(f"malformed apply_patch: every line of an added file starts with '+' ({rel})")
            edits.append(FileEdit(rel, saved_text(root, rel), "".join(b[1:] + "\n" for b in body)))
        elif line.startswith("*** Delete File: "):
            rel = repo_path(root, cwd, line.removeprefix("*** Delete File: ").strip())
            if (before := saved_text(root, rel)) is None:
                raise StaleEdit(f"{rel} does not exist on disk; it cannot be deleted")
            edits.append(FileEdit(rel, before, None))
            index += 1
        elif line.startswith("*** Update File: "):
            rel = repo_path(root, cwd, line.removeprefix("*** Update File: ").strip())
            index += 1
            moved = None
            if index < len(lines) and lines[index].startswith("*** Move to: "):
                moved = repo_path(root, cwd, lines[index].removeprefix("*** Move to: ").strip())
                index += 1
            body, index = _block(lines, index)
            if (before := saved_text(root, rel)) is None:
                raise StaleEdit(f"{rel} does not exist on disk; add it with '*** Add File:'")
            after = _update(before, body, rel)
            if moved and moved != rel:
                edits += [FileEdit(rel, before, None), FileEdit(moved, saved_text(root, moved), after)]
            else:
                edits.append(FileEdit(rel, before, after))
        else:
            raise InputError(f"malformed apply_patch: unexpected line {line[:80]!r}")
    if not edits:
        raise InputError("malformed apply_patch: it changes no file")
    return edits


def _block(lines: list[str], index: int) -> tuple[list[str], int]:
    """The lines of one file's section, up to the next ``*** `` header (``*** End of File`` belongs to it)."""
    body = []
    while index < len(lines) - 1 and (not lines[index].startswith("*** ") or lines[index] == "*** End of File"):
        if lines[index] != "*** End of File":
            body.append(lines[index])
        index += 1
    return body, index


def _update(before: str, body: list[str], rel: str) -> str:
    """Apply the ``@@``-separated chunks of an update in order, matching exactly, then ignoring trailing blanks."""
    lines = before.splitlines()
    chunks: list[list[str]] = [[]]
    for line in body:
        if line.startswith("@@"):
            chunks.append([])
        else:
            chunks[-1].append(line)
    at = 0
    for chunk in (c for c in chunks if c):
        old = [c[1:] for c in chunk if c[:1] in (" ", "-", "")]
        new = [c[1:] for c in chunk if c[:1] in (" ", "+", "")]
        found = _find(lines, old, at)
        if found is None:
            raise StaleEdit(
                f"a hunk of the patch for {rel} does not match the file as saved on disk; read the "
                "file again and patch what it holds now"
            )
        lines[found : found + len(old)] = new
        at = found + len(new)
    return "\n".join(lines) + "\n" if lines else ""


def _find(lines: list[str], old: list[str], start: int) -> int | None:
    if not old:
        return len(lines)
    for same in (lambda a, b: a == b, lambda a, b: a.rstrip() == b.rstrip()):
        for i in range(start, len(lines) - len(old) + 1):
            if all(same(lines[i + k], old[k]) for k in range(len(old))):
                return i
    return None
