"""Turn new blobs into what the index stores: redacted chunks, their tokens, Python imports, file tokens.

A full index of a large repository spends half its time here (secret redaction, tree-sitter, tokenizing
30 MB of text on sympy), and each blob is independent of the others, so a build with enough new text
parses in worker processes, one per core (threads would not help: most of it is Python holding the GIL).
A re-index parses a few files in-process: starting a worker costs more than parsing them.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from core.interrupts import children_start_ignoring_interrupts
from core.secrets import redact
from retrieval.chunking import RawChunk, chunk_file
from retrieval.graph import imports_in
from retrieval.lexical import tokenize

PARALLEL_BYTES = 4_000_000  # below this much new text, worker start-up (about 0.6 s) costs more than it saves
BATCH_BYTES = 400_000  # text sent to a worker at once: small enough to keep the cores evenly busy


@dataclass(frozen=True)
class ParsedBlob:
    """One blob, parsed at its first path (redaction rules can depend on the file name)."""

    chunks: list[RawChunk]
    tokens: list[list[str]]  # BM25 tokens of each chunk (name + text)
    imports: list[tuple[str, int]] | None  # Python only: (module, level) from the same syntax tree
    text_tokens: list[str]  # BM25 tokens of the whole redacted text (a file's document is its path's + these)


def parse_blob(lang: str, path: str, data: bytes) -> ParsedBlob:
    """Redact, chunk and tokenize one blob; nothing unredacted leaves this function."""
    text = redact(data.decode("utf-8", "replace"), path)
    parsed = chunk_file(lang, text)
    imports = imports_in(parsed.tree.root_node) if lang == "python" and parsed.tree is not None else None
    return ParsedBlob(parsed.chunks, [tokenize(f"{c.name} {c.text}") for c in parsed.chunks], imports, tokenize(text))


def parse_blobs(
    items: list[tuple[str, str, bytes]], advance: Callable[[int], None] | None = None
) -> Iterator[ParsedBlob]:
    """``parse_blob`` of each (lang, path, data), in order; on every core when there is enough text.

    Workers are spawned, not forked (a progress bar's thread may hold a lock at the moment of a fork), so a
    script calling this must guard its top level with ``if __name__ == "__main__"``, as multiprocessing
    asks. If the workers die all the same (an unguarded script, the memory killer), what is left is
    parsed here: slower, never wrong. Ctrl-C reaches this process only; queued batches are dropped.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    done = 0
    if cores > 1 and sum(len(data) for _, _, data in items) >= PARALLEL_BYTES:
        import multiprocessing  # a re-index never gets here: these imports are a tenth of its start
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool

        pool = ProcessPoolExecutor(cores, mp_context=multiprocessing.get_context("spawn"), initializer=_worker_start)
        try:
            with children_start_ignoring_interrupts():  # the workers start as the first batches are handed out
                batches = pool.map(_parse_batch, _batches(items))
            for batch in batches:
                yield from batch
                done += len(batch)
                if advance:
                    advance(len(batch))
        except BrokenProcessPool:
            pass
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    for item in items[done:]:
        yield parse_blob(*item)
        if advance:
            advance(1)


def _worker_start() -> None:
    """A worker ignores Ctrl-C: the parent stops the pool, so one interrupt is one message, not one per core.
    (Started in ``children_start_ignoring_interrupts``, it ignores it from its first instruction; this covers
    a worker the pool starts later, in place of one that died.)"""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _parse_batch(items: list[tuple[str, str, bytes]]) -> list[ParsedBlob]:
    return [parse_blob(*item) for item in items]


def _batches(items: list[tuple[str, str, bytes]]) -> Iterator[list[tuple[str, str, bytes]]]:
    batch: list[tuple[str, str, bytes]] = []
    size = 0
    for item in items:
        batch.append(item)
        size += len(item[2])
        if size >= BATCH_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch
