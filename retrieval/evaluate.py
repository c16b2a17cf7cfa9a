"""Localization evaluation on SWE-bench-style datasets: is the gold file in the top k?

Each instance is indexed at its base commit straight from the repository's
object store (nothing is checked out, nothing written there). Instances of one
repository share one index folder and one vector cache, so the second commit
of a repository costs only what changed since the first.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from unidiff import PatchSet
from unidiff.errors import UnidiffParseError

from patchgate.errors import InputError
from patchgate.retrieval.embeddings import EmbeddingConfig
from patchgate.retrieval.index import CommitSource, build_index, open_index
from patchgate.retrieval.rank import rank

REQUIRED = ("instance_id", "repo", "base_commit", "problem_statement", "patch")


@dataclass
class InstanceResult:
    instance_id: str
    gold: list[str]
    ranks: dict[str, int | None]  # gold file -> 1-based rank, None if not ranked
    top: list[str] = field(default_factory=list)

    def hit(self, k: int) -> bool:
        return all(r is not None and r <= k for r in self.ranks.values())


@dataclass
class EvalReport:
    results: list[InstanceResult]
    skipped: list[tuple[str, str]]  # (instance_id, why)

    def accuracy(self, k: int) -> float:
        return sum(r.hit(k) for r in self.results) / len(self.results) if self.results else 0.0

    def summary(self, ks: list[int]) -> dict:
        return {"instances": len(self.results), **{f"acc@{k}": round(self.accuracy(k), 4) for k in ks}}


def load_dataset(path: Path) -> list[dict]:
    """A JSON list or JSONL file of instances; one-line errors name the bad line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read dataset {path}: {exc.strerror}") from None
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
        if missing:
            raise InputError(f"{path}: instance {n} lacks {', '.join(missing)}")
    return rows


def gold_files(patch: str) -> list[str]:
    """The files a patch changes (source side for deletions, target side otherwise)."""
    try:
        patch_set = PatchSet(patch)
    except UnidiffParseError as exc:
        raise InputError(f"unreadable gold patch: {exc}") from None
    return sorted({(f.source_file if f.is_removed_file else f.target_file).split("/", 1)[1] for f in patch_set})


def evaluate(rows: list[dict], repos: Path, *, work_dir: Path | None = None, config: EmbeddingConfig | None = None,
             on_instance=None) -> EvalReport:
    """Rank every instance's repository at its base commit and record where the gold files land."""
    work = work_dir or Path(tempfile.mkdtemp(prefix="patchgate-eval-"))
    report = EvalReport([], [])
    for row in sorted(rows, key=lambda r: (r["repo"], r.get("created_at", ""), r["instance_id"])):
        result = _one(row, repos, work, config, report)
        if result is not None:
            report.results.append(result)
        if on_instance:
            on_instance(row["instance_id"], result)
    return report


def _one(row: dict, repos: Path, work: Path, config: EmbeddingConfig | None, report: EvalReport):
    repo_dir = repos / row["repo"].replace("/", "__")
    if not repo_dir.exists():
        report.skipped.append((row["instance_id"], f"repository {repo_dir} missing"))
        return None
    key = row["repo"].replace("/", "__")
    try:
        build_index(CommitSource(repo_dir, row["base_commit"]), work / key / "index", config=config,
                    cache_dir=work / key / "cache", progress=False)
    except InputError as exc:
        report.skipped.append((row["instance_id"], str(exc)))
        return None
    index = open_index(work / key, work / key / "index")
    ranking = rank(index, row["problem_statement"])
    order = [f.path for f in ranking.files]
    gold = gold_files(row["patch"])
    ranks = {g: (order.index(g) + 1 if g in order else None) for g in gold}
    return InstanceResult(row["instance_id"], gold, ranks, order[:10])
