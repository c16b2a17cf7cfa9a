"""The on-disk index: one folder per build, swapped in atomically.

    .patchgate/
      CURRENT                 name of the live build folder (replaced with os.replace)
      index-<id>/
        meta.sqlite           files, chunks, raw imports per blob, resolved import edges per path
                              (resolved at build: opening stays cheap), commit history, settings
        vectors.faiss         inner-product index over unit vectors, row i = chunk id i
        bm25-chunks/ bm25-files/ bm25-history/   term counts + vocabulary (retrieval.lexical), row i =
                              chunk id i / file i in path order / commit i

A build writes a new folder, and only then points CURRENT at it: a crash or a
full disk mid-build leaves the previous index live and usable.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, closing, contextmanager
from pathlib import Path
from typing import NamedTuple

from core.atomic import atomic_write_text
from core.errors import IndexStateError
from core.locks import Timeout, exclusive

FORMAT_VERSION = 4
BUILD_NAME = re.compile(r"index-[0-9a-f]{12}")
LOCK_WAIT_S = 600.0  # a big repository's first build with transformer embeddings on CPU
SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE files (path TEXT PRIMARY KEY, lang TEXT, blob TEXT, size INTEGER, lines INTEGER);  -- row = BM25 row
CREATE TABLE chunks (id INTEGER PRIMARY KEY, path TEXT, blob TEXT, kind TEXT, name TEXT, start_line INTEGER,
                     end_line INTEGER, signature TEXT, text TEXT, hash TEXT);
CREATE TABLE imports (blob TEXT, module TEXT, level INTEGER);
CREATE TABLE edges (src TEXT, module TEXT, dst TEXT);
CREATE TABLE commits (id INTEGER PRIMARY KEY, sha TEXT, time INTEGER, message TEXT);  -- id 0 = newest
CREATE TABLE commit_files (commit_id INTEGER, path TEXT);
"""


def live_dir(base: Path) -> Path | None:
    """The live build folder under ``base`` (``.patchgate``), if there is one.

    Only a name this module made counts: a ``CURRENT`` a repository committed cannot point
    the index at ``../../elsewhere`` or at a link.
    """
    pointer = base / "CURRENT"
    if not pointer.is_file() or pointer.is_symlink():
        return None
    name = pointer.read_text(encoding="utf-8", errors="replace").strip()
    path = base / name
    return path if BUILD_NAME.fullmatch(name) and path.is_dir() and not path.is_symlink() else None


@contextmanager
def build_lock(base: Path, wait_s: float = LOCK_WAIT_S) -> Iterator[None]:
    """One build at a time per index folder: a second one says so and waits for the first.

    Without it, each build's cleanup deletes the other's half-written folder. The lock is an
    OS file lock (``filelock``): a build that dies releases it with its process.
    """
    lock = base / "build.lock"
    with ExitStack() as held:
        try:
            held.enter_context(
                exclusive(lock, "another `patchgate index` is building this index; waiting for it to finish", wait_s)
            )
        except Timeout:
            raise IndexStateError(
                f"another index build still holds {lock} after {wait_s:g} s; run again when it has finished"
            ) from None
        yield


def new_build_dir(base: Path) -> Path:
    """A fresh, empty build folder beside the live one."""
    base.mkdir(parents=True, exist_ok=True)
    path = base / f"index-{uuid.uuid4().hex[:12]}"
    path.mkdir()
    return path


def publish(base: Path, build: Path) -> None:
    """Make ``build`` the live index atomically, then remove older builds."""
    atomic_write_text(base / "CURRENT", build.name)
    for old in base.glob("index-*"):
        if old != build:
            shutil.rmtree(old, ignore_errors=True)


def build_db(build: Path) -> sqlite3.Connection:
    """The metadata database of a build being written, without a journal and without waiting for the disk.

    Neither protects anything here: a build is invisible until ``publish``, and one that fails is deleted
    whole. A build is a cache of the repository, so one a power cut damages after ``publish`` is read
    as unreadable and rebuilt (``previous_blobs``). On sympy the journal and the syncs were a fifth of a
    one-file re-index.
    """
    db = sqlite3.connect(build / "meta.sqlite")
    db.execute("PRAGMA journal_mode = OFF")
    db.execute("PRAGMA synchronous = OFF")
    return db


def create_db(build: Path, settings: dict[str, str]) -> sqlite3.Connection:
    """The metadata database of a new build, schema and settings written."""
    db = build_db(build)
    db.executescript(SCHEMA)
    rows = {"format_version": str(FORMAT_VERSION), **settings}
    db.executemany("INSERT INTO meta VALUES (?, ?)", rows.items())
    return db


def open_db(build: Path) -> tuple[sqlite3.Connection, dict[str, str]]:
    """The metadata database of a live build and its settings; IndexStateError if unusable."""
    try:
        db = sqlite3.connect(f"file:{build / 'meta.sqlite'}?mode=ro", uri=True)
        meta = dict(db.execute("SELECT key, value FROM meta"))
    except sqlite3.Error as exc:
        raise IndexStateError(f"index at {build} is unreadable ({exc})") from None
    if meta.get("format_version") != str(FORMAT_VERSION):
        db.close()
        raise IndexStateError(f"index at {build} has format {meta.get('format_version')}, expected {FORMAT_VERSION}")
    return db, meta


def settings_of(meta: dict[str, str]) -> dict:
    """The embedding settings a build was made with."""
    return json.loads(meta.get("embedding", "{}"))


class Previous(NamedTuple):
    """What the live build knows, for a re-index to reuse instead of recomputing.

    spans: (path, blob) -> the first chunk id and chunk count of that file (a file's chunks have
    consecutive ids: its BM25 and FAISS rows); files: (path, blob) -> the file's old BM25 row;
    imports: blob -> (module, level); edges: source path -> its resolved import edges, in build order;
    settings: its embedding settings (whose model made its vectors).
    """

    spans: dict[tuple[str, str], tuple[int, int]]
    files: dict[tuple[str, str], int]
    imports: dict[str, list[tuple[str, int]]]
    edges: dict[str, list[tuple[str, str | None]]]
    settings: dict


NOTHING = Previous({}, {}, {}, {}, {})


def previous_blobs(build: Path) -> Previous:
    """What the live ``build`` knows, for reuse; nothing if unusable."""
    try:
        db, meta = open_db(build)
        with closing(db):
            return _known(db, settings_of(meta))
    except (IndexStateError, sqlite3.Error) as exc:  # a damaged build: nothing in it is trusted for reuse
        from core.console import err

        reason = str(exc) if isinstance(exc, IndexStateError) else f"index at {build} is unreadable ({exc})"
        err.print(f"{reason}; rebuilding from scratch", style="yellow")
        return NOTHING


def _known(db: sqlite3.Connection, settings: dict) -> Previous:
    """One row per file, never one per chunk: a re-index reads chunk rows only inside SQLite (``copy_chunks``)."""
    spans = {
        (path, blob): (first, n)
        for path, blob, first, n in db.execute("SELECT path, blob, min(id), count(*) FROM chunks GROUP BY path, blob")
    }
    imports: dict[str, list[tuple[str, int]]] = {}
    for blob, module, level in db.execute("SELECT blob, module, level FROM imports"):
        imports.setdefault(blob, []).append((module, level))
    files = {(path, blob): i for i, (path, blob) in enumerate(db.execute("SELECT path, blob FROM files ORDER BY path"))}
    edges: dict[str, list[tuple[str, str | None]]] = {}
    for src, module, dst in db.execute("SELECT src, module, dst FROM edges ORDER BY rowid"):
        edges.setdefault(src, []).append((module, dst))
    return Previous(spans, files, imports, edges, settings)


class Run(NamedTuple):
    """Consecutive chunks a new build keeps: ``size`` of the live build's from ``old`` on become ``new`` on.

    ``path`` is set for a blob the live build has at another path (a copy or a rename): its chunks are
    copied under the new path, with content hashes for it.
    """

    new: int
    old: int
    size: int
    path: str | None = None

    def follows(self, other: Run) -> bool:
        """Whether ``other`` starts where this run ends, in both builds (so the two are one copy)."""
        return self.new + self.size == other.new and self.old + self.size == other.old


def chunk_hash(path: str, kind: str, signature: str, text: str) -> str:
    """A chunk's content hash, the vector cache's key: what gets embedded (path, signature, text)."""
    body = f"{path}\n{signature}\n{text}" if kind != "window" else f"{path}\n{text}"
    return hashlib.sha1(body.encode()).hexdigest()


def copy_chunks(db: sqlite3.Connection, previous: Path, runs: list[Run]) -> None:
    """Copy the kept chunks into a new build's ``db`` straight from the ``previous`` build's database.

    Consecutive unchanged files are one run, so a one-file re-index copies sympy's 41,855 chunks in two
    statements that never bring a row into Python.
    """
    if not runs:
        return
    db.create_function("chunk_hash", 4, chunk_hash, deterministic=True)
    db.execute("ATTACH DATABASE ? AS old", (str(previous / "meta.sqlite"),))  # only read
    try:
        copied = 0
        for run in runs:
            db.execute(
                "INSERT INTO chunks SELECT id + :shift, coalesce(:path, path), blob, kind, name, start_line, end_line, "
                "signature, text, iif(:path IS NULL, hash, chunk_hash(:path, kind, signature, text)) "
                "FROM old.chunks WHERE id >= :old AND id < :end",
                {"shift": run.new - run.old, "path": run.path, "old": run.old, "end": run.old + run.size},
            )
            copied += db.execute("SELECT changes()").fetchone()[0]
        if copied != sum(run.size for run in runs):
            raise IndexStateError(f"index at {previous} lost chunks while it was being reused")
        db.commit()
    finally:
        db.execute("DETACH DATABASE old")


def stored_chunks(build: Path, ids: list[int]) -> list[tuple[int, str, str, str, str]]:
    """(id, path, signature, text, hash) of a build's chunks ``ids``: what embedding them needs."""
    db, _ = open_db(build)
    with closing(db):
        return rows_with_keys(db, "SELECT id, path, signature, text, hash FROM chunks WHERE id IN ({keys})", ids)


def rows_with_keys(db: sqlite3.Connection, sql: str, keys: list, params: tuple = ()) -> list[tuple]:
    """The rows of ``sql`` for every key in ``keys``, asked 500 at a time (``{keys}`` in ``sql`` becomes that
    many placeholders, after ``params``): SQLite caps the parameters of one statement."""
    return [
        row
        for start in range(0, len(keys), 500)
        for row in db.execute(
            sql.format(keys=",".join("?" * len(keys[start : start + 500]))), (*params, *keys[start : start + 500])
        )
    ]


def write_history(db: sqlite3.Connection, head: str | None, commits: list) -> None:
    """The commits a build knows (newest first) and the head they were read from."""
    db.execute("INSERT INTO meta VALUES ('history_head', ?)", (head or "",))
    db.executemany(
        "INSERT INTO commits VALUES (?, ?, ?, ?)", [(i, c.sha, c.time, c.message) for i, c in enumerate(commits)]
    )
    db.executemany("INSERT INTO commit_files VALUES (?, ?)", [(i, p) for i, c in enumerate(commits) for p in c.files])


def history_head(build: Path) -> str | None:
    """The head a build's history was read at (None when unknown or unreadable)."""
    try:
        db, meta = open_db(build)
    except IndexStateError:
        return None
    db.close()
    return meta.get("history_head") or None


def copy_history(build: Path, previous: Path) -> None:
    """The ``previous`` build's commits, their files and head, copied into ``build`` inside SQLite."""
    with closing(build_db(build)) as db:
        db.execute("ATTACH DATABASE ? AS old", (str(previous / "meta.sqlite"),))
        db.execute("INSERT INTO meta SELECT key, value FROM old.meta WHERE key = 'history_head'")
        db.execute("INSERT INTO commits SELECT * FROM old.commits ORDER BY id")
        db.execute("INSERT INTO commit_files SELECT * FROM old.commit_files ORDER BY rowid")
        db.commit()
        db.execute("DETACH DATABASE old")


def read_history(build: Path | None) -> tuple[str | None, list]:
    """The head and commits (newest first) a build recorded; nothing when there is no usable build."""
    from retrieval.history import Commit

    if build is None:
        return None, []
    try:
        db, meta = open_db(build)
    except IndexStateError:
        return None, []
    with closing(db):
        files: dict[int, list[str]] = {}
        for cid, path in db.execute("SELECT commit_id, path FROM commit_files ORDER BY rowid"):
            files.setdefault(cid, []).append(path)
        commits = [
            Commit(sha, when, message, tuple(files.get(cid, ())))
            for cid, sha, when, message in db.execute("SELECT id, sha, time, message FROM commits ORDER BY id")
        ]
    return meta.get("history_head") or None, commits
