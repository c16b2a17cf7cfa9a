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
import os
import re
from collections import Counter
from functools import cached_property, lru_cache
from itertools import chain
from pathlib import Path

import numpy as np

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
        self._stored: tuple[Path, int] | None = None  # the file it was read from, and how many terms that has

    @classmethod
    def load(cls, path: Path) -> Vocabulary:
        vocab = cls(json.loads(path.read_text(encoding="utf-8")))
        vocab._stored = (path, len(vocab.terms))
        return vocab

    def save(self, path: Path) -> None:
        """Write the terms to ``path`` (a new file); a vocabulary that gained no term since it was read links
        the file it came from instead (a published build's files are never written again)."""
        if self._stored is not None and self._stored[1] == len(self.terms):
            try:
                os.link(self._stored[0], path)
                return
            except OSError:
                pass
        path.write_text(json.dumps(self.terms), encoding="utf-8")

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
    a few whole columns, and a new index is assembled from them, with numpy alone: scipy's import was half a
    second of a cold ``context`` and a third of a one-file re-index.
    """

    def __init__(
        self, indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, shape: tuple[int, int], vocab: Vocabulary
    ) -> None:
        self.indptr, self.indices, self.data = indptr, indices, data
        self.shape = shape
        self.vocab = vocab
        self.size = shape[0]

    @cached_property
    def lengths(self) -> np.ndarray:
        """Each document's length in tokens (computed when first scored: a build that only assembles and
        saves never needs it)."""
        return np.bincount(self.indices, weights=self.data, minlength=self.size).astype(np.float32)

    @classmethod
    def build(cls, docs: list[list[str]], vocab: Vocabulary | None = None) -> Lexical:
        """An index over token lists, extending ``vocab`` (a fresh one if none)."""
        return cls.assemble(None, list(docs), vocab)

    @classmethod
    def assemble(
        cls, previous: Lexical | None, parts: list[int | list[str]], vocab: Vocabulary | None = None
    ) -> Lexical:
        """An index whose document i is ``previous``'s row ``parts[i]`` (an int) or a new token list.

        Reused rows are gathered from the stored columns, never recounted, with numpy alone (scipy's import
        was a third of a one-file re-index): the cost of a re-index is the new documents' tokens.
        """
        vocab = previous.vocab if previous else (vocab or Vocabulary())
        fresh = [(i, vocab.add(p)) for i, p in enumerate(parts) if not isinstance(p, int)]
        width = len(vocab.terms)
        sizes = np.fromiter((len(c) for _, c in fresh), dtype=np.int64, count=len(fresh))
        rows = np.repeat(np.fromiter((i for i, _ in fresh), dtype=np.int64, count=len(fresh)), sizes)
        cols = np.fromiter(chain.from_iterable(c.keys() for _, c in fresh), dtype=np.int64, count=int(sizes.sum()))
        data = np.fromiter(chain.from_iterable(c.values() for _, c in fresh), dtype=np.int32, count=len(cols))
        order = np.argsort(cols, kind="stable")
        rows, cols, data = rows[order], cols[order], data[order]
        added = np.zeros(width + 1, dtype=np.int64)  # new entries in the columns before each
        np.cumsum(np.bincount(cols, minlength=width), out=added[1:])
        if previous is None or len(fresh) == len(parts):
            return cls(added, rows.astype(np.int32), data, (len(parts), width), vocab)
        kept = [(i, p) for i, p in enumerate(parts) if isinstance(p, int)]
        old_rows, old_data, old_ends = previous._gather(
            np.fromiter((p for _, p in kept), dtype=np.int64, count=len(kept)),
            np.fromiter((i for i, _ in kept), dtype=np.int64, count=len(kept)),
        )
        # The gathered entries are in column order already: each new entry goes in after its column's old
        # ones (what a stable sort of both by column gives), so nothing is sorted but the new documents' few.
        ends = np.concatenate((old_ends, np.full(width + 1 - len(old_ends), old_ends[-1])))  # new terms: none old
        at = ends[cols + 1]
        rows, data = np.insert(old_rows, at, rows), np.insert(old_data, at, data)
        return cls(ends + added, rows.astype(np.int32), data, (len(parts), width), vocab)

    def _gather(self, old: np.ndarray, new: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """This index's rows ``old`` renumbered ``new``: (row, count) entries in column order, and where each
        column's entries begin among them (``indptr``'s shape).

        A row may be taken more than once (a blob at two paths): each of its entries is repeated once per
        taking, and the k-th copy goes to the k-th new row that takes it.
        """
        if len(old) < 2 or bool((old[1:] > old[:-1]).all()):  # each row at most once, in order: a re-index
            where = np.full(self.size, -1, dtype=np.int64)
            where[old] = new
            rows = where[self.indices]
            kept = rows >= 0
            return rows[kept], self.data[kept], _starts(kept)[self.indptr]
        takes = np.bincount(old, minlength=self.size)
        targets = new[np.argsort(old, kind="stable")]  # the new rows of old row r: targets[first[r]:first[r + 1]]
        first = np.concatenate(([0], np.cumsum(takes)))
        copies = takes[self.indices]
        entry = np.repeat(np.arange(len(self.indices)), copies)
        nth = np.arange(len(entry)) - np.repeat(np.cumsum(copies) - copies, copies)
        return targets[first[self.indices[entry]] + nth], self.data[entry], _starts(copies)[self.indptr]

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
        self.vocab.save(path / "vocab.json")  # a fresh build folder

    @classmethod
    def load(cls, path: Path) -> Lexical:
        vocab = Vocabulary.load(path / "vocab.json")
        with np.load(path / "counts.npz") as arrays:
            if arrays["format"].item() != b"csc":
                raise ValueError(f"{path / 'counts.npz'} is not a compressed-column matrix")
            shape = tuple(int(n) for n in arrays["shape"])
            return cls(arrays["indptr"], arrays["indices"], arrays["data"], (shape[0], shape[1]), vocab)


def _starts(counts: np.ndarray) -> np.ndarray:
    """Where each stored entry's copies begin among all copies, with the total after the last (``counts``:
    copies per entry, or a mask of those kept): indexed by ``indptr``, each column's first and end."""
    out = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=out[1:])
    return out
