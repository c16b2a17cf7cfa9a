"""BM25 over code, with a tokenizer that knows identifiers.

``parse_config_file`` and ``parseConfigFile`` both index as the whole
identifier plus ``parse``, ``config``, ``file``, so an issue that says "the
config file parser" meets the code that implements it. bm25s does the scoring
(sparse matrices, saved beside the index).
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import chain
from pathlib import Path

import bm25s
import numpy as np

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
STOPWORDS = frozenset("""
a an and are as at be but by for from has have if in into is it its not of on or that the their then there these
this to was were will with self none true false return def class import pass elif else while try except
finally raise lambda yield await async cls args kwargs i j k x n s e
""".split())


@lru_cache(maxsize=200_000)
def _split(word: str) -> tuple[str, ...]:
    lower = word.lower()
    parts = [p.lower() for piece in word.split("_") for p in _CAMEL.findall(piece)]
    keep = [lower] if len(lower) > 1 and lower not in STOPWORDS else []
    if len(parts) > 1:
        keep.extend(p for p in parts if len(p) > 1 and p not in STOPWORDS)
    return tuple(keep)


def tokenize(text: str) -> list[str]:
    """Code-aware tokens: each identifier whole and split at ``_`` and camelCase, lowercased."""
    return list(chain.from_iterable(map(_split, _WORD.findall(text))))  # C-level loop: indexing tokenizes all code


class Lexical:
    """A BM25 index over a list of documents (chunks or whole files)."""

    def __init__(self, retriever: bm25s.BM25, size: int) -> None:
        self.retriever = retriever
        self.size = size
        self.vocab = retriever.vocab_dict

    @classmethod
    def build(cls, docs: list[list[str]]) -> Lexical:
        retriever = bm25s.BM25()
        retriever.index([d or ["\x00empty"] for d in docs] or [["\x00empty"]], show_progress=False)
        return cls(retriever, len(docs))

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every document for ``query`` (zeros where nothing matches)."""
        tokens = [t for t in dict.fromkeys(tokenize(query)) if t in self.vocab]
        if not tokens or not self.size:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self.retriever.get_scores(tokens), dtype=np.float32)[: self.size]

    def search(self, query: str, k: int) -> list[tuple[int, float]]:
        """The ``k`` best documents as (position, score), best first, zero scores left out."""
        scores = self.scores(query)
        if not len(scores):
            return []
        top = np.argsort(-scores, kind="stable")[:k]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]

    def save(self, path: Path) -> None:
        self.retriever.save(str(path), show_progress=False)
        (path / "size").write_text(str(self.size))

    @classmethod
    def load(cls, path: Path) -> Lexical:
        retriever = bm25s.BM25.load(str(path), show_progress=False)
        return cls(retriever, int((path / "size").read_text()))
