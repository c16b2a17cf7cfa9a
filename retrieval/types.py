"""The records the index stores and the ranking reads.

The index (``retrieval.index``) produces them; ranking, context packing and
the agent only read them through ``IndexView``, so a ranking change never
needs a storage change and the other way round.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class FileRecord:
    """One indexed file at the indexed revision or working tree."""

    path: str  # repository-relative, forward slashes
    lang: str  # 'python', 'javascript', ..., or 'text' for the line-window fallback
    blob: str  # git blob id of the content (content address)
    size: int
    lines: int


@dataclass(frozen=True)
class Chunk:
    """A function, method, class, module-level block or line window of one file."""

    id: int
    path: str
    kind: str  # 'function' | 'method' | 'class' | 'module' | 'window'
    name: str  # qualified: 'Class.method', 'function', '' for module/window chunks
    start_line: int  # 1-based, inclusive
    end_line: int  # 1-based, inclusive
    signature: str  # the def/class line(s) (methods carry their class line), for repo maps
    text: str
    hash: str  # content hash; the embedding cache key together with the model id


@dataclass(frozen=True)
class Symbol:
    """A definition in a file."""

    path: str
    name: str
    kind: str
    line: int


@dataclass(frozen=True)
class ImportEdge:
    """``src`` imports ``module``; ``dst`` is the repository file it resolves to, if any."""

    src: str
    module: str
    dst: str | None


class IndexView(Protocol):
    """What ranking and context packing may read from an index."""

    root: Path

    def files(self) -> list[FileRecord]: ...

    def chunks(self) -> list[Chunk]: ...

    def symbols(self) -> list[Symbol]: ...

    def imports(self) -> list[ImportEdge]: ...

    def file_text(self, path: str) -> str: ...

    def lexical_search(self, query: str, k: int) -> list[tuple[int, float]]:
        """Chunk ids and BM25 scores, best first."""
        ...

    def dense_search(self, query: str, k: int) -> list[tuple[int, float]]:
        """Chunk ids and cosine similarities, best first (empty where no vectors were kept)."""
        ...

    @property
    def dense_kind(self) -> str:
        """Which encoder made the vectors (static, transformer, tuned; none): the fusion trees fitted on its
        cosines are the ones that rank."""
        ...
