"""The fixed, read-only tools the model may call while planning: open a file range, search, list a directory.

Everything is read from one commit (the base the candidate is gated on), so
what the model sees is what its edits are matched against, and nothing it
asks for can reach outside the repository: paths are normalised and must
name a tracked file or directory; there is no shell and nothing writes.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import git

from agent.edits import repo_path
from agent.plan import ToolCall
from core.secrets import redact

MAX_LINES = 200
MAX_HITS = 8


class Snapshot:
    """The tracked files of ``rev`` in the repository at ``root``, read through git (never the disk)."""

    def __init__(self, repo: git.Repo, rev: str) -> None:
        self.repo = repo
        self.rev = rev

    @property
    def root(self) -> Path:
        return Path(str(self.repo.working_tree_dir))

    @cached_property
    def paths(self) -> list[str]:
        return self.repo.git.ls_tree("-r", "--name-only", "-z", self.rev).split("\0")[:-1] or []

    def confine(self, path: str | None) -> str | None:
        """``path`` as a clean repository-relative path ("" for the root), or None if it leaves the repository."""
        if path is None:
            return None
        if posixpath.normpath(path.strip().lstrip("/") or ".") == ".":
            return ""
        return repo_path(path)

    def read(self, path: str) -> str | None:
        """The text of ``path`` at the snapshot, or None if it is not a tracked text file."""
        clean = self.confine(path)
        if clean is None or clean not in self._path_set:
            return None
        data = self.repo.git.show(
            f"{self.rev}:{clean}", strip_newline_in_stdout=False, as_process=False, stdout_as_string=False
        )
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return None

    @cached_property
    def _path_set(self) -> set[str]:
        return set(self.paths)

    def list_dir(self, path: str) -> list[str] | None:
        """Immediate entries of directory ``path`` (directories end with /), or None if there is none."""
        clean = self.confine(path)
        if clean is None:
            return None
        prefix = f"{clean}/" if clean else ""
        entries = sorted(
            {
                p[len(prefix) :].split("/")[0] + ("/" if "/" in p[len(prefix) :] else "")
                for p in self.paths
                if p.startswith(prefix)
            }
        )
        return entries or None


@dataclass
class ToolBox:
    """The model's read-only tools over a snapshot and the index, with a budget of calls."""

    snapshot: Snapshot
    root: Path
    budget: int = 6
    used: int = 0
    log: list[dict] = field(default_factory=list)
    opened: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # line ranges shown, per file

    def run(self, call: ToolCall) -> str:
        """The tool's answer as text for the model (errors are answers too, never exceptions)."""
        if self.used >= self.budget:
            return f"{call.tool}: the budget of {self.budget} tool calls is spent; answer with the plan now."
        self.used += 1
        if call.tool == "open_file":
            answer = self._open(call)
        elif call.tool == "list_dir":
            entries = self.snapshot.list_dir(call.path or "")
            answer = "\n".join(entries) if entries else f"list_dir: no directory {call.path!r} in the repository"
        else:
            answer = self._search(call.query or "")
        self.log.append({"tool": call.tool, "path": call.path, "query": call.query, "chars": len(answer)})
        return redact(answer)

    def _open(self, call: ToolCall) -> str:
        text = self.snapshot.read(call.path or "")
        if text is None:
            return f"open_file: no tracked text file {call.path!r} in the repository"
        lines = text.splitlines()
        start = max(1, call.start_line or 1)
        end = min(len(lines), call.end_line or start + MAX_LINES - 1, start + MAX_LINES - 1)
        body = "\n".join(f"{n:>5} | {lines[n - 1]}" for n in range(start, end + 1))
        if start <= end:
            self.opened.setdefault(self.snapshot.confine(call.path) or "", []).append((start, end))
        return f"{call.path} lines {start}-{end} of {len(lines)}:\n{body}"

    def _search(self, query: str) -> str:
        from retrieval.index import open_index

        if not query.strip():
            return "search: give a query"
        index = open_index(self.root)
        by_id = {c.id: c for c in index.chunks()}
        hits = [by_id[i] for i, _ in index.lexical_search(query, MAX_HITS) if i in by_id]
        if not hits:
            return f"search: nothing matches {query!r}"
        return "\n".join(
            f"{c.path}:{c.start_line}-{c.end_line} {c.name or c.kind}: {_first_line(c.signature or c.text)}"
            for c in hits
        )


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")
