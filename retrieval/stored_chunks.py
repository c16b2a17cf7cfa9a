"""Chunks read from a build without their text, which is read when first used.

Ranking reads every chunk's place, name and signature, but the text of only the few it shows or checks
(the snippets packed into a context, the functions of the top files): reading all 41,855 texts of sympy
(28 MB) was most of opening its index. A chunk's text is read with the rest of its file's chunks, in one
query by path, and kept (a file's chunks have consecutive ids: chunk ``k`` of a file is its first id + k).
"""

from __future__ import annotations

import sqlite3
import threading
from contextlib import closing
from pathlib import Path

from core.errors import IndexStateError
from retrieval.types import Chunk

FIELDS = ("id", "path", "kind", "name", "start_line", "end_line", "signature", "hash")
COLUMNS = ", ".join(FIELDS[1:])  # the id is not stored: chunk i is the i-th in (path, k) order


class ChunkTexts:
    """The texts of one build's chunks, read a file at a time on demand."""

    def __init__(self, build: Path) -> None:
        self.build = build
        self._texts: dict[int, str] = {}
        self._spans: dict[str, tuple[int, int]] = {}  # path -> its first and last chunk id
        self._lock = threading.Lock()

    def __getstate__(self) -> dict:  # chunks travel to worker processes (eval runs); the lock does not
        return {k: v for k, v in self.__dict__.items() if k != "_lock"}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state, _lock=threading.Lock())

    def chunks(self, rows: list[tuple]) -> list[Chunk]:
        """``StoredChunk``s of ``rows`` (the ``FIELDS`` of each chunk, id first, in id order) that read their
        text here."""
        out: list[Chunk] = []
        for row in rows:
            chunk = StoredChunk.__new__(StoredChunk)
            chunk.__dict__.update(zip(FIELDS, row, strict=True), _texts=self)  # frozen: set as the dataclass would
            first, _ = self._spans.get(row[1], (row[0], row[0]))
            self._spans[row[1]] = (first, row[0])
            out.append(chunk)
        return out

    def text(self, chunk: Chunk) -> str:
        with self._lock:
            if chunk.id not in self._texts:
                first, last = self._spans.get(chunk.path, (chunk.id, chunk.id))
                try:
                    with closing(sqlite3.connect(f"file:{self.build / 'meta.sqlite'}?mode=ro", uri=True)) as db:
                        self._texts.update(
                            (first + k, text)
                            for k, text in db.execute("SELECT k, text FROM texts WHERE path = ?", (chunk.path,))
                            if k <= last - first
                        )
                except sqlite3.Error as exc:  # a newer build replaced this one meanwhile, or damage
                    raise IndexStateError(f"index at {self.build} is unreadable ({exc})") from None
                if chunk.id not in self._texts:
                    raise IndexStateError(f"index at {self.build} lost chunk {chunk.id}")
            return self._texts[chunk.id]


class StoredChunk(Chunk):
    """A ``Chunk`` whose ``text`` is read from its build the first time it is asked for.

    Equal and hashed by the fields read with it, so putting chunks in sets reads no text.
    """

    def __getattr__(self, name: str) -> str:
        if name != "text":
            raise AttributeError(name)
        text = self.__dict__["_texts"].text(self)
        self.__dict__["text"] = text
        return text

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Chunk):
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in FIELDS)

    def __hash__(self) -> int:
        return hash((self.id, self.path, self.hash))
