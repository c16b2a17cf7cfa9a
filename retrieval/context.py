"""Pack ranked context into a token budget: a repo map of signatures, then the best snippets.

The repo map tells a model where things are (paths and def/class lines of
the top files); the snippets give it the code it will most likely edit: the
top-ranked functions first, then the best other chunks of the top files. Both
share one budget, counted with the same rough tokenizer everywhere
(≈ 4 characters a token), so a pack never exceeds what it was given.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from core.console import err
from core.errors import IndexStateError
from core.settings import EmbeddingConfig
from retrieval.rank import RankedChunk, RankedFile, rank
from retrieval.types import IndexView

Reorder = Callable[[list[RankedFile], list[RankedChunk]], list[RankedFile]]
MAP_SHARE = 0.25
MAP_FILES = 15
MAP_SIGNATURES = 25  # per file
LEAD_FUNCTIONS = 5  # the top functions lead the snippets, whatever their chunk-level rank


def count_tokens(text: str) -> int:
    """A model-independent token estimate (≈ 4 characters a token, never zero for text)."""
    return (len(text) + 3) // 4


@dataclass
class ContextPack:
    """What an issue needs from the repository, ranked and packed for a prompt."""

    files: list[RankedFile]
    chunks: list[RankedChunk]
    text: str
    tokens: int
    functions: list[RankedChunk] = field(default_factory=list)


def build_context(
    root: Path,
    issue: str,
    *,
    config: EmbeddingConfig,
    budget: int = 6000,
    current_file: str | None = None,
    refresh: bool = True,
    top_files: int = 10,
    reorder: Reorder | None = None,
) -> ContextPack:
    """Refresh the index of ``root`` (incrementally, as ``config`` says), rank for ``issue`` and pack within
    ``budget`` tokens."""
    from retrieval import store
    from retrieval.index import build_index, default_index_dir, open_index

    if refresh:
        build_index(root, config=config, progress=False)
    try:
        return pack(
            open_index(root), issue, budget=budget, current_file=current_file, top_files=top_files, reorder=reorder
        )
    except IndexStateError as exc:
        if store.live_dir(default_index_dir(root)) is None:
            raise  # no index at all: the message says to build one
        err.print(f"{exc}; rebuilding the index", markup=False)  # a damaged part, or a build swapped in meanwhile
    build_index(root, config=config, progress=False, reuse=False)
    return pack(open_index(root), issue, budget=budget, current_file=current_file, top_files=top_files, reorder=reorder)


def pack(
    index: IndexView,
    issue: str,
    *,
    budget: int,
    current_file: str | None = None,
    top_files: int = 10,
    reorder: Reorder | None = None,
) -> ContextPack:
    """Rank ``index`` for ``issue`` and pack the result within ``budget`` tokens."""
    ranking = rank(index, issue, current_file=current_file)
    if reorder is not None:  # e.g. a model's listwise rerank (the agent layer supplies it)
        ranking.files = reorder(ranking.files, ranking.chunks)
    files = ranking.files[:top_files]
    parts: list[str] = []
    used = _add(parts, 0, _repo_map(index, ranking.files[:MAP_FILES], int(budget * MAP_SHARE)), budget)
    chosen: list[RankedChunk] = []
    lead = ranking.functions[:LEAD_FUNCTIONS]
    for rc in _best_chunks(lead, ranking.chunks, {f.path for f in files}):
        used_after = _add(parts, used, _snippet(rc), budget)
        if used_after == used:
            continue
        used = used_after
        chosen.append(rc)
    return ContextPack(files, chosen, "\n".join(parts), used, ranking.functions[:top_files])


def _add(parts: list[str], used: int, text: str, limit: int) -> int:
    """Append ``text`` if it fits under ``limit``; returns the new total."""
    cost = count_tokens(text + "\n")
    if not text or used + cost > limit:
        return used
    parts.append(text)
    return used + cost


def _repo_map(index: IndexView, files: list[RankedFile], limit: int) -> str:
    """The map that fits in ``limit`` tokens: as many file paths as fit (best first), then their signatures.

    A small budget still gets a map, only a shorter one: paths first because
    knowing where things are is worth more than one more signature.
    """
    wanted = {f.path for f in files}
    sigs: dict[str, list[str]] = {p: [] for p in wanted}
    for c in index.chunks():
        if c.path in wanted and c.kind in ("function", "class", "method"):
            sigs[c.path].append(("    " if c.kind == "method" else "") + c.signature.splitlines()[-1].strip())
    header = "## Repository map (most relevant files first)"
    room = limit * 4 - len(header) - 2  # count_tokens is ≈ 4 characters a token; 2 for the newlines around it
    shown: dict[str, list[str]] = {}
    for f in files:
        if len(f.path) + 2 > room:
            break
        shown[f.path] = []
        room -= len(f.path) + 2
    for path in shown:
        for sig in sigs[path][:MAP_SIGNATURES]:
            if len(sig) + 3 > room:
                break
            shown[path].append(sig)
            room -= len(sig) + 3
    if not shown:
        return ""
    lines = [header]
    for path, signatures in shown.items():
        lines.append(f"{path}:")
        lines.extend(f"  {s}" for s in signatures)
    return "\n".join(lines)


def _best_chunks(lead: list[RankedChunk], chunks: list[RankedChunk], top: set[str]) -> list[RankedChunk]:
    """The lead functions, then chunks of the top files, then the rest; no two chunks overlapping in one file."""
    ordered = lead + sorted(chunks, key=lambda rc: (rc.chunk.path not in top, -rc.score))
    taken: dict[str, list[tuple[int, int]]] = {}
    out = []
    for rc in ordered:
        spans = taken.setdefault(rc.chunk.path, [])
        if any(rc.chunk.start_line <= e and s <= rc.chunk.end_line for s, e in spans):
            continue
        spans.append((rc.chunk.start_line, rc.chunk.end_line))
        out.append(rc)
    return out


def _snippet(rc: RankedChunk) -> str:
    c = rc.chunk
    return f"## {c.path}:{c.start_line}-{c.end_line} {c.name}\n```\n{c.text}\n```"
