"""Build, refresh and open a repository index.

``build_index`` is incremental by construction: every file is addressed by its
git blob id, and a blob the live index already knows keeps its chunks, tokens
and imports without being parsed again; every chunk is addressed by a content
hash, and a hash the vector cache knows is never embedded again (across
commits and worktrees: the cache lives in the repository's common git dir).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import time
import zipfile
from collections.abc import Callable
from contextlib import closing, nullcontext
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from core.errors import IndexStateError, InputError
from core.git import git_text, repo_root
from core.languages import language_of
from core.paths import STATE_DIR_NAME, own_dir
from core.secrets import redact
from retrieval import history, store
from retrieval.chunking import chunk_file
from retrieval.embeddings import EmbeddingConfig, VectorCache, make_embedder
from retrieval.graph import imports_in, resolve_imports
from retrieval.history import head_of
from retrieval.lexical import Lexical, tokenize
from retrieval.repo_index import RepoIndex
from retrieval.source import SourceFile, commit_files, worktree_files

LEXICALS = ("bm25-chunks", "bm25-files", "bm25-history")


@dataclass(frozen=True)
class CommitSource:
    """A commit of a repository (bare or not) to index without touching it."""

    git_dir: Path
    commit: str


@dataclass
class BuildStats:
    """What a build did, for the summary table and benchmarks."""

    files: int = 0
    chunks: int = 0
    parsed_files: int = 0
    reused_files: int = 0
    embedded: int = 0
    reused_vectors: int = 0
    commits_read: int = 0  # commits read from git this build (a refresh reads only the new ones)
    seconds: float = 0.0
    dense: str = "none"
    index_dir: str = ""
    timings: dict[str, float] = field(default_factory=dict)


def default_index_dir(root: Path) -> Path:
    return root / STATE_DIR_NAME


def build_index(
    source: Path | CommitSource,
    index_dir: Path | None = None,
    *,
    config: EmbeddingConfig | None = None,
    cache_dir: Path | None = None,
    progress: bool = True,
    reuse: bool = True,
) -> BuildStats:
    """Index ``source`` (a working tree or a commit) into ``index_dir``; reuse what is unchanged.

    ``reuse=False`` starts from nothing: for a live build found damaged, whose rows are not to be trusted.
    """
    started = time.perf_counter()
    config = config or EmbeddingConfig()
    root = source if isinstance(source, Path) else None
    if root is not None:
        root = repo_root(root)  # an empty repository is caught below: it has nothing to index
    base = own_dir(index_dir or default_index_dir(root))  # type: ignore[arg-type]
    stats = BuildStats(index_dir=str(base))
    mark = _stopwatch(stats)
    files = commit_files(source.git_dir, source.commit) if isinstance(source, CommitSource) else worktree_files(root)  # type: ignore[arg-type]
    mark("read files")
    if not files:
        raise InputError("nothing to index: the repository has no source or text files")
    stats.files = len(files)
    files.sort(key=lambda f: f.path)  # file i is BM25 row i, as RepoIndex reads them (ORDER BY path)
    git_dir, head = (
        (source.git_dir, source.commit)
        if isinstance(source, CommitSource)
        else (root or source, head_of(root or source))
    )
    embedder = make_embedder(config)
    stats.dense = type(embedder).__name__ if embedder else "none"
    mark("load embedder")
    cache = VectorCache(own_dir(cache_dir or _cache_dir(source)) / "vectors.sqlite") if embedder else None
    with store.build_lock(base):
        previous = store.live_dir(base) if reuse else None
        if previous is not None and not _lexicals_readable(previous):
            previous = None  # rows are reused only with the term counts they point into
        known = store.previous_blobs(previous) if previous else store.NOTHING
        old_head, old_commits = store.read_history(previous)
        commits, stats.commits_read = history.update(git_dir, head, (old_head, old_commits))
        mark("load previous")
        build = store.new_build_dir(base)
        try:
            with _progress(progress) as bar:
                rows, file_docs = _chunk_rows(files, known, stats, bar)
                mark("parse")
                _write(build, previous, files, rows, file_docs, known, config, embedder, cache, stats, bar, mark)
                _write_history(build, previous, head, commits, old_commits)
                mark("history")
            store.publish(base, build)
        except BaseException as exc:
            shutil.rmtree(build, ignore_errors=True)
            if isinstance(exc, OSError):
                raise IndexStateError(
                    f"could not write the index ({exc.strerror or exc}); the previous index is still in use"
                ) from None
            raise
    if root is not None:
        _exclude_from_git(root)
    stats.seconds = time.perf_counter() - started
    if cache:
        stats.embedded, stats.reused_vectors = cache.misses, cache.hits
    return stats


def open_index(root: Path, index_dir: Path | None = None) -> RepoIndex:
    """The live index of ``root``; IndexStateError (with the fix) when there is none."""
    base = own_dir(index_dir or default_index_dir(root))
    build = store.live_dir(base)
    if build is None:
        raise IndexStateError(f"no index at {base}: run `patchgate index {root}` first")
    return RepoIndex.load(root, build)


def _cache_dir(source: Path | CommitSource) -> Path:
    """The repository's shared cache: inside its common git dir, so every worktree shares it."""
    if isinstance(source, CommitSource):
        raise InputError("indexing a commit needs an explicit cache_dir (the source repository stays untouched)")
    common = git_text(source, "rev-parse", "--git-common-dir")
    return (source / common).resolve() / "patchgate"


def _chunk_rows(
    files: list[SourceFile], known: store.Previous, stats: BuildStats, bar
) -> tuple[list[tuple], list[int | list[str]]]:
    """Chunk rows of every file, reusing known blobs, and each file's BM25 document.

    A chunk row is (blob, kind, name, start, end, signature, text, hash, doc) where doc is the old chunk id
    (its BM25 row is reused) or the new chunk's tokens. A file's document is likewise its old BM25 row when
    path and blob are unchanged, else its tokens (path + text). A new blob is redacted and parsed once; for
    Python its imports come from the same syntax tree (recorded in ``known.imports``). A new chunk's hash
    is left empty, a reused one keeps its old hash: the hash covers the path (see ``_with_hashes``).
    """
    old, old_files, old_imports = known.chunks, known.files, known.imports
    done: set[str] = set()
    task = bar.add_task("parsing", total=len(files)) if bar else None
    rows: list[tuple] = []
    file_docs: list[int | list[str]] = []
    for f in files:
        row = old_files.get((f.path, f.blob))
        text = None
        if f.blob in done:  # a copy of a file seen in this build: its rows are per blob, paths come later
            stats.reused_files += 1
        elif f.blob in old:
            stats.reused_files += 1
            rows.extend((f.blob, *r[1:], r[0]) for r in old[f.blob])
        else:
            stats.parsed_files += 1
            text = redact(f.data.decode("utf-8", "replace"), f.path)
            parsed = chunk_file(f.lang, text)
            if f.lang == "python" and parsed.tree is not None:
                old_imports[f.blob] = imports_in(parsed.tree.root_node)
            for c in parsed.chunks:
                rows.append(
                    (
                        f.blob,
                        c.kind,
                        c.name,
                        c.start_line,
                        c.end_line,
                        c.signature,
                        c.text,
                        "",
                        tokenize(f"{c.name} {c.text}"),
                    )
                )
        if row is None:
            text = text if text is not None else redact(f.data.decode("utf-8", "replace"), f.path)
            file_docs.append(tokenize(f.path) + tokenize(text))
        else:
            file_docs.append(row)
        done.add(f.blob)
        if bar:
            bar.advance(task)
    return rows, file_docs


def _with_texts(previous: Path | None, rows: list[tuple], which: list[tuple] | None = None) -> list[tuple]:
    """``rows`` with the text of each reused row in ``which`` (default: all of them) read from the live build."""
    wanted = {r[10] for r in (rows if which is None else which) if r[8] is None}
    if not wanted or previous is None:
        return rows
    old = store.chunk_texts(previous, wanted)
    if len(old) != len(wanted):
        raise IndexStateError(f"index at {previous} lost chunks while it was being reused")
    return [(*r[:8], old[r[10]], *r[9:]) if r[8] is None and r[10] in old else r for r in rows]


def _with_hashes(rows: list[tuple], hashed_at: dict[str, str]) -> list[tuple]:
    """Set each chunk row's content hash (the vector cache key) from what gets embedded: path, signature, text.

    A reused row keeps its hash when it is at the path the hash was computed with (``hashed_at``, by blob).
    """
    out = []
    for row in rows:
        path, blob, kind, signature, text = row[1], row[2], row[3], row[7], row[8]
        if row[9] and hashed_at.get(blob) == path:
            out.append(row)
            continue
        body = f"{path}\n{signature}\n{text}" if kind != "window" else f"{path}\n{text}"
        out.append((*row[:9], hashlib.sha1(body.encode()).hexdigest(), row[10]))
    return out


def _write(
    build: Path,
    previous: Path | None,
    files: list[SourceFile],
    rows: list[tuple],
    file_docs: list[int | list[str]],
    known: store.Previous,
    config: EmbeddingConfig,
    embedder,
    cache: VectorCache | None,
    stats: BuildStats,
    bar,
    mark: Callable[[str], None],
) -> None:
    """Write metadata, BM25 term counts and vectors of a new build."""
    settings = {"embedding": json.dumps({**config.model_dump(), "model_id": getattr(embedder, "model_id", "")})}
    unhashed = [(i, path, *row) for i, (path, row) in enumerate(_expand(rows, files))]
    rehash = [r for r in unhashed if r[8] is None and known.hashed_at.get(r[2]) != r[1]]  # reused at a new path
    unhashed = _with_texts(previous, unhashed, rehash)
    chunk_rows = _with_hashes(unhashed, known.hashed_at)
    stats.chunks = len(chunk_rows)
    with closing(store.create_db(build, settings)) as db:
        db.executemany(
            "INSERT INTO files VALUES (?, ?, ?, ?, ?)",
            [(f.path, f.lang, f.blob, len(f.data), f.data.count(b"\n") + 1) for f in files],
        )
        db.executemany(
            "INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [r[:10] for r in chunk_rows if r[8] is not None]
        )
        if previous is not None:
            store.copy_chunks(db, previous, [(r[0], r[1], r[9], r[10]) for r in chunk_rows if r[8] is None])
        import_rows = _import_rows(files, known.imports)
        db.executemany("INSERT INTO imports VALUES (?, ?, ?)", import_rows)
        db.executemany("INSERT INTO edges VALUES (?, ?, ?)", _edge_rows(files, import_rows, known))
        db.commit()
    mark("metadata")
    for name, docs in (("bm25-chunks", [r[10] for r in chunk_rows]), ("bm25-files", file_docs)):
        Lexical.assemble(_previous_lexical(previous, name), docs).save(build / name)
    mark("bm25")
    if embedder is not None and cache is not None:
        task = bar.add_task("embedding", total=len(chunk_rows)) if bar else None
        advance = (lambda n: bar.advance(task, n)) if bar else None

        def texts(ids: list[int]) -> list[str]:  # only the chunks the cache misses are read and embedded
            rows = _with_texts(previous, [chunk_rows[i] for i in ids])
            return [f"{r[1]}\n{r[7]}\n{r[8]}" for r in rows]

        import faiss

        vectors = _vectors(previous, known, embedder, cache, unhashed, chunk_rows, texts, advance)
        index = faiss.IndexFlatIP(vectors.shape[1])
        index.add(np.ascontiguousarray(vectors))
        faiss.write_index(index, str(build / "vectors.faiss"))
        mark("vectors")


def _vectors(
    previous: Path | None,
    known: store.Previous,
    embedder,
    cache: VectorCache,
    unhashed: list[tuple],
    chunk_rows: list[tuple],
    texts: Callable[[list[int]], list[str]],
    advance,
) -> np.ndarray:
    """Every chunk's vector (row i = chunk i): the live build's own row where a chunk is unchanged, read
    from its memory-mapped FAISS file in one gather; the vector cache or the embedder for the rest.

    A reused row still carries its old hash and old chunk id (its row in the old FAISS index); its vector
    is reused when the hash it gets now is the same (same path, signature and text) and the live build
    was made with the same model.
    """
    table = _previous_table(previous, known, embedder.model_id)
    olds = np.full(len(chunk_rows), -1, dtype=np.int64)  # each chunk's row in the live build's table, or -1
    if table is not None:
        olds = np.fromiter(
            (
                raw[10] if isinstance(raw[10], int) and raw[9] == new[9] else -1
                for raw, new in zip(unhashed, chunk_rows, strict=True)
            ),
            dtype=np.int64,
            count=len(chunk_rows),
        )
        olds[olds >= len(table)] = -1
    reused = olds >= 0
    rest = np.flatnonzero(~reused).tolist()
    fresh = cache.vectors(
        embedder, [chunk_rows[i][9] for i in rest], lambda ids: texts([rest[j] for j in ids]), advance
    )
    cache.hits += int(reused.sum())  # taken from the live build: reused all the same
    if table is None or not reused.any():
        return fresh
    out = np.empty((len(chunk_rows), table.shape[1]), dtype=np.float32)
    out[reused] = table[olds[reused]]
    if rest:
        out[rest] = fresh
    return out


def _previous_table(previous: Path | None, known: store.Previous, model_id: str) -> np.ndarray | None:
    """The live build's vectors (row = its chunk id), if they were made by ``model_id``."""
    if previous is None or known.settings.get("model_id") != model_id or not (previous / "vectors.faiss").is_file():
        return None
    import faiss

    try:
        old = faiss.read_index(str(previous / "vectors.faiss"), faiss.IO_FLAG_MMAP_IFC)
        return old.reconstruct_n(0, old.ntotal)
    except RuntimeError:  # damaged: the vector cache still has every vector
        return None


def _write_history(
    build: Path,
    previous: Path | None,
    head: str | None,
    commits: list[history.Commit],
    old_commits: list[history.Commit],
) -> None:
    """Commits and their message BM25; rows of commits the previous build had are gathered, not recounted."""
    old_row = {c.sha: i for i, c in enumerate(old_commits)}
    docs: list[int | list[str]] = [old_row.get(c.sha, -1) for c in commits]
    docs = [d if d != -1 else tokenize(c.message) for d, c in zip(docs, commits, strict=True)]
    with closing(sqlite3.connect(build / "meta.sqlite")) as db:
        store.write_history(db, head, commits)
        db.commit()
    Lexical.assemble(_previous_lexical(previous, "bm25-history"), docs).save(build / "bm25-history")


def _previous_lexical(previous: Path | None, name: str) -> Lexical | None:
    """The live build's term counts, whose rows a re-index gathers instead of recounting."""
    return _load_lexical(previous / name) if previous is not None else None


@lru_cache(maxsize=3)
def _load_lexical(path: Path) -> Lexical:
    return Lexical.load(path)


def _lexicals_readable(previous: Path) -> bool:
    """Whether the live build's three term-count folders load (a damaged one means a build from nothing)."""
    try:
        for name in LEXICALS:
            _load_lexical(previous / name)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):
        return False
    return True


def _expand(rows: list[tuple], files: list[SourceFile]):
    """Pair each chunk row with its path (a blob can appear at several paths)."""
    by_blob: dict[str, list[tuple]] = {}
    for row in rows:
        by_blob.setdefault(row[0], []).append(row)
    for f in files:
        for row in by_blob.get(f.blob, []):
            yield f.path, row


def _import_rows(files: list[SourceFile], imports: dict) -> list[tuple[str, str, int]]:
    """(blob, module, level) rows of every Python file, from the imports recorded while chunking."""
    rows = [(f.blob, module, level) for f in files if f.lang == "python" for module, level in imports.get(f.blob, [])]
    return list(dict.fromkeys(rows))


def _edge_rows(
    files: list[SourceFile], import_rows: list[tuple[str, str, int]], known: store.Previous
) -> list[tuple[str, str, str | None]]:
    """The Python import graph resolved against this build's file set (it changes with every file added).

    When the set of Python files is the one the live build resolved against, an unchanged file's edges
    are the live build's: the same imports against the same modules.
    """
    by_blob: dict[str, list[tuple[str, int]]] = {}
    for blob, module, level in import_rows:
        by_blob.setdefault(blob, []).append((module, level))
    python = [f for f in files if f.lang == "python"]
    same_files = {f.path for f in python} == {path for path, _ in known.files if language_of(path) == "python"}
    kept = {f.path for f in python if same_files and (f.path, f.blob) in known.files}
    fresh: dict[str, list[tuple[str, str | None]]] = {}
    for e in resolve_imports(
        {f.path: by_blob.get(f.blob, []) for f in python if f.path not in kept}, [f.path for f in python]
    ):
        fresh.setdefault(e.src, []).append((e.module, e.dst))
    return [
        (src, module, dst)
        for src in sorted(f.path for f in python)
        for module, dst in (known.edges.get(src, []) if src in kept else fresh.get(src, []))
    ]


def _stopwatch(stats: BuildStats) -> Callable[[str], None]:
    """Record seconds per build stage in ``stats.timings`` (benchmarks print them)."""
    last = [time.perf_counter()]

    def mark(stage: str) -> None:
        now = time.perf_counter()
        stats.timings[stage] = round(now - last[0], 3)
        last[0] = now

    return mark


def _progress(enabled: bool):
    from core.console import progress

    return progress() if enabled else nullcontext(None)


def _exclude_from_git(root: Path) -> None:
    """Keep .patchgate/ out of git without editing the user's .gitignore."""
    info = Path(git_text(root, "rev-parse", "--git-path", "info/exclude"))
    info = info if info.is_absolute() else root / info
    line = f"/{STATE_DIR_NAME}/"
    existing = info.read_text().splitlines() if info.exists() else []
    if line not in existing:
        info.parent.mkdir(parents=True, exist_ok=True)
        with open(info, "a", encoding="utf-8") as fh:
            fh.write(("\n" if existing and existing[-1] else "") + line + "\n")


__all__ = ["BuildStats", "CommitSource", "IndexStateError", "build_index", "open_index"]
