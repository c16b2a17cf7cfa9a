"""Rank files, functions and chunks for an issue, with the reasons that put each one there.

The signals (``retrieval.signals``) are fused by a model that was FITTED, not
set by hand: small gradient-boosted trees (LambdaRank, the gold files as the
target) trained on commit histories of other repositories and on the dev
split, never on the repositories we evaluate on (see docs/ranking.md and
benchmarks/fit_fusion.py). The trees ship as data (``fusion.json``) and run
with numpy (``retrieval.fusion``); ``locality`` (only known when the user
names the file they edit) has no training data and adds a fixed weight to the
logit.

Functions and classes are ranked inside the top files by a second fitted
listwise model over their features (``function_features``: their file's score
and rank, their BM25 and dense match, whether the issue names them, writes
them as code, runs through them in a traceback or quotes their text).
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from retrieval.fusion import Trees
from retrieval.lexical import tokenize
from retrieval.signals import SIGNALS, Signals, compute, is_source, issue_title, unit
from retrieval.types import Chunk, IndexView

# the trees for static vectors (and the transformer's), and the function weights of every kind
WEIGHTS_FILE = Path(__file__).with_name("fusion.json")
TUNED_TREES_FILE = Path(__file__).with_name("fusion_tuned.json")  # the trees fitted on the tuned encoder's cosines
LOCALITY_WEIGHT = 0.5
# signals that say nothing about this issue
PRIORS = frozenset({"size", "non_source", "not_code", "history_fixes", "history_recent"})
FUNCTION_FILES = 20  # functions are ranked within this many top files
EXPLAINED_FILES = 20  # files whose lexical reason names the matched words
MATCHED_WORDS = 5
LEARNED_REASON = 0.9  # a definition's learned cosine, against the best one, that is worth a reason
_DEFINITIONS = ("function", "method", "class")

__all__ = ["RankedChunk", "RankedFile", "Ranking", "Reason", "fuse", "is_source", "model", "rank"]


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
    functions: list[RankedChunk] = field(default_factory=list)


def trees_file(dense_kind: str) -> Path:
    """Where the trees fitted for an index's dense vectors are: the tuned encoder's cosines are spread otherwise
    than the static model's, and trees split on values."""
    return TUNED_TREES_FILE if dense_kind == "tuned" else WEIGHTS_FILE


@lru_cache(maxsize=2)
def model(dense_kind: str = "static") -> Trees:
    """The fitted fusion model for ``dense_kind`` (read once per process)."""
    return Trees.load(trees_file(dense_kind))


def fuse(values: np.ndarray, dense_kind: str = "static") -> tuple[np.ndarray, np.ndarray]:
    """Each file's score and each signal's share of its logit, for ``values`` (files x ``SIGNALS``).

    The score is the logistic of the logit, so scores read as 0..1 and compare
    across issues; a source file with no evidence at all scores about 0.12.
    """
    trees = model(dense_kind)
    shares = np.zeros(values.shape, dtype=np.float64)
    if not len(values):
        return np.zeros(0), shares
    columns = [SIGNALS.index(s) for s in trees.signals]
    logit, shares[:, columns] = trees.explain(values[:, columns])
    local = SIGNALS.index("locality")
    shares[:, local] = LOCALITY_WEIGHT * values[:, local]
    return 1.0 / (1.0 + np.exp(-(logit + shares[:, local]))), shares


def rank(index: IndexView, issue: str, *, current_file: str | None = None) -> Ranking:
    """Files, functions and chunks of ``index`` ranked for ``issue``, best first, each with its reasons."""
    sig = compute(index, issue, current_file)
    total, shares = fuse(sig.values, index.dense_kind)
    about = [k for k, s in enumerate(SIGNALS) if s not in PRIORS]
    evidence = np.asarray(sig.values[:, about].any(axis=1), dtype=bool)
    order = np.argsort(-total, kind="stable")
    lexical = sig.values[:, [SIGNALS.index("lexical_file"), SIGNALS.index("lexical_title")]].max(axis=1)
    _matched_words(index, issue, [int(i) for i in order[:EXPLAINED_FILES] if lexical[i] > 0], sig.files, sig.details)
    files = [RankedFile(sig.files[i], float(total[i]), _reasons(i, sig, shares)) for i in order if evidence[i]]
    file_score = {f.path: f.score for f in files}
    chunks = index.chunks()
    return Ranking(
        files,
        _rank_chunks(chunks, sig.chunk_hits, sig.dense_hits, file_score),
        rank_functions(index, sig, files[:FUNCTION_FILES]),
    )


def _matched_words(
    index: IndexView, issue: str, best: list[int], files: list[str], details: dict[str, dict[int, str]]
) -> None:
    """Name the words of the issue (``lexical_file``) and of its title (``lexical_title``) each of the ``best``
    files contains, the most repeated words first.

    Only the files a person will see are read again, so a query stays cheap.
    """
    counts = {"lexical_file": Counter(tokenize(issue)), "lexical_title": Counter(tokenize(issue_title(issue)))}
    for i in best:
        try:
            present = set(tokenize(index.file_text(files[i])))
        except (OSError, KeyError, UnicodeDecodeError):
            continue
        for signal, count in counts.items():
            words = sorted((w for w in count if w in present), key=lambda w: -count[w])  # stable on ties
            if words:
                more = f" +{len(words) - MATCHED_WORDS} more" if len(words) > MATCHED_WORDS else ""
                details[signal][i] = f"matches {', '.join(words[:MATCHED_WORDS])}{more}"


def _reasons(i: int, sig: Signals, shares: np.ndarray) -> list[Reason]:
    """Every signal the file has, with its share of the file's logit (negative: it held the file down)."""
    reasons = [
        Reason(name, sig.details[name].get(i, ""), float(shares[i, k]))
        for k, name in enumerate(SIGNALS)
        if sig.values[i, k] > 0
    ]
    return sorted(reasons, key=lambda r: (r.signal in PRIORS, -r.score))  # evidence about this issue first


FUNCTION_FEATURES = (
    "file",
    "file_rank",
    "lexical",
    "lexical_in_file",
    "dense",
    "learned",
    "named",
    "code",
    "frame",
    "quoted",
    "is_class",
    "size",
)


def function_features(index: IndexView, sig: Signals, top: list[RankedFile]) -> tuple[list[Chunk], np.ndarray]:
    """The definitions (functions, methods, classes) of the ``top`` files and their features, each in [0, 1].

    file / file_rank: the file's fused score and 1/log2(1 + its rank); lexical: the chunk's BM25 against the
    best chunk of the repository, lexical_in_file: against the best of its file; dense / learned: cosine against
    the best hit, of the plain query / the query with learned term weights (``retrieval.learned``); named / code: the issue uses the definition's name (its strength) / writes it as code; frame:
    a traceback frame runs in it (innermost 1, outer 1/2, 1/3...); quoted: its text holds a message the
    issue quotes; is_class; size: log of its lines against the largest candidate.
    """
    place = {f.path: (f.score, 1.0 / math.log2(2 + n)) for n, f in enumerate(top)}
    chunks = [c for c in index.chunks() if c.path in place and c.kind in _DEFINITIONS]
    if not chunks:
        return [], np.zeros((0, len(FUNCTION_FEATURES)), dtype=np.float32)
    lexical = _chunk_scores(index, sig, chunks)
    best_in_file: dict[str, float] = defaultdict(float)
    for c, lex in zip(chunks, lexical, strict=True):
        best_in_file[c.path] = max(best_in_file[c.path], float(lex))
    dense, learned = dict(sig.dense_hits), dict(sig.learned_hits)
    dense_top = max(dense.values(), default=0.0) or 1.0
    learned_top = max(learned.values(), default=0.0) or 1.0
    named = {n.lower(): v for n, v in sig.mentions.identifiers.items()}
    code = {n.lower() for n in sig.mentions.code}
    frames: dict[str, float] = {}
    for depth, (_, _, func) in enumerate(reversed(sig.mentions.frames)):
        frames.setdefault(func.lower(), 1.0 / (1 + depth))
    sizes = np.log1p(np.array([c.end_line - c.start_line + 1 for c in chunks], dtype=np.float32))
    rows = []
    for c, lex, size in zip(chunks, lexical, unit(sizes), strict=True):
        short = c.name.rsplit(".", 1)[-1].lower()
        in_file = float(lex) / best_in_file[c.path] if best_in_file[c.path] > 0 else 0.0
        quoted = any(p in c.text for p in sig.mentions.phrases)
        rows.append(
            (
                *place[c.path],
                float(lex),
                in_file,
                max(dense.get(c.id, 0.0), 0.0) / dense_top,
                max(learned.get(c.id, 0.0), 0.0) / learned_top,
                named.get(short, 0.0),
                float(short in code),
                frames.get(short, 0.0),
                float(quoted),
                float(c.kind == "class"),
                float(size),
            )
        )
    return chunks, np.array(rows, dtype=np.float32)


def rank_functions(index: IndexView, sig: Signals, top: list[RankedFile]) -> list[RankedChunk]:
    """Functions, methods and classes of the top files, by fitted weights over ``function_features``.

    A definition's score is the fitted listwise model's probability that the fix is in it, among the
    candidates (a softmax; the weights are fitted by ``benchmarks/fit_fusion.py --functions``).
    """
    chunks, features = function_features(index, sig, top)
    if not chunks:
        return []
    logits = features @ function_weights()
    scores = np.exp(logits - logits.max())
    scores /= scores.sum()  # what the weights were fitted to: the chance the fix is in this definition
    col = {name: k for k, name in enumerate(FUNCTION_FEATURES)}
    out = []
    for c, row, score in zip(chunks, features, scores, strict=True):
        short = c.name.rsplit(".", 1)[-1]
        reasons = [Reason("file", c.path, float(row[col["file"]]))]
        for feature, detail in (
            ("frame", f"a traceback frame runs in {short}"),
            ("named", f"the issue names {short}"),
            ("quoted", "holds a message the issue quotes"),
        ):
            if row[col[feature]] > 0:
                reasons.append(Reason(feature, detail, float(row[col[feature]])))
        if row[col["learned"]] >= LEARNED_REASON:
            reasons.append(
                Reason(
                    "learned", f"{short} is like code that fixes of similar reports changed", float(row[col["learned"]])
                )
            )
        out.append(RankedChunk(c, float(score), reasons))
    return sorted(out, key=lambda rc: (-rc.score, rc.chunk.id))


@lru_cache(maxsize=1)
def function_weights() -> np.ndarray:
    """The fitted weight of each function feature, in ``FUNCTION_FEATURES`` order."""
    data = json.loads(WEIGHTS_FILE.read_text(encoding="utf-8"))["functions"]
    coef = dict(zip(data["features"], data["weights"], strict=True))
    return np.array([coef.get(f, 0.0) for f in FUNCTION_FEATURES], dtype=np.float32)


def _chunk_scores(index: IndexView, sig: Signals, chunks: list[Chunk]) -> np.ndarray:
    """BM25 of each chunk for the issue, scaled to the best chunk of the whole repository."""
    scorer = getattr(index, "chunk_lexical_scores", None)
    if scorer is not None:
        every = scorer(sig.issue)
        return unit(every)[[c.id for c in chunks]]
    best = dict(sig.chunk_hits)
    return unit(np.array([best.get(c.id, 0.0) for c in chunks], dtype=np.float32))


def _rank_chunks(
    chunks: list[Chunk], lexical: list[tuple[int, float]], dense: list[tuple[int, float]], file_score: dict[str, float]
) -> list[RankedChunk]:
    """Chunks by their own lexical/dense rank (reciprocal-rank fusion), weighted by their file's score."""
    fused: dict[int, float] = defaultdict(float)
    why: dict[int, list[Reason]] = defaultdict(list)
    for signal, hits in (("lexical_chunk", lexical), ("dense", dense)):
        for r, (cid, score) in enumerate(hits):
            fused[cid] += 1.0 / (60 + r)
            why[cid].append(Reason(signal, f"rank {r + 1}", float(score)))
    ranked = [
        RankedChunk(chunks[cid], s * (0.5 + file_score.get(chunks[cid].path, 0.0)), why[cid])
        for cid, s in fused.items()
    ]
    return sorted(ranked, key=lambda rc: (-rc.score, rc.chunk.id))
