"""The evidence ranking weighs, one column per signal, one row per indexed file.

Every signal is scaled to [0, 1] over the repository's files, so no signal's
raw scale dominates another's and fitted weights carry across repositories
(docs/ranking.md lists each signal and its fitted weight). Each signal also
records, per file, the human-readable detail shown as the file's reason.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from weakref import WeakKeyDictionary

import numpy as np

from retrieval.graph import module_names, neighbours
from retrieval.learned import learned
from retrieval.lexical import tokenize
from retrieval.mentions import Mentions, extract
from retrieval.types import IndexView

SIGNALS = (
    "lexical_file",
    "lexical_title",
    "lexical_rank",
    "lexical_chunk",
    "dense",
    "learned",
    "path_terms",
    "size",
    "named",
    "unique_code",
    "test_target",
    "import_graph",
    "history_similar",
    "history_fixes",
    "history_recent",
    "cochange",
    "non_source",
    "not_code",
    "locality",
)
CHUNK_POOL = 300
QUOTED_POOL = 20  # files read per quoted phrase: the best BM25 matches of its words
_NON_SOURCE_DIRS = frozenset(
    {
        "test",
        "tests",
        "testing",
        "doc",
        "docs",
        "example",
        "examples",
        "benchmarks",
        "bench",
        "scripts",
        "ci",
        ".github",
    }
)


@dataclass(frozen=True)
class Facts:
    """What ranking derives from an index alone: computed once per opened index, not once per query."""

    files: list[str]
    pos: dict[str, int]
    defined: dict[str, set[int]]  # a symbol name or file stem -> the files defining it (never mutated)
    modules: dict[str, str]  # dotted module -> file
    source: np.ndarray  # True for library code, False for tests/docs/examples
    code: np.ndarray  # True for a file in a language the index parses; False for configuration, data, C, text
    size: np.ndarray  # log of a file's lines, scaled to the largest file: big modules get more fixes
    path_terms: list[tuple[frozenset[str], frozenset[str]]]  # tokens of each file's name and of its folder
    history: tuple[np.ndarray, np.ndarray] | None  # fix counts and recency per file


@dataclass
class Signals:
    """Per-file signal values (files x SIGNALS) and the detail of each non-zero value."""

    files: list[str]
    values: np.ndarray
    details: dict[str, dict[int, str]]
    chunk_hits: list[tuple[int, float]]
    dense_hits: list[tuple[int, float]]
    mentions: Mentions
    issue: str
    learned_hits: list[tuple[int, float]] = field(default_factory=list)


_FACTS: WeakKeyDictionary = WeakKeyDictionary()


def facts(index: IndexView) -> Facts:
    if index not in _FACTS:
        records = index.files()
        files = [f.path for f in records]
        pos = {p: i for i, p in enumerate(files)}
        defined: dict[str, set[int]] = defaultdict(set)
        for sym in index.symbols():
            i = pos.get(sym.path)
            if i is not None:
                defined[sym.name.rpartition(".")[2]].add(i)
        names = [_stem_and_folder(p) for p in files]
        for i, (stem, _) in enumerate(names):
            defined[stem].add(i)
        modules = {name: path for path in files if path.endswith(".py") for name in module_names(path)}
        source = np.array([is_source(p) for p in files], dtype=bool)
        code = np.array([f.lang != "text" for f in records], dtype=bool)
        size = unit(np.log1p(np.array([f.lines for f in records], dtype=np.float32)))
        terms = [(frozenset(tokenize(stem)), frozenset(tokenize(folder))) for stem, folder in names]
        history = getattr(index, "history", None)
        counts = history.fix_counts() if history is not None else None
        _FACTS[index] = Facts(files, pos, defined, modules, source, code, size, terms, counts)
    return _FACTS[index]


def _stem_and_folder(path: str) -> tuple[str, str]:
    """``a/b/c.py`` -> ``("c", "b")`` (string operations: PurePosixPath costs ~50 µs a file on a cold start)."""
    folder, _, name = path.rpartition("/")
    return (name.rpartition(".")[0] or name), folder.rpartition("/")[2]


def is_source(path: str) -> bool:
    """Whether a path looks like library code rather than tests, docs or examples."""
    p = PurePosixPath(path)
    if any(part.lower() in _NON_SOURCE_DIRS for part in p.parts[:-1]):
        return False
    name = p.name.lower()
    return not (
        name.startswith("test_")
        or name.endswith(("_test.py", "_tests.py", ".test.js", ".spec.ts"))
        or name in ("conftest.py", "setup.py")
        or p.suffix in (".md", ".rst", ".txt")
    )


def compute(index: IndexView, issue: str, current_file: str | None = None) -> Signals:
    """Every signal of every file of ``index`` for ``issue``."""
    fx = facts(index)
    n = len(fx.files)
    m = extract(issue)
    details: dict[str, dict[int, str]] = defaultdict(dict)
    col: dict[str, np.ndarray] = {}
    scorer = getattr(index, "file_lexical_scores", None)
    raw = scorer(issue) if scorer else np.zeros(n, dtype=np.float32)
    col["lexical_file"] = unit(raw)
    title = issue_title(issue)
    one_line = title.strip() == issue.strip()  # its title is the whole issue: the same BM25 query again
    col["lexical_title"] = col["lexical_file"] if one_line or not scorer else unit(scorer(title))
    col["lexical_rank"] = _rank_decay(raw)
    chunk_hits = index.lexical_search(issue, CHUNK_POOL)
    dense_hits = index.dense_search(issue, CHUNK_POOL)
    chunks = index.chunks()
    col["lexical_chunk"] = unit(_per_file_max(chunk_hits, chunks, fx.pos, details["lexical_chunk"]))
    col["dense"] = unit(_per_file_max(dense_hits, chunks, fx.pos, details["dense"]))
    if index.dense_kind == "tuned":
        _tuned_reasons(details["dense"])
    learned_search = getattr(index, "learned_search", None)
    learned_hits = learned_search(issue, CHUNK_POOL) if learned_search else []
    col["learned"] = unit(_per_file_max(learned_hits, chunks, fx.pos, details["learned"]))
    _learned_reasons(issue, details["learned"])
    col["path_terms"] = _path_terms(fx, issue, details["path_terms"])
    col["size"] = fx.size
    paths = _explicit_paths(m, fx.files)
    col["named"] = _named(fx, m, paths, details["named"])
    _quoted(index, fx, m, col["named"], details["named"])
    col["unique_code"] = _unique_code(fx, m, details["unique_code"])
    col["test_target"] = _test_targets(fx, m, paths, details["test_target"])
    col["import_graph"] = _graph(index, col["named"], fx.pos, details["import_graph"])
    _history(index, issue, fx, col, details)
    explicit = np.zeros(n, dtype=bool)
    explicit[[fx.pos[p] for p in paths]] = True
    col["non_source"] = (~fx.source & ~explicit).astype(np.float32)  # named by path: never damped
    col["not_code"] = not_code(fx.code, explicit)
    col["locality"] = _locality(fx.files, current_file, details["locality"])
    values = np.stack([col[s].astype(np.float32) for s in SIGNALS], axis=1) if n else np.zeros((0, len(SIGNALS)))
    return Signals(fx.files, values, details, chunk_hits, dense_hits, m, issue, learned_hits)


def not_code(code: np.ndarray, explicit: np.ndarray) -> np.ndarray:
    """1 for a file no parser reads as code (configuration, data, C sources) in a repository that has code.

    Fixes of a code repository's issues land in its code: the 3,298 fitted instances' gold files are all
    Python, while files like these full of the issue's words (``tox.ini``, CI YAML, ``pyproject.toml``, C)
    took about 10 % of the top five places before this signal (docs/ranking.md, "Fourth round"). A file
    the issue names by path is never damped, and a repository with no parsed code at all (Kubernetes
    manifests, docs) has nothing damped.
    """
    if not code.any():
        return np.zeros(len(code), dtype=np.float32)
    return (~code & ~explicit).astype(np.float32)


def _tuned_reasons(detail: dict[int, str]) -> None:
    """Say what the tuned encoder's closeness means: it was trained to put a report beside the code its fix changed
    (retrieval.adapter), so its best chunk reads like code fixed for similar reports."""
    for i, where in detail.items():
        detail[i] = f"{where}, like code fixed for similar reports"


def _learned_reasons(issue: str, detail: dict[int, str]) -> None:
    """Say which definition matched and which of the issue's words the weights learned from fixes leaned on."""
    model = learned()
    if model is None or not detail:
        return
    words = ", ".join(model.weights.heaviest(tokenize(issue)))
    for i, where in detail.items():
        detail[i] = f"{where} is like code that fixes of similar reports changed (weighing {words})"


def issue_title(issue: str) -> str:
    """The issue's first line: its title, or a commit's subject, the densest statement of what is wrong.

    The body adds reproductions, logs and template text whose words dilute BM25 over the whole issue.
    """
    return next((line for line in issue.splitlines() if line.strip()), "")


def unit(values: np.ndarray) -> np.ndarray:
    top = float(values.max()) if len(values) else 0.0
    return values / top if top > 0 else values


def _rank_decay(raw: np.ndarray, depth: int = 50) -> np.ndarray:
    """1/log2(1 + rank) for the ``depth`` best-scoring files: the order, where scaled scores keep only the gaps."""
    out = np.zeros(len(raw), dtype=np.float32)
    top = np.argsort(-raw, kind="stable")[:depth]
    top = top[raw[top] > 0]
    out[top] = 1.0 / np.log2(np.arange(2, len(top) + 2))
    return out


def _path_terms(fx: Facts, issue: str, detail: dict[int, str]) -> np.ndarray:
    """How much of a file's name (and, half as much, its folder's) the issue's words cover: "latex printer"."""
    words = set(tokenize(issue))
    out = np.zeros(len(fx.files), dtype=np.float32)
    for i, (stem, folder) in enumerate(fx.path_terms):
        value = (len(stem & words) / len(stem) if stem else 0.0) + 0.5 * (
            len(folder & words) / len(folder) if folder else 0.0
        )
        if value > 0:
            out[i] = value / 1.5
            detail[i] = "its name: " + ", ".join(sorted((stem | folder) & words))
    return out


def _per_file_max(hits, chunks, pos: dict[str, int], detail: dict[int, str]) -> np.ndarray:
    out = np.zeros(len(pos), dtype=np.float32)
    for cid, score in hits:
        c = chunks[cid]
        i = pos.get(c.path)
        if i is not None and score > out[i]:
            out[i] = score
            detail[i] = f"{c.name or c.kind} (lines {c.start_line}-{c.end_line})"
    return out


def _named(fx: Facts, m: Mentions, paths: list[str], detail: dict[int, str]) -> np.ndarray:
    """What the issue names: paths (1.0) and stack frames (by depth), dotted modules, identifiers a file defines."""
    out = _frames(m, fx, detail)
    written = {h for ref in m.paths for h in _match(ref, fx.files)}
    for p in paths:
        if p in written:
            out[fx.pos[p]] = 1.0
            detail[fx.pos[p]] = f"path {p}"
    for dotted in m.modules:
        path = _module_file(dotted, fx.modules)
        if path and out[fx.pos[path]] < 1.0:
            out[fx.pos[path]] = 1.0
            detail[fx.pos[path]] = f"module {dotted}"
    ident = np.zeros(len(fx.files), dtype=np.float32)
    best: dict[int, tuple[float, str]] = {}
    for name, strength in m.identifiers.items():
        where = _definers(fx, name)
        weight = strength / (1.0 + math.log2(len(where))) if where else 0.0
        for i in where:
            ident[i] += weight
            if weight > best.get(i, (0.0, ""))[0]:
                best[i] = (weight, name)
    for i, (_, name) in best.items():
        detail.setdefault(i, f"defines {name}")
    return np.maximum(out, unit(ident))


def _definers(fx: Facts, name: str) -> set[int]:
    return fx.defined.get(name) or fx.defined.get(name.lower()) or set()


def _unique_code(fx: Facts, m: Mentions, detail: dict[int, str]) -> np.ndarray:
    """A symbol written as code (backticks, a code block, ``Foo.bar``) and defined in exactly one file."""
    out = np.zeros(len(fx.files), dtype=np.float32)
    for name in m.code:
        where = _definers(fx, name)
        if len(where) == 1:
            (i,) = where
            out[i] = 1.0
            detail[i] = f"the only definition of `{name}`"
    return out


def _frames(m: Mentions, fx: Facts, detail: dict[int, str]) -> np.ndarray:
    """Stack frames in the repository: the innermost one (where it broke) 1.0, outer ones 1/2, 1/3, ..."""
    out = np.zeros(len(fx.files), dtype=np.float32)
    inside = [(f, line, func) for f, line, func in m.frames if _match(f, fx.files)]
    for depth, (f, line, func) in enumerate(reversed(inside)):
        i = fx.pos[_match(f, fx.files)[0]]
        value = 1.0 / (1 + depth)
        if value > out[i]:
            out[i] = value
            detail[i] = f"{'innermost ' if depth == 0 else ''}frame line {line} in {func}"
    return out


def _test_targets(fx: Facts, m: Mentions, paths: list[str], detail: dict[int, str]) -> np.ndarray:
    """The source a named test exercises: ``test_foo_bar`` -> what defines ``foo_bar``; tests/test_x.py -> x.py."""
    out = np.zeros(len(fx.files), dtype=np.float32)
    subjects = [t[len("test_") :] for t in m.tests]
    subjects += [
        PurePosixPath(p).stem.removeprefix("test_").removesuffix("_test") for p in paths if not fx.source[fx.pos[p]]
    ]
    for subject in subjects:
        where = [i for i in _definers(fx, subject) if fx.source[i]]
        for i in where:
            value = 1.0 / (1.0 + math.log2(len(where)))
            if value > out[i]:
                out[i] = value
                detail[i] = f"tested by test_{subject}"
    return out


def _quoted(index: IndexView, fx: Facts, m: Mentions, named: np.ndarray, detail: dict[int, str]) -> None:
    """Raise ``named`` for files holding, verbatim, a message the issue quotes: 1 / the number of source
    files that hold it.

    A message a program printed is usually a literal in exactly one place of its source, so quoting it
    names that file as surely as a path does. It is part of ``named`` rather than a signal of its own:
    commit messages, most of the training data, seldom quote one (11 of the first 412 training
    instances), too few to fit a weight of its own. Only the best BM25 matches of the phrase's words are
    read, at most ``QUOTED_POOL`` files a phrase.
    """
    scorer = getattr(index, "file_lexical_scores", None)
    if scorer is None:
        return
    for phrase in m.phrases[:8]:
        scores = scorer(phrase)
        pool = [int(i) for i in np.argsort(-scores, kind="stable")[:QUOTED_POOL] if scores[i] > 0]
        holders = [i for i in pool if phrase in _text_of(index, fx.files[i])]
        sources = sum(bool(fx.source[i]) for i in holders) or len(holders)
        for i in holders:
            if 1.0 / sources > named[i]:
                named[i] = 1.0 / sources
                detail[i] = f"holds the quoted “{phrase}”"


def _text_of(index: IndexView, path: str) -> str:
    try:
        return index.file_text(path)
    except (OSError, KeyError, UnicodeDecodeError):
        return ""


def _module_file(dotted: str, modules: dict[str, str]) -> str | None:
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        path = modules.get(".".join(parts[:end]))
        if path:
            return path if end > 1 or len(parts) == 1 else None
    return None


def _match(ref: str, files: list[str]) -> list[str]:
    ref = ref.replace("\\", "/").lstrip("./")
    hits = [f for f in files if f == ref or f.endswith("/" + ref) or ref.endswith("/" + f)]
    return hits if len(hits) <= 3 else []


def _explicit_paths(m: Mentions, files: list[str]) -> list[str]:
    """Repository files the issue names by path or in a stack frame (suffix match)."""
    return list(dict.fromkeys(h for ref in [*m.paths, *(f for f, _, _ in m.frames)] for h in _match(ref, files)))


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


def _history(
    index: IndexView, issue: str, fx: Facts, col: dict[str, np.ndarray], details: dict[str, dict[int, str]]
) -> None:
    n = len(fx.files)
    history = getattr(index, "history", None)
    if history is None or fx.history is None:
        for name in ("history_similar", "history_fixes", "history_recent", "cochange"):
            col[name] = np.zeros(n, dtype=np.float32)
        return
    col["history_similar"] = unit(history.similar(issue, details["history_similar"]))
    col["history_fixes"] = unit(fx.history[0])
    col["history_recent"] = fx.history[1]
    anchors = np.maximum(col["named"], col["lexical_file"] * (col["lexical_file"] >= 0.8))
    col["cochange"] = unit(history.cochange(anchors, details["cochange"], fx.files))


def _locality(files: list[str], current: str | None, detail: dict[int, str]) -> np.ndarray:
    out = np.zeros(len(files), dtype=np.float32)
    if not current:
        return out
    here = PurePosixPath(current).parts
    for i, path in enumerate(files):
        parts = PurePosixPath(path).parts
        shared = next(
            (k for k, (a, b) in enumerate(zip(here[:-1], parts[:-1], strict=False)) if a != b),
            min(len(here), len(parts)) - 1,
        )
        if shared > 0 or len(here) == len(parts) == 1:
            out[i] = (shared + 1) / len(here)
            detail[i] = f"near {current}"
    return out
