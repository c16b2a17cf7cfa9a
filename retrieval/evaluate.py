"""Localization evaluation on SWE-bench-style datasets: are the gold files and functions in the top k?

Each instance is indexed at its base commit straight from the repository's
object store (nothing is checked out, nothing written there). Instances of one
repository share one index folder and one vector cache, so the second commit
of a repository costs only what changed since the first.

An instance gives its gold either as a ``patch`` (SWE-bench) or, for sets
mined from commit histories (benchmarks/mine_commits.py), as ``gold_files``
with ``gold_lines``: the old-side line ranges each file's change touched. The
gold functions are the functions, methods or classes at the base commit that
those lines fall in (the innermost one); an instance whose change touches no
definition counts for the file level only.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from unidiff import PatchSet
from unidiff.errors import UnidiffParseError

from core.errors import InputError
from retrieval.embeddings import EmbeddingConfig
from retrieval.index import CommitSource, build_index, open_index
from retrieval.rank import Ranking, rank
from retrieval.types import Chunk, IndexView

REQUIRED = ("instance_id", "repo", "base_commit", "problem_statement")
_DEFINITIONS = ("function", "method", "class")


@dataclass
class InstanceResult:
    instance_id: str
    gold: list[str]
    ranks: dict[str, int | None]  # gold file -> 1-based rank, None if not ranked
    top: list[str] = field(default_factory=list)
    function_ranks: dict[str, int | None] = field(default_factory=dict)  # "path::name" -> rank; empty: none

    def hit(self, k: int) -> bool:
        return all(r is not None and r <= k for r in self.ranks.values())

    def function_hit(self, k: int) -> bool:
        return bool(self.function_ranks) and all(r is not None and r <= k for r in self.function_ranks.values())


@dataclass
class EvalReport:
    results: list[InstanceResult]
    skipped: list[tuple[str, str]]  # (instance_id, why)
    # the encoders whose vectors ranked the instances: ``auto`` is tuned on one machine and static on another, and
    # a figure is only comparable with one ranked by the same encoder
    encoders: set[str] = field(default_factory=set)

    def accuracy(self, k: int) -> float:
        return sum(r.hit(k) for r in self.results) / len(self.results) if self.results else 0.0

    def function_accuracy(self, k: int) -> float:
        counted = [r for r in self.results if r.function_ranks]
        return sum(r.function_hit(k) for r in counted) / len(counted) if counted else 0.0

    def summary(self, ks: list[int]) -> dict:
        counted = sum(1 for r in self.results if r.function_ranks)
        return {
            "instances": len(self.results),
            "dense": ", ".join(sorted(self.encoders)) or "none",
            **{f"acc@{k}": round(self.accuracy(k), 4) for k in ks},
            "function_instances": counted,
            **{f"function_acc@{k}": round(self.function_accuracy(k), 4) for k in ks},
        }


def load_dataset(path: Path) -> list[dict]:
    """A JSON list or JSONL file of instances, gzipped when its name ends in ``.gz`` (the training sets ship so);
    one-line errors name the bad line."""
    try:
        text = gzip.decompress(path.read_bytes()).decode() if path.suffix == ".gz" else path.read_text(encoding="utf-8")
    except (OSError, EOFError, zlib.error) as exc:  # gzip: not gzip (OSError), truncated (EOF), corrupt (zlib)
        raise InputError(f"cannot read dataset {path}: {getattr(exc, 'strerror', None) or exc}") from None
    except UnicodeDecodeError:
        raise InputError(f"cannot read dataset {path}: not UTF-8 text") from None
    stripped = text.lstrip()
    try:
        if stripped.startswith("["):
            rows = json.loads(text)
        else:
            rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not JSON or JSONL (line {exc.lineno}: {exc.msg})") from None
    for n, row in enumerate(rows, start=1):
        missing = [k for k in REQUIRED if not isinstance(row, dict) or k not in row]
        if isinstance(row, dict) and "patch" not in row and "gold_files" not in row:
            missing.append("patch")
        if missing:
            raise InputError(f"{path}: instance {n} lacks {', '.join(missing)}")
    return rows


def gold_files(patch: str) -> list[str]:
    """The files a patch changes (source side for deletions, target side otherwise)."""
    return sorted(gold_lines(patch))


def gold_lines(patch: str) -> dict[str, list[tuple[int, int]]]:
    """Each file a patch changes, with the old-side line ranges of its hunks' changes."""
    try:
        patch_set = PatchSet(patch)
    except UnidiffParseError as exc:
        raise InputError(f"unreadable gold patch: {exc}") from None
    out: dict[str, list[tuple[int, int]]] = {}
    for f in patch_set:
        path = (f.source_file if f.is_removed_file else f.target_file).split("/", 1)[1]
        spans = out.setdefault(path, [])
        for hunk in f:
            old = [line.source_line_no for line in hunk if line.is_removed and line.source_line_no is not None]
            if old:
                spans.append((min(old), max(old)))
            elif any(line.is_added for line in hunk):  # a pure insertion: the line it follows
                spans.append((_line_before_insertion(hunk),) * 2)
    return out


def _line_before_insertion(hunk) -> int:
    before = hunk.source_start
    for line in hunk:
        if line.is_added:
            break
        before = line.source_line_no or before
    return before


def row_gold(row: dict) -> dict[str, list[tuple[int, int]]]:
    """The gold files of an instance with their changed line ranges, from its patch or its mined fields."""
    if "patch" in row:
        return gold_lines(row["patch"])
    return {p: [tuple(s) for s in row.get("gold_lines", {}).get(p, [])] for p in row["gold_files"]}


def gold_functions(index: IndexView, gold: dict[str, list[tuple[int, int]]]) -> list[Chunk]:
    """The innermost definition (function, method or class) around each changed line range."""
    by_path: dict[str, list[Chunk]] = {}
    for c in index.chunks():
        if c.path in gold and c.kind in _DEFINITIONS:
            by_path.setdefault(c.path, []).append(c)
    found: dict[int, Chunk] = {}
    for path, spans in gold.items():
        for start, end in spans:
            around = [c for c in by_path.get(path, []) if c.start_line <= end and start <= c.end_line]
            if around:
                inner = min(around, key=lambda c: c.end_line - c.start_line)
                found[inner.id] = inner
    return list(found.values())


def evaluate(
    rows: list[dict],
    repos: Path,
    *,
    work_dir: Path | None = None,
    config: EmbeddingConfig | None = None,
    on_instance=None,
) -> EvalReport:
    """Rank every instance's repository at its base commit and record where the gold files land.

    Without ``work_dir`` the indexes go to a temporary folder removed at the end: a run that is not asked to
    keep them for the next one leaves nothing behind.
    """
    with contextlib.ExitStack() as stack:
        work = work_dir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="patchgate-eval-")))
        report = EvalReport([], [])
        for row in sorted(rows, key=lambda r: (r["repo"], r.get("created_at", ""), r["instance_id"])):
            result = None
            index = instance_index(row, repos, work, config, report)
            if index is not None:
                result = score(row, index, rank(index, row["problem_statement"]))
                report.results.append(result)
                report.encoders.add(index.dense_kind)
            if on_instance:
                on_instance(row["instance_id"], result)
    return report


def instance_index(row: dict, repos: Path, work: Path, config: EmbeddingConfig | None, report: EvalReport):
    """The index of an instance's repository at its base commit (built incrementally), or None: skipped."""
    key = row["repo"].replace("/", "__")
    repo_dir = repos / key
    if not repo_dir.exists():
        report.skipped.append((row["instance_id"], f"repository {repo_dir} missing"))
        return None
    try:
        build_index(
            CommitSource(repo_dir, row["base_commit"]),
            work / key / "index",
            config=config,
            cache_dir=work / key / "cache",
            progress=False,
        )
    except InputError as exc:
        report.skipped.append((row["instance_id"], str(exc)))
        return None
    return open_index(work / key, work / key / "index")


def score(row: dict, index: IndexView, ranking: Ranking) -> InstanceResult:
    """Where an instance's gold files and gold functions land in ``ranking``."""
    order = [f.path for f in ranking.files]
    gold = row_gold(row)
    ranks = {g: (order.index(g) + 1 if g in order else None) for g in sorted(gold)}
    functions = [(rc.chunk.path, rc.chunk.name) for rc in ranking.functions]
    fn_ranks = {
        f"{c.path}::{c.name}": (functions.index((c.path, c.name)) + 1 if (c.path, c.name) in functions else None)
        for c in gold_functions(index, gold)
    }
    return InstanceResult(row["instance_id"], sorted(gold), ranks, order[:10], fn_ranks)
