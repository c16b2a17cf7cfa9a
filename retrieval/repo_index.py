"""A live index opened for reading: the ``IndexView`` ranking and packing use."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import closing
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from core.errors import IndexStateError
from retrieval import store
from retrieval.embeddings import EmbeddingConfig, kind_of, make_embedder
from retrieval.history import History
from retrieval.learned import query_vector
from retrieval.lexical import Lexical
from retrieval.stored_chunks import COLUMNS, ChunkTexts
from retrieval.types import Chunk, FileRecord, ImportEdge, Symbol

T = TypeVar("T")


class RepoIndex:
    """Files, chunks, symbols and imports of one build, with BM25 and dense search."""

    def __init__(
        self,
        root: Path,
        build: Path,
        files: list[FileRecord],
        chunks: list[Chunk],
        edges: list[ImportEdge],
        meta: dict[str, str],
    ) -> None:
        self.root, self.build = root, build
        self._files, self._chunks, self._edges = files, chunks, edges
        self.settings = store.settings_of(meta)

    @classmethod
    def load(cls, root: Path, build: Path) -> RepoIndex:
        db, meta = store.open_db(build)
        with closing(db):
            try:
                files = [
                    FileRecord(*row)
                    for row in db.execute("SELECT path, lang, blob, size, lines FROM files ORDER BY path")
                ]
                rows = db.execute(f"SELECT {COLUMNS} FROM chunks ORDER BY path, k")
                chunks = ChunkTexts(build).chunks([(i, *row) for i, row in enumerate(rows)])  # chunk i: the i-th
                edges = [
                    ImportEdge(*row) for row in db.execute("SELECT src, module, dst FROM edges ORDER BY src, rowid")
                ]
            except Exception as exc:  # sqlite errors and malformed rows alike mean a broken build
                raise IndexStateError(f"index at {build} is unreadable ({exc})") from None
        return cls(root, build, files, chunks, edges, meta)

    def files(self) -> list[FileRecord]:
        return self._files

    def chunks(self) -> list[Chunk]:
        return self._chunks

    def symbols(self) -> list[Symbol]:
        return [Symbol(c.path, c.name, c.kind, c.start_line) for c in self._chunks if c.name]

    def imports(self) -> list[ImportEdge]:
        return self._edges

    def file_text(self, path: str) -> str:
        """The indexed text of ``path`` rebuilt from disk when it is a working tree, else from its chunks."""
        full = self.root / path
        if full.is_file():
            return full.read_text(encoding="utf-8", errors="replace")
        return "\n".join(c.text for c in self._text_chunks.get(path, []))

    @cached_property
    def _text_chunks(self) -> dict[str, list[Chunk]]:
        """Each file's chunks that together hold its text (classes repeat their methods), in line order."""
        out: dict[str, list[Chunk]] = {}
        for c in sorted((c for c in self._chunks if c.kind != "class"), key=lambda c: (c.path, c.start_line)):
            out.setdefault(c.path, []).append(c)
        return out

    @cached_property
    def chunk_bm25(self) -> Lexical:
        return self._part("bm25-chunks", Lexical.load)

    @cached_property
    def file_bm25(self) -> Lexical:
        """BM25 over whole files (path + text), row i = ``files()[i]``."""
        return self._part("bm25-files", Lexical.load)

    def _part(self, name: str, load: Callable[[Path], T]) -> T:
        """One part of the build, loaded when first needed; a missing or damaged one is IndexStateError."""
        try:
            return load(self.build / name)
        except (OSError, ValueError, RuntimeError, KeyError) as exc:  # what numpy, scipy, json and faiss raise
            raise IndexStateError(f"index part {name} in {self.build} is missing or damaged ({exc})") from None

    def lexical_search(self, query: str, k: int) -> list[tuple[int, float]]:
        return self.chunk_bm25.search(query, k)

    def chunk_lexical_scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk for ``query``, row i = chunk id i."""
        return self.chunk_bm25.scores(query)

    def file_lexical_scores(self, query: str) -> np.ndarray:
        """BM25 score of every file for ``query``, aligned with ``files()``."""
        return self.file_bm25.scores(query)

    @cached_property
    def history(self) -> History:
        """Commit-history signals over this build's files (empty when the repository had no commits)."""
        path = self.build / "bm25-history"
        messages = Lexical.load(path) if (path / "counts.npz").exists() else Lexical.build([])
        return History(store.read_history(self.build)[1], messages, [f.path for f in self._files])

    @cached_property
    def _vectors(self) -> Any:
        """The FAISS index, memory-mapped: a query reads the pages it searches, not a copy of every vector."""
        if self.settings.get("dense") == "none":
            return None
        import faiss

        return self._part("vectors.faiss", lambda path: faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC))

    @cached_property
    def _embedder(self):
        """The encoder that made this build's vectors: its settings, ``auto`` read as what it resolved to then."""
        fields = EmbeddingConfig.model_fields
        config = EmbeddingConfig(**{k: v for k, v in self.settings.items() if k in fields})
        if config.dense == "auto" and self.settings.get("model_id"):
            config = config.model_copy(update={"dense": kind_of(self.settings["model_id"])})
        return make_embedder(config)

    @property
    def dense_kind(self) -> str:
        return "none" if self._embedder is None else str(self._embedder.kind)

    def dense_search(self, query: str, k: int) -> list[tuple[int, float]]:
        if self._vectors is None or self._embedder is None:
            return []
        return self._search(self._embedder.embed_query(query), k)

    def learned_search(self, query: str, k: int) -> list[tuple[int, float]]:
        """Chunk ids and cosines to the issue embedded with the learned term weights (``retrieval.learned``)."""
        if self._vectors is None or self._embedder is None:
            return []
        vec = query_vector(self._embedder, query)
        return [] if vec is None else self._search(vec, k)

    def _search(self, vec: np.ndarray, k: int) -> list[tuple[int, float]]:
        assert self._vectors is not None
        scores, ids = self._vectors.search(vec.astype(np.float32)[None, :], min(k, self._vectors.ntotal))
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]
