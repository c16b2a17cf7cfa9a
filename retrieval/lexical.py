"""BM25 over code, with a tokenizer that knows identifiers, kept as raw term counts so it updates per file.

``parse_config_file`` and ``parseConfigFile`` both index as the whole
identifier plus ``parse``, ``config``, ``file``, so an issue that says "the
config file parser" meets the code that implements it.

The index stores what does not depend on the rest of the corpus: a persistent
vocabulary (term -> column, only ever appended to) and a sparse matrix of term
counts, one row per document. Document frequencies, the average length and
hence every BM25 weight are computed at query time from those counts, over the
few columns a query names. So a re-index after a one-file edit copies the rows
of unchanged documents (a sparse row gather) and counts tokens of the changed
file only; nothing corpus-wide is recomputed.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import lru_cache
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import scipy.sparse as sp

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "for",
        "from",
        "has",
        "have",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "not",
        "of",
        "on",
        "or",
        "that",
        "the",
        "their",
        "then",
        "there",
        "these",
        "this",
        "to",
        "was",
        "were",
        "will",
        "with",
        "self",
        "none",
        "true",
        "false",
        "return",
        "def",
        "class",
        "import",
        "pass",
        "elif",
        "else",
        "while",
        "try",
        "except",
        "finally",
        "raise",
        "lambda",
        "yield",
        "await",
        "async",
        "cls",
        "args",
        "kwargs",
        "i",
        "j",
        "k",
        "x",
        "n",
        "s",
        "e",
    ]
)
K1, B = 1.5, 0.75  # the usual BM25 constants (Lucene's)


@lru_cache(maxsize=200_000)
def _split(word: str) -> tuple[str, ...]:
    lower = word.lower()
    parts = [p.lower() for piece in word.split("_") for p in _CAMEL.findall(piece)]
    keep = [lower] if len(lower) > 1 and lower not in STOPWORDS else []
    if len(parts) > 1:
        keep.extend(p for p in parts if len(p) > 1 and p not in STOPWORDS)
    return tuple(keep)


def tokenize(text: str) -> list[str]:
    """Code-aware tokens: each identifier whole and split at ``_`` and camelCase, lowercased.

    Queries and documents go through this one function, so ``FooBar``, ``foo_bar`` and "foo bar" meet.
    """
    return list(chain.from_iterable(map(_split, _WORD.findall(text))))  # C-level loop: indexing tokenizes all code


class Vocabulary:
    """Term -> column id; append-only, so column ids stay valid across builds."""

    def __init__(self, terms: list[str] | None = None) -> None:
        self.terms = terms or []
        self.ids = {t: i for i, t in enumerate(self.terms)}

    def add(self, tokens: list[str]) -> Counter:
        """Column id -> count for ``tokens``, adding unseen terms."""
        counts = Counter(tokens)
        out: Counter = Counter()
        for term, n in counts.items():
            col = self.ids.get(term)
            if col is None:
                col = self.ids[term] = len(self.terms)
                self.terms.append(term)
            out[col] = n
        return out


class Lexical:
    """BM25 over documents (chunks, whole files or commit messages) kept as term counts.

    The counts are held as the three arrays of a compressed-column matrix (documents x terms): a query reads
    a few whole columns with numpy alone, so answering one never imports scipy (half a second of a cold
    ``context``); only assembling a new index does.
    """

    def __init__(
        self, indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, shape: tuple[int, int], vocab: Vocabulary
    ) -> None:
        self.indptr, self.indices, self.data = indptr, indices, data
        self.shape = shape
        self.vocab = vocab
        self.size = shape[0]
        self.lengths = np.bincount(indices, weights=data, minlength=self.size).astype(np.float32)

    @classmethod
    def _of(cls, counts: sp.spmatrix, vocab: Vocabulary) -> Lexical:
        csc = counts.tocsc()
        return cls(csc.indptr, csc.indices, csc.data, csc.shape, vocab)

    @property
    def counts(self) -> sp.csc_matrix:
        from scipy import sparse

        return sparse.csc_matrix((self.data, self.indices, self.indptr), shape=self.shape)

    @classmethod
    def build(cls, docs: list[list[str]], vocab: Vocabulary | None = None) -> Lexical:
        """An index over token lists, extending ``vocab`` (a fresh one if none)."""
        vocab = vocab or Vocabulary()
        return cls._of(_rows([vocab.add(d) for d in docs], len(vocab.terms)), vocab)

    @classmethod
    def assemble(cls, previous: Lexical | None, parts: list[int | list[str]]) -> Lexical:
        """An index whose document i is ``previous``'s row ``parts[i]`` (an int) or a new token list.

        Reused rows are gathered, never recounted: the cost of a re-index is the new documents' tokens.
        """
        vocab = previous.vocab if previous else Vocabulary()
        new = [vocab.add(p) for p in parts if not isinstance(p, int)]
        width = len(vocab.terms)
        fresh = _rows(new, width)
        if previous is None or not any(isinstance(p, int) for p in parts):
            return cls._of(fresh, vocab)
        from scipy import sparse

        old = previous.counts.tocsr()
        old = sparse.csr_matrix((old.data, old.indices, old.indptr), shape=(old.shape[0], width))
        reused = [p for p in parts if isinstance(p, int)]
        stacked = sparse.vstack([old[reused], fresh], format="csr")
        # stacked holds reused rows first, then new ones; put every document back in its place
        order = np.empty(len(parts), dtype=np.int64)
        r = n = 0
        for i, p in enumerate(parts):
            if isinstance(p, int):
                order[i], r = r, r + 1
            else:
                order[i], n = len(reused) + n, n + 1
        return cls._of(stacked[order], vocab)

    def scores(self, query: str | list[str]) -> np.ndarray:
        """BM25 score of every document for ``query`` (zeros where nothing matches)."""
        tokens = tokenize(query) if isinstance(query, str) else query
        cols = [self.vocab.ids[t] for t in dict.fromkeys(tokens) if t in self.vocab.ids]
        cols = [c for c in cols if c < self.shape[1]]
        out = np.zeros(self.size, dtype=np.float32)
        if not cols or not self.size:
            return out
        spans = [(self.indptr[c], self.indptr[c + 1]) for c in cols]
        df = np.array([end - start for start, end in spans])
        idf = np.log1p((self.size - df + 0.5) / (df + 0.5)).astype(np.float32)
        norm = K1 * (1 - B + B * self.lengths / max(float(self.lengths.mean()), 1e-9))
        for j, (start, end) in enumerate(spans):
            rows = self.indices[start:end]
            tf = self.data[start:end].astype(np.float32)
            out[rows] += idf[j] * tf * (K1 + 1) / (tf + norm[rows])
        return out

    def search(self, query: str | list[str], k: int) -> list[tuple[int, float]]:
        """The ``k`` best documents as (position, score), best first, zero scores left out."""
        scores = self.scores(query)
        if not len(scores):
            return []
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        top = top[np.lexsort((top, -scores[top]))]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]

    def save(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        # scipy's save_npz layout (uncompressed), which numpy alone reads back
        np.savez(
            path / "counts.npz",
            indices=self.indices,
            indptr=self.indptr,
            format=np.array(b"csc"),
            shape=np.array(self.shape),
            data=self.data,
        )
        (path / "vocab.json").write_text(json.dumps(self.vocab.terms), encoding="utf-8")  # a fresh build folder

    @classmethod
    def load(cls, path: Path) -> Lexical:
        vocab = Vocabulary(json.loads((path / "vocab.json").read_text(encoding="utf-8")))
        with np.load(path / "counts.npz") as arrays:
            if arrays["format"].item() != b"csc":
                raise ValueError(f"{path / 'counts.npz'} is not a compressed-column matrix")
            shape = tuple(int(n) for n in arrays["shape"])
            return cls(arrays["indptr"], arrays["indices"], arrays["data"], (shape[0], shape[1]), vocab)


def _rows(counts: list[Counter], width: int) -> sp.csr_matrix:
    from scipy import sparse

    indptr = np.zeros(len(counts) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(c) for c in counts]) if counts else []
    indices = np.fromiter(chain.from_iterable(c.keys() for c in counts), dtype=np.int32, count=int(indptr[-1]))
    data = np.fromiter(chain.from_iterable(c.values() for c in counts), dtype=np.int32, count=int(indptr[-1]))
    return sparse.csr_matrix((data, indices, indptr), shape=(len(counts), width))
