"""The on-disk index: one folder per build, swapped in atomically.

    .patchgate/
      CURRENT                 name of the live build folder (replaced with os.replace)
      index-<id>/
        meta.sqlite           files, chunks (+ their tokens), raw imports per blob, resolved import
                              edges per path (resolved at build: opening stays cheap), settings
        vectors.faiss         inner-product index over unit vectors, row i = chunk id i
        bm25-chunks/ bm25-files/

A build writes a new folder, and only then points CURRENT at it: a crash or a
full disk mid-build leaves the previous index live and usable.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import uuid
from contextlib import closing
from pathlib import Path

from patchgate.atomic import atomic_write_text
from patchgate.errors import IndexStateError

FORMAT_VERSION = 3
SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE files (path TEXT PRIMARY KEY, lang TEXT, blob TEXT, size INTEGER, lines INTEGER, tokens TEXT);  -- tokens: text only, no path
CREATE TABLE chunks (id INTEGER PRIMARY KEY, path TEXT, blob TEXT, kind TEXT, name TEXT, start_line INTEGER,
                     end_line INTEGER, signature TEXT, text TEXT, hash TEXT, tokens TEXT);
CREATE TABLE imports (blob TEXT, module TEXT, level INTEGER);
CREATE TABLE edges (src TEXT, module TEXT, dst TEXT);
CREATE INDEX chunks_blob ON chunks(blob);
CREATE INDEX imports_blob ON imports(blob);
"""


def live_dir(base: Path) -> Path | None:
    """The live build folder under ``base`` (``.patchgate``), if there is one."""
    pointer = base / "CURRENT"
    if not pointer.is_file():
        return None
    path = base / pointer.read_text().strip()
    return path if path.is_dir() else None


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


def create_db(build: Path, settings: dict[str, str]) -> sqlite3.Connection:
    """The metadata database of a new build, schema and settings written."""
    db = sqlite3.connect(build / "meta.sqlite")
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


def previous_blobs(base: Path) -> tuple[dict, dict, dict]:
    """What the live build knows per blob (chunks, imports, file tokens), for reuse; empty if unusable."""
    build = live_dir(base)
    if build is None:
        return {}, {}, {}
    try:
        db, _ = open_db(build)
    except IndexStateError as exc:
        from patchgate.console import err

        err.print(f"{exc}; rebuilding from scratch", style="yellow")
        return {}, {}, {}
    with closing(db):
        chunks: dict[str, list[tuple]] = {}
        first_path: dict[str, str] = {}
        for path, *row in db.execute("SELECT path, blob, kind, name, start_line, end_line, signature, text, hash, "
                                     "tokens FROM chunks ORDER BY id"):
            if first_path.setdefault(row[0], path) == path:  # a blob at several paths: its rows once
                chunks.setdefault(row[0], []).append(tuple(row[1:]))
        imports: dict[str, list[tuple[str, int]]] = {}
        for blob, module, level in db.execute("SELECT blob, module, level FROM imports"):
            imports.setdefault(blob, []).append((module, level))
        tokens = dict(db.execute("SELECT blob, tokens FROM files"))
    return chunks, imports, tokens
