"""Rank files and chunks for an issue, with the reasons that put each one there.

Every signal is scaled to [0, 1] over the repository's files, then fused with
fixed weights (the same for every repository; documented in docs/ranking.md):

    score = 0.30·lexical_file + 0.20·lexical_chunk + 0.15·dense + 0.35·named
            + 0.10·import_graph + 0.10·locality,  × 0.35 for tests/docs/examples

``named`` is what the issue names: a path or stack frame (1.0), a dotted
module (1.0), identifiers defined in the file (weighted by how rare the
definition is, so ``__init__`` counts for little and ``calc_spa`` for a lot).
Tests, docs and examples are rarely where a fix goes, so they are damped
unless the issue names them by path.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from weakref import WeakKeyDictionary

import numpy as np

from patchgate.pymodules import module_names
from patchgate.retrieval.graph import neighbours
from patchgate.retrieval.lexical import tokenize
from patchgate.retrieval.mentions import Mentions, extract
from patchgate.retrieval.types import Chunk, IndexView

WEIGHTS = {"lexical_file": 0.30, "lexical_chunk": 0.20, "dense": 0.15, "named": 0.35, "import_graph": 0.10,
           "locality": 0.10}
NON_SOURCE_DAMPING = 0.35
CHUNK_POOL = 300
EXPLAINED_FILES = 20  # files whose lexical reason names the matched words
MATCHED_WORDS = 5
_NON_SOURCE_DIRS = frozenset({"test", "tests", "testing", "doc", "docs", "example", "examples", "benchmarks",
                              "bench", "scripts", "ci", ".github"})


@dataclass(frozen=True)
class Reason:
    """One signal's contribution to a file's score, with a human-readable detail."""

    signal: str
    detail: str
    score: float


@dataclass
class RankedFile:
    path: str
    score: float
    reasons: list[Reason] = field(default_factory=list)


@dataclass
class RankedChunk:
    chunk: Chunk
    score: float
    reasons: list[Reason] = field(default_factory=list)


@dataclass
class Ranking:
    files: list[RankedFile]
    chunks: list[RankedChunk]


@dataclass(frozen=True)
class _Facts:
    """What ranking derives from an index alone: computed once per opened index, not once per query."""

    files: list[str]
    pos: dict[str, int]
    defined: dict[str, frozenset[int]]  # a symbol name or file stem -> the files defining it
    modules: dict[str, str]  # dotted module -> file
    damping: np.ndarray  # 1.0 for library code, NON_SOURCE_DAMPING for tests/docs/examples


_FACTS: WeakKeyDictionary = WeakKeyDictionary()


def _facts(index: IndexView) -> _Facts:
    if index not in _FACTS:
        files = [f.path for f in index.files()]
        pos = {p: i for i, p in enumerate(files)}
        defined: dict[str, set[int]] = defaultdict(set)
        for sym in index.symbols():
            if sym.path in pos:
                defined[sym.name.rsplit(".", 1)[-1]].add(pos[sym.path])
        for i, path in enumerate(files):
            defined[PurePosixPath(path).stem].add(i)
        modules = {name: path for path in files if path.endswith(".py") for name in module_names(path)}
        damping = np.array([1.0 if is_source(p) else NON_SOURCE_DAMPING for p in files])
        _FACTS[index] = _Facts(files, pos, {k: frozenset(v) for k, v in defined.items()}, modules, damping)
    return _FACTS[index]


def rank(index: IndexView, issue: str, *, current_file: str | None = None) -> Ranking:
    """Files and chunks of ``index`` ranked for ``issue``, best first, each with its reasons."""
    facts = _facts(index)
    files, pos = facts.files, facts.pos
    mentions = extract(issue)
    explicit = [pos[p] for p in _explicit_paths(mentions, files)]
    signals: dict[str, np.ndarray] = {}
    details: dict[str, dict[int, str]] = defaultdict(dict)

    file_lex = _file_lexical(index, issue, len(files))
    signals["lexical_file"] = _unit(file_lex)
    chunk_hits = index.lexical_search(issue, CHUNK_POOL)
    dense_hits = index.dense_search(issue, CHUNK_POOL)
    chunks = index.chunks()
    signals["lexical_chunk"] = _unit(_per_file_max(chunk_hits, chunks, pos, details["lexical_chunk"]))
    signals["dense"] = _unit(_per_file_max(dense_hits, chunks, pos, details["dense"]))
    signals["named"] = _named(facts, mentions, explicit, details["named"])
    signals["import_graph"] = _graph(index, signals["named"], pos, details["import_graph"])
    signals["locality"] = _locality(files, current_file, details["locality"])

    total = sum(WEIGHTS[name] * values for name, values in signals.items())
    damp = facts.damping.copy()
    damp[explicit] = 1.0  # named by path: never damped
    total = total * damp
    order = np.argsort(-total, kind="stable")
    _matched_words(index, issue, [int(i) for i in order[:EXPLAINED_FILES] if file_lex[i] > 0], files,
                   details["lexical_file"])
    ranked_files = [RankedFile(files[i], float(total[i]), _reasons(i, signals, details, damp[i]))
                    for i in order if total[i] > 0]
    file_score = {f.path: f.score for f in ranked_files}
    return Ranking(ranked_files, _rank_chunks(chunks, chunk_hits, dense_hits, file_score))


def is_source(path: str) -> bool:
    """Whether a path looks like library code rather than tests, docs or examples."""
    p = PurePosixPath(path)
    if any(part.lower() in _NON_SOURCE_DIRS for part in p.parts[:-1]):
        return False
    name = p.name.lower()
    return not (name.startswith("test_") or name.endswith(("_test.py", "_tests.py", ".test.js", ".spec.ts"))
                or name in ("conftest.py", "setup.py") or p.suffix in (".md", ".rst", ".txt"))


def _file_lexical(index: IndexView, issue: str, n: int) -> np.ndarray:
    scorer = getattr(index, "file_lexical_scores", None)
    return scorer(issue) if scorer else np.zeros(n, dtype=np.float32)


def _matched_words(index: IndexView, issue: str, best: list[int], files: list[str], detail: dict[int, str]) -> None:
    """Name the issue's words each of the ``best`` files contains, the issue's most repeated words first.

    Only the files a person will see are read again, so a query stays cheap.
    """
    counts = Counter(tokenize(issue))
    for i in best:
        try:
            present = set(tokenize(index.file_text(files[i])))
        except (OSError, KeyError, UnicodeDecodeError):
            continue
        words = sorted((w for w in counts if w in present), key=lambda w: -counts[w])  # stable: issue order on ties
        if words:
            shown = ", ".join(words[:MATCHED_WORDS])
            detail[i] = f"matches {shown}" + (f" +{len(words) - MATCHED_WORDS} more" if len(words) > MATCHED_WORDS else "")


def _unit(values: np.ndarray) -> np.ndarray:
    top = float(values.max()) if len(values) else 0.0
    return values / top if top > 0 else values


def _per_file_max(hits: list[tuple[int, float]], chunks: list[Chunk], pos: dict[str, int],
                  detail: dict[int, str]) -> np.ndarray:
    out = np.zeros(len(pos), dtype=np.float32)
    for cid, score in hits:
        c = chunks[cid]
        i = pos.get(c.path)
        if i is not None and score > out[i]:
            out[i] = score
            detail[i] = f"{c.name or c.kind} (lines {c.start_line}-{c.end_line})"
    return out


def _named(facts: _Facts, m: Mentions, explicit: list[int], detail: dict[int, str]) -> np.ndarray:
    """What the issue names: paths and frames, dotted modules, and identifiers defined in a file."""
    out = np.zeros(len(facts.files), dtype=np.float32)
    for i in explicit:
        out[i] = 1.0
        detail[i] = f"path {facts.files[i]}"
    for dotted in m.modules:
        path = _module_file(dotted, facts.modules)
        if path and out[facts.pos[path]] < 1.0:
            out[facts.pos[path]] = 1.0
            detail[facts.pos[path]] = f"module {dotted}"
    ident = _identifier_scores(facts, m, detail)
    return np.maximum(out, _unit(ident))


def _identifier_scores(facts: _Facts, m: Mentions, detail: dict[int, str]) -> np.ndarray:
    out = np.zeros(len(facts.files), dtype=np.float32)
    best: dict[int, tuple[float, str]] = {}
    for name, strength in m.identifiers.items():
        where = facts.defined.get(name) or facts.defined.get(name.lower()) or frozenset()
        if not where:
            continue
        weight = strength / (1.0 + math.log2(len(where)))
        for i in where:
            out[i] += weight
            if weight > best.get(i, (0.0, ""))[0]:
                best[i] = (weight, name)
    for i, (_, name) in best.items():
        detail.setdefault(i, f"defines {name}")
    return out


def _module_file(dotted: str, modules: dict[str, str]) -> str | None:
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        path = modules.get(".".join(parts[:end]))
        if path:
            return path if end > 1 or len(parts) == 1 else None
    return None


def _explicit_paths(m: Mentions, files: list[str]) -> list[str]:
    """Repository files the issue names by path or in a stack frame (suffix match)."""
    named = [p for p in m.paths] + [f for f, _, _ in m.frames]
    found = []
    for ref in named:
        ref = ref.replace("\\", "/").lstrip("./")
        hits = [f for f in files if f == ref or f.endswith("/" + ref) or ref.endswith("/" + f)]
        if len(hits) <= 3:
            found.extend(hits)
    return list(dict.fromkeys(found))


def _graph(index: IndexView, named: np.ndarray, pos: dict[str, int], detail: dict[int, str]) -> np.ndarray:
    """Import-graph neighbours of the files the issue names strongly."""
    out = np.zeros(len(named), dtype=np.float32)
    adjacency = neighbours(index.imports())
    paths = list(pos)
    for i in np.flatnonzero(named >= 0.5):
        for other in adjacency.get(paths[i], ()):
            j = pos.get(other)
            if j is not None and named[i] > out[j]:
                out[j] = named[i]
                detail[j] = f"imports or is imported by {paths[i]}"
    return out


def _locality(files: list[str], current: str | None, detail: dict[int, str]) -> np.ndarray:
    out = np.zeros(len(files), dtype=np.float32)
    if not current:
        return out
    here = PurePosixPath(current).parts
    for i, path in enumerate(files):
        parts = PurePosixPath(path).parts
        shared = next((k for k, (a, b) in enumerate(zip(here[:-1], parts[:-1])) if a != b),
                      min(len(here), len(parts)) - 1)
        if shared > 0 or len(here) == len(parts) == 1:
            out[i] = (shared + 1) / len(here)
            detail[i] = f"near {current}"
    return out


def _reasons(i: int, signals: dict[str, np.ndarray], details: dict[str, dict[int, str]], damp: float) -> list[Reason]:
    reasons = [Reason(name, details[name].get(i, ""), float(WEIGHTS[name] * values[i]))
               for name, values in signals.items() if values[i] > 0]
    if damp < 1:
        reasons.append(Reason("non_source", "tests/docs/examples are damped", damp))
    return sorted(reasons, key=lambda r: -r.score)


def _rank_chunks(chunks: list[Chunk], lexical: list[tuple[int, float]], dense: list[tuple[int, float]],
                 file_score: dict[str, float]) -> list[RankedChunk]:
    """Chunks by their own lexical/dense rank (reciprocal-rank fusion), weighted by their file's score."""
    fused: dict[int, float] = defaultdict(float)
    why: dict[int, list[Reason]] = defaultdict(list)
    for signal, hits in (("lexical_chunk", lexical), ("dense", dense)):
        for r, (cid, score) in enumerate(hits):
            fused[cid] += 1.0 / (60 + r)
            why[cid].append(Reason(signal, f"rank {r + 1}", float(score)))
    ranked = [RankedChunk(chunks[cid], s * (0.5 + file_score.get(chunks[cid].path, 0.0)), why[cid])
              for cid, s in fused.items()]
    return sorted(ranked, key=lambda rc: (-rc.score, rc.chunk.id))
