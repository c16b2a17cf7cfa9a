"""The on-disk index: one folder per build, swapped in atomically.

    .patchgate/
      CURRENT                 name of the live build folder (replaced with os.replace)
      index-<id>/
        meta.sqlite           files, chunks and their texts, raw imports per blob, resolved import
                              edges per path (resolved at build: opening stays cheap), commit history,
                              settings
        vectors.faiss         inner-product index over unit vectors, row i = chunk i
        bm25-chunks/ bm25-files/ bm25-history/   term counts + vocabulary (retrieval.lexical), row i =
                              chunk i / file i / commit i

Files are in path order and chunks in (path, position in file) order; chunk i is the i-th in that order.
No row stores its number, so a re-index edits a copy of the live build's database where files changed
and leaves the rest as it was: a one-file change rewrites that file's rows, not the 41,855 of sympy.

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

FORMAT_VERSION = 5
BUILD_NAME = re.compile(r"index-[0-9a-f]{12}")
LOCK_WAIT_S = 600.0  # a big repository's first build with transformer embeddings on CPU
SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE files (path TEXT PRIMARY KEY, lang TEXT, blob TEXT, size INTEGER, lines INTEGER, chunks INTEGER)
    WITHOUT ROWID;
CREATE TABLE chunks (path TEXT, k INTEGER, blob TEXT, kind TEXT, name TEXT, start_line INTEGER, end_line INTEGER,
                     signature TEXT, hash TEXT, PRIMARY KEY (path, k)) WITHOUT ROWID;
CREATE TABLE texts (path TEXT, k INTEGER, text TEXT, PRIMARY KEY (path, k));  -- apart: opening never reads them
CREATE TABLE imports (blob TEXT, module TEXT, level INTEGER);
CREATE INDEX imports_blob ON imports(blob);
CREATE TABLE edges (src TEXT, module TEXT, dst TEXT);  -- read ORDER BY src, rowid
CREATE INDEX edges_src ON edges(src);
CREATE TABLE commits (id INTEGER PRIMARY KEY, sha TEXT, time INTEGER, message TEXT);  -- id 0 = newest
CREATE TABLE commit_files (commit_id INTEGER, path TEXT);
"""
TABLES = frozenset({"meta", "files", "chunks", "texts", "imports", "edges", "commits", "commit_files"})


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
    as unreadable and rebuilt (``read_previous``). On sympy the journal and the syncs were a fifth of a
    one-file re-index.
    """
    db = sqlite3.connect(build / "meta.sqlite")
    db.execute("PRAGMA journal_mode = OFF")
    db.execute("PRAGMA synchronous = OFF")
    return db


def start_db(build: Path, previous: Path | None, settings: dict[str, str]) -> sqlite3.Connection:
    """The new build's database: a copy of the ``previous`` build's, to edit where files changed, or an
    empty one; ``settings`` written either way."""
    if previous is not None:
        shutil.copyfile(previous / "meta.sqlite", build / "meta.sqlite")
    db = build_db(build)
    if previous is None:
        db.executescript(SCHEMA)
    rows = {"format_version": str(FORMAT_VERSION), **settings}
    db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", rows.items())
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


class Known(NamedTuple):
    """One file of the live build: its BM25 row, where its chunks start, how many it has."""

    row: int
    first: int
    chunks: int


class Previous(NamedTuple):
    """What the live build has, for a re-index to keep instead of recomputing: its files by (path, blob),
    its embedding settings (whose model made its vectors) and the head its history was read at."""

    files: dict[tuple[str, str], Known]
    settings: dict
    head: str | None

    @property
    def chunks(self) -> int:
        """How many chunks (and vectors) the live build has."""
        return sum(k.chunks for k in self.files.values())


NOTHING = Previous({}, {}, None)


def read_previous(build: Path) -> Previous:
    """What the live ``build`` has, for reuse; nothing if unusable (with one line saying so)."""
    try:
        db, meta = open_db(build)
        with closing(db):
            missing = TABLES - {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if missing:
                raise IndexStateError(f"index at {build} lacks its {', '.join(sorted(missing))} table")
            files: dict[tuple[str, str], Known] = {}
            first = 0
            for row, (path, blob, count) in enumerate(db.execute("SELECT path, blob, chunks FROM files ORDER BY path")):
                files[(path, blob)] = Known(row, first, count)
                first += count
        return Previous(files, settings_of(meta), meta.get("history_head") or None)
    except (IndexStateError, sqlite3.Error) as exc:  # a damaged build: nothing in it is trusted for reuse
        from core.console import err

        reason = str(exc) if isinstance(exc, IndexStateError) else f"index at {build} is unreadable ({exc})"
        err.print(f"{reason}; rebuilding from scratch", style="yellow")
        return NOTHING


def chunk_hash(path: str, kind: str, signature: str, text: str) -> str:
    """A chunk's content hash, the vector cache's key: what gets embedded (path, signature, text)."""
    body = f"{path}\n{signature}\n{text}" if kind != "window" else f"{path}\n{text}"
    return hashlib.sha1(body.encode()).hexdigest()


def replace_files(db: sqlite3.Connection, gone: list[str], moves: list[tuple[str, str]]) -> None:
    """Remove every row of the files at ``gone`` (changed or deleted), and copy the chunks of each (old
    path, new path) in ``moves`` (a copied or renamed file) under the new path, hashed for it.

    The copies are staged before anything is removed: a rename removes its source, a swap its target.
    """
    db.create_function("chunk_hash", 4, chunk_hash, deterministic=True)
    db.execute("CREATE TEMP TABLE moves (old TEXT, new TEXT)")
    db.executemany("INSERT INTO moves VALUES (?, ?)", moves)
    db.execute(
        "CREATE TEMP TABLE staged AS SELECT m.new AS path, c.k, c.blob, c.kind, c.name, c.start_line, c.end_line, "
        "c.signature, chunk_hash(m.new, c.kind, c.signature, t.text) AS hash, t.text "
        "FROM moves m JOIN chunks c ON c.path = m.old JOIN texts t ON t.path = c.path AND t.k = c.k"
    )
    db.execute("CREATE TEMP TABLE gone (path TEXT PRIMARY KEY)")
    db.executemany("INSERT INTO gone VALUES (?)", [(p,) for p in gone])
    for table, column in (("files", "path"), ("chunks", "path"), ("texts", "path"), ("edges", "src")):
        db.execute(f"DELETE FROM {table} WHERE {column} IN (SELECT path FROM gone)")
    db.execute("INSERT INTO chunks SELECT path, k, blob, kind, name, start_line, end_line, signature, hash FROM staged")
    db.execute("INSERT INTO texts SELECT path, k, text FROM staged")
    for table in ("moves", "staged", "gone"):
        db.execute(f"DROP TABLE {table}")


def drop_orphan_imports(db: sqlite3.Connection) -> None:
    """Remove the imports of blobs no file has any more."""
    db.execute("DELETE FROM imports WHERE blob NOT IN (SELECT blob FROM files)")


def imports_by_blob(db: sqlite3.Connection, blobs: set[str] | None = None) -> dict[str, list[tuple[str, int]]]:
    """(module, level) of each blob's imports, in the order its file has them (all blobs: ``None``)."""
    out: dict[str, list[tuple[str, int]]] = {}
    if blobs is None:
        rows = db.execute("SELECT blob, module, level FROM imports ORDER BY rowid").fetchall()
    else:
        rows = rows_with_keys(
            db, "SELECT blob, module, level FROM imports WHERE blob IN ({keys}) ORDER BY rowid", sorted(blobs)
        )
    for blob, module, level in rows:
        out.setdefault(blob, []).append((module, level))
    return out


def stored_chunks(build: Path, paths: list[str] | None = None) -> list[tuple[str, int, str, str, str]]:
    """(path, k, signature, text, hash) of a build's chunks (of ``paths``, else all), in chunk order: what
    embedding them needs."""
    db, _ = open_db(build)
    sql = "SELECT c.path, c.k, c.signature, t.text, c.hash FROM chunks c JOIN texts t USING (path, k) {where} ORDER BY c.path, c.k"
    with closing(db):
        if paths is None:
            return db.execute(sql.format(where="")).fetchall()
        return rows_with_keys(db, sql.format(where="WHERE c.path IN ({keys})"), sorted(paths))


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
    """The commits a build knows (newest first) and the head they were read from, replacing any it had."""
    db.execute("DELETE FROM commits")
    db.execute("DELETE FROM commit_files")
    db.execute("INSERT OR REPLACE INTO meta VALUES ('history_head', ?)", (head or "",))
    db.executemany(
        "INSERT INTO commits VALUES (?, ?, ?, ?)", [(i, c.sha, c.time, c.message) for i, c in enumerate(commits)]
    )
    db.executemany("INSERT INTO commit_files VALUES (?, ?)", [(i, p) for i, c in enumerate(commits) for p in c.files])


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
