"""Build, refresh and open a repository index.

``build_index`` is incremental by construction: every file is addressed by its
git blob id, and a file the live build has at the same path with the same blob
keeps its rows without Python ever reading them: a re-index copies the live
build's database and edits the files that changed (``retrieval.store``), and
gathers the kept BM25 rows and vectors by position. New blobs are parsed, on
every core when there are many (``retrieval.parsing``). Every chunk is
addressed by a content hash, and a hash the vector cache knows is never
embedded again (across commits and worktrees: the cache lives in the
repository's common git dir).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
import zipfile
from collections.abc import Callable
from contextlib import closing, nullcontext
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from core.errors import IndexStateError, InputError
from core.git import git_text, repo_root
from core.languages import language_of
from core.paths import STATE_DIR_NAME, own_dir
from core.secrets import redact
from retrieval import history, store
from retrieval.embeddings import Embedder, EmbeddingConfig, VectorCache, make_embedder
from retrieval.graph import resolve_imports
from retrieval.history import head_of
from retrieval.lexical import Lexical, tokenize
from retrieval.parsing import ParsedBlob, parse_blobs
from retrieval.source import SourceFile, commit_files, worktree_files

if TYPE_CHECKING:
    from retrieval.repo_index import RepoIndex

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
    git_dir = source.git_dir if isinstance(source, CommitSource) else root or source
    # a commit by its id: "HEAD" of a mirror names another commit once it moves, and the history with it
    head = (head_of(git_dir, source.commit) or source.commit) if isinstance(source, CommitSource) else head_of(git_dir)
    cache_file = None if config.dense == "none" else own_dir(cache_dir or _cache_dir(source)) / "vectors.sqlite"
    with store.build_lock(base):
        previous = store.live_dir(base) if reuse else None
        if previous is not None and not _lexicals_readable(previous):
            previous = None  # rows are reused only with the term counts they point into
        known = store.read_previous(previous) if previous else store.NOTHING
        previous = previous if known.files else None  # a damaged build is not copied
        mark("load previous")
        files = _files(root or source, known)
        mark("read files")
        stats.files = len(files)
        if previous is not None:  # the same files make the same chunks: the live build's count is this one's
            embedder = make_embedder(config, known.chunks)
            if _up_to_date(previous, known, files, head, _settings(config, embedder)):
                stats.reused_files, stats.chunks = len(files), known.chunks
                stats.seconds = time.perf_counter() - started
                stats.reused_vectors = stats.chunks if embedder else 0
                stats.dense = embedder.kind if embedder else "none"
                return stats
        build = store.new_build_dir(base)
        damaged: sqlite3.DatabaseError | None = None
        try:
            with _progress(progress) as bar:
                plans = _plan(files, known, stats, bar)
            mark("parse")
            # ``auto`` may choose the encoder by the repository's size, known now; the static model is distilled
            # here if it has to be, between the bars, as it shows its own (rich before 14.1 shows one at a time)
            embedder = make_embedder(config, sum(p.chunks for p in plans))
            stats.dense = embedder.kind if embedder else "none"
            cache = VectorCache(cache_file) if embedder and cache_file else None
            mark("load embedder")
            with _progress(progress) as bar:
                _write(build, previous, plans, known, _settings(config, embedder), embedder, cache, stats, bar, mark)
                stats.commits_read = _write_history(build, previous, known, git_dir, head)
                mark("history")
            store.publish(base, build)
        except BaseException as exc:
            shutil.rmtree(build, ignore_errors=True)
            if isinstance(exc, sqlite3.DatabaseError) and previous is not None:
                damaged = exc  # the live build's database failed while being edited: start from nothing
            elif isinstance(exc, OSError):
                raise IndexStateError(
                    f"could not write the index ({exc.strerror or exc}); the previous index is still in use"
                ) from None
            else:
                raise
    if damaged is not None:
        from core.console import err

        err.print(f"index at {previous} is unreadable ({damaged}); rebuilding from scratch", style="yellow")
        return build_index(source, index_dir, config=config, cache_dir=cache_dir, progress=progress, reuse=False)
    if root is not None and previous is None:  # the first build here (a later one finds the line there)
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
    from retrieval.repo_index import RepoIndex  # what ranking needs: an index build never imports it

    return RepoIndex.load(root, build)


def _files(source: Path | CommitSource, known: store.Previous) -> list[SourceFile]:
    """The files to index in path order (file i is BM25 row i, as RepoIndex reads them: ORDER BY path)."""
    if isinstance(source, CommitSource):
        files = commit_files(source.git_dir, source.commit, known.files)
    else:
        files = worktree_files(source, known.files)
    if not files:
        raise InputError("nothing to index: the repository has no source or text files")
    return sorted(files, key=lambda f: f.path)


def _settings(config: EmbeddingConfig, embedder: Embedder | None) -> dict:
    """What a build records of how its vectors were made: the configuration, and the encoder ``auto`` chose."""
    return {**config.model_dump(), "model_id": getattr(embedder, "model_id", "")}


def _up_to_date(
    previous: Path, known: store.Previous, files: list[SourceFile], head: str | None, settings: dict
) -> bool:
    """Whether the live build is what a build would make now: the same files (paths and blobs), the same
    history head and the same embedding settings, its vectors readable. Then nothing is written:
    ``context`` refreshes the index before every answer, and most of the time nothing changed."""
    return (
        len(files) == len(known.files)
        and all((f.path, f.blob) in known.files for f in files)
        and known.head == head
        and json.loads(json.dumps(settings)) == known.settings
        and (not settings["model_id"] or _vector_count(previous) == known.chunks)
    )


def _vector_count(build: Path) -> int | None:
    """How many vectors a build's FAISS file holds (memory-mapped: nothing is read), None if unreadable."""
    import faiss

    try:
        return faiss.read_index(str(build / "vectors.faiss"), faiss.IO_FLAG_MMAP_IFC).ntotal
    except RuntimeError:
        return None


def _cache_dir(source: Path | CommitSource) -> Path:
    """The repository's shared cache: inside its common git dir, so every worktree shares it."""
    if isinstance(source, CommitSource):
        raise InputError("indexing a commit needs an explicit cache_dir (the source repository stays untouched)")
    common = git_text(source, "rev-parse", "--git-common-dir")
    return (source / common).resolve() / "patchgate"


@dataclass(frozen=True)
class Planned:
    """One file of the new build: the live build's chunk ids it keeps, or its newly parsed blob."""

    file: SourceFile
    kept: range  # the live build's chunk ids of this blob (empty when parsed anew)
    source: str | None  # the live build's path of those chunks when it is another (copied under this one, rehashed)
    parsed: ParsedBlob | None
    doc: int | list[str]  # the file's BM25 row in the live build, or its tokens (path + text)

    @property
    def chunks(self) -> int:
        """How many chunks the file has in the new build."""
        return len(self.parsed.chunks) if self.parsed is not None else len(self.kept)


def _plan(files: list[SourceFile], known: store.Previous, stats: BuildStats, bar) -> list[Planned]:
    """What each file contributes. A blob the live build has keeps its chunks (at the same path also its
    vectors and file row; at a new path, a copy or a rename, its chunks are copied under the new path and
    only the file's text is tokenized again). Any other blob is parsed once, at its first path (see
    ``parsing``).
    """
    at = {blob: path for path, blob in known.files}  # a blob at several paths: any one has its chunks
    fresh: dict[str, tuple[str, str, bytes]] = {}
    for f in files:
        if f.blob not in at and f.blob not in fresh:
            fresh[f.blob] = (f.lang, f.path, f.data)
    task = bar.add_task("parsing", total=len(fresh)) if bar else None
    advance = (lambda n: bar.advance(task, n)) if bar else None
    parsed = dict(zip(fresh, parse_blobs(list(fresh.values()), advance), strict=True))
    stats.parsed_files, stats.reused_files = len(parsed), len(files) - len(parsed)
    plans = []
    for f in files:
        if f.blob in parsed:
            blob = parsed[f.blob]
            plans.append(Planned(f, range(0), None, blob, tokenize(f.path) + blob.text_tokens))
            continue
        row = known.files.get((f.path, f.blob))
        if row is not None:  # kept at its path
            plans.append(Planned(f, range(row.first, row.first + row.chunks), None, None, row.row))
            continue
        source = at[f.blob]  # a copy or a rename: the live build has its chunks at ``source``
        old = known.files[(source, f.blob)]
        text = redact(f.data.decode("utf-8", "replace"), f.path)
        plans.append(
            Planned(f, range(old.first, old.first + old.chunks), source, None, tokenize(f.path) + tokenize(text))
        )
    return plans


class NewChunk(NamedTuple):
    """A parsed file's chunk, as its row of the chunks table (all but ``text``) and of the texts table."""

    path: str
    k: int  # its position in its file
    blob: str
    kind: str
    name: str
    start_line: int
    end_line: int
    signature: str
    hash: str
    text: str


@dataclass
class Chunks:
    """The new build's chunks in order (chunk i is BM25 and FAISS row i): the rows of parsed files, each
    chunk's BM25 document and the live build's row it keeps, and where each file's chunks start."""

    rows: list[NewChunk]  # the chunks of parsed files
    docs: list[int | list[str]]  # BM25 document of chunk i: the live build's row, or its tokens
    olds: np.ndarray  # chunk i's row in the live build (same path, same blob), or -1
    first: dict[str, int]  # path -> its first chunk
    moved: list[str]  # files whose chunks were copied from another path: their texts are in the database only

    @classmethod
    def number(cls, plans: list[Planned]) -> Chunks:
        rows: list[NewChunk] = []
        docs: list[int | list[str]] = []
        olds: list[np.ndarray] = []
        first: dict[str, int] = {}
        moved: list[str] = []
        for p in plans:
            f = p.file
            first[f.path] = len(docs)
            if p.parsed is None:
                moved += [f.path] if p.source else []
                docs.extend(p.kept)  # a moved file's chunks have the same tokens at any path
                kept = np.arange(p.kept.start, p.kept.stop, dtype=np.int64)
                olds.append(np.full(len(kept), -1, dtype=np.int64) if p.source else kept)  # a moved chunk's hash is new
                continue
            for k, (c, tokens) in enumerate(zip(p.parsed.chunks, p.parsed.tokens, strict=True)):
                digest = store.chunk_hash(f.path, c.kind, c.signature, c.text)
                rows.append(
                    NewChunk(f.path, k, f.blob, c.kind, c.name, c.start_line, c.end_line, c.signature, digest, c.text)
                )
                docs.append(tokens)
            olds.append(np.full(len(p.parsed.chunks), -1, dtype=np.int64))
        return cls(rows, docs, np.concatenate(olds) if olds else np.zeros(0, dtype=np.int64), first, moved)


def _write(
    build: Path,
    previous: Path | None,
    plans: list[Planned],
    known: store.Previous,
    settings: dict,
    embedder,
    cache: VectorCache | None,
    stats: BuildStats,
    bar,
    mark: Callable[[str], None],
) -> None:
    """Write metadata, BM25 term counts and vectors of a new build (``settings``: the embedding's).

    The metadata is the live build's database, copied and edited where files changed (or a new one).
    """
    chunks = Chunks.number(plans)
    stats.chunks = len(chunks.docs)
    kept = {p.file.path for p in plans if p.parsed is None and not p.source}
    with closing(store.start_db(build, previous, {"embedding": json.dumps(settings)})) as db:
        store.replace_files(
            db,
            sorted({path for path, _ in known.files} - kept),
            [(p.source, p.file.path) for p in plans if p.source],
        )
        db.executemany(
            "INSERT INTO files VALUES (?, ?, ?, ?, ?, ?)", [_file_row(p) for p in plans if p.file.path not in kept]
        )
        db.executemany("INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", (r[:-1] for r in chunks.rows))
        db.executemany("INSERT INTO texts VALUES (?, ?, ?)", ((r.path, r.k, r.text) for r in chunks.rows))
        new_imports = {p.file.blob: p.parsed.imports for p in plans if p.parsed is not None and p.parsed.imports}
        db.executemany(
            "INSERT INTO imports VALUES (?, ?, ?)",
            list(dict.fromkeys((blob, m, level) for blob, found in new_imports.items() for m, level in found)),
        )
        store.drop_orphan_imports(db)
        _write_edges(db, [p.file for p in plans], kept, known)
        db.commit()
    mark("metadata")
    for name, docs in (("bm25-chunks", chunks.docs), ("bm25-files", [p.doc for p in plans])):
        Lexical.assemble(_previous_lexical(previous, name), docs).save(build / name)
    mark("bm25")
    if embedder is not None and cache is not None:
        task = bar.add_task("embedding", total=stats.chunks) if bar else None
        advance = (lambda n: bar.advance(task, n)) if bar else None
        import faiss

        mapped = _previous_index(previous, known, embedder.model_id)
        table = None if mapped is None else faiss.rev_swig_ptr(mapped.get_xb(), mapped.ntotal * mapped.d)
        # ``table`` reads ``mapped``'s memory map in place; ``mapped`` stays referenced until here
        vectors = _vectors(
            build, None if table is None else table.reshape(-1, mapped.d), chunks, embedder, cache, advance
        )
        del table, mapped
        index = faiss.IndexFlatIP(vectors.shape[1])
        index.add(np.ascontiguousarray(vectors))
        faiss.write_index(index, str(build / "vectors.faiss"))
        mark("vectors")


def _file_row(p: Planned) -> tuple[str, str, str, int, int, int]:
    """A new row of the files table: path, language, blob, bytes, lines and how many chunks it has."""
    f = p.file
    return (f.path, f.lang, f.blob, len(f.data), f.data.count(b"\n") + 1, p.chunks)


def _write_edges(db: sqlite3.Connection, files: list[SourceFile], kept: set[str], known: store.Previous) -> None:
    """The Python import graph, resolved against this build's file set.

    While the set of Python files is the one the live build resolved against, a kept file's edges are
    already right (the same imports against the same modules): only changed files are resolved again.
    A file added or removed can change what any import resolves to, so then every file is.
    """
    python = {f.path: f.blob for f in files if f.lang == "python"}
    if set(python) == {path for path, _ in known.files if language_of(path) == "python"}:
        again = {path: blob for path, blob in python.items() if path not in kept}
    else:
        db.execute("DELETE FROM edges")
        again = python
    if not again:
        return
    imports = store.imports_by_blob(db, set(again.values()) if again is not python else None)
    edges = resolve_imports({path: imports.get(blob, []) for path, blob in again.items()}, sorted(python))
    db.executemany("INSERT INTO edges VALUES (?, ?, ?)", [(e.src, e.module, e.dst) for e in edges])


def _vectors(
    build: Path, table: np.ndarray | None, chunks: Chunks, embedder, cache: VectorCache, advance
) -> np.ndarray:
    """Every chunk's vector (row i = chunk i): a kept chunk's row of the live build's table, copied run
    by run from its memory-mapped FAISS file (when the same model made it); the vector cache or the
    embedder for the rest, whose texts are read only if the cache lacks them.
    """
    olds = chunks.olds.copy() if table is not None else np.full(len(chunks.docs), -1, dtype=np.int64)
    if table is not None:
        olds[olds >= len(table)] = -1
    reused = olds >= 0
    rest = np.flatnonzero(~reused).tolist()
    wanted = {chunks.first[r.path] + r.k: (r.hash, r.path, r.signature, r.text) for r in chunks.rows}
    if len(wanted) < len(rest):  # moved chunks, or kept ones whose old vectors another model made: read back
        for path, k, signature, text, digest in store.stored_chunks(build, None if table is None else chunks.moved):
            wanted.setdefault(chunks.first[path] + k, (digest, path, signature, text))
    pending = [wanted[i] for i in rest]  # (hash, path, signature, text) of each chunk to look up or embed

    def texts(ids: list[int]) -> list[str]:
        return [f"{pending[j][1]}\n{pending[j][2]}\n{pending[j][3]}" for j in ids]

    fresh = cache.vectors(embedder, [p[0] for p in pending], texts, advance)
    cache.hits += int(reused.sum())  # taken from the live build: reused all the same
    if table is None or not reused.any():
        return fresh
    out = np.empty((len(olds), table.shape[1]), dtype=np.float32)
    _copy_runs(out, table, olds)
    if rest:
        out[rest] = fresh
    return out


def _copy_runs(out: np.ndarray, table: np.ndarray, olds: np.ndarray) -> None:
    """``out[i] = table[olds[i]]`` wherever ``olds[i] >= 0``, one slice copy per run of consecutive rows.

    Kept chunks keep their order, so a re-index has a few runs, each a memcpy; row-by-row indexing of the
    memory-mapped FAISS file (whose rows sit at an odd offset, so numpy's aligned loops do not apply) took
    0.15 s for sympy's 41,855 rows.
    """
    at = np.flatnonzero(olds >= 0)
    if not len(at):
        return
    breaks = np.flatnonzero((np.diff(at) != 1) | (np.diff(olds[at]) != 1)) + 1
    for start, end in zip(np.concatenate(([0], breaks)), np.concatenate((breaks, [len(at)])), strict=True):
        first, size = int(at[start]), int(end - start)
        out[first : first + size] = table[olds[first] : olds[first] + size]


def _previous_index(previous: Path | None, known: store.Previous, model_id: str) -> Any:
    """The live build's FAISS index (row = its chunk), memory-mapped, if ``model_id`` made its vectors."""
    if previous is None or known.settings.get("model_id") != model_id or not (previous / "vectors.faiss").is_file():
        return None
    import faiss

    try:
        return faiss.read_index(str(previous / "vectors.faiss"), faiss.IO_FLAG_MMAP_IFC)
    except RuntimeError:  # damaged: the vector cache still has every vector
        return None


def _write_history(build: Path, previous: Path | None, known: store.Previous, git_dir: Path, head: str | None) -> int:
    """Commits and their message BM25; returns how many commits were read from git.

    At the live build's head, the history is the live build's: its rows came with the copied database and
    its term counts are hard-linked (a published build is never written again). Otherwise only the new
    commits are read, and the rows of the commits the live build had are gathered, not recounted.
    """
    if previous is not None and head is not None and known.head == head:
        _link_tree(previous / "bm25-history", build / "bm25-history")
        return 0
    old_head, old_commits = store.read_history(previous)
    commits, read = history.update(git_dir, head, (old_head, old_commits))
    old_row = {c.sha: i for i, c in enumerate(old_commits)}
    docs: list[int | list[str]] = [old_row.get(c.sha, -1) for c in commits]
    docs = [d if d != -1 else tokenize(c.message) for d, c in zip(docs, commits, strict=True)]
    with closing(store.build_db(build)) as db:
        store.write_history(db, head, commits)
        db.commit()
    Lexical.assemble(_previous_lexical(previous, "bm25-history"), docs).save(build / "bm25-history")
    return read


def _link_tree(source: Path, target: Path) -> None:
    """``target`` as a copy of the folder ``source`` made of hard links (a real copy where links fail)."""

    def link(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    shutil.copytree(source, target, copy_function=link)


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
