"""Reads ``data/secrets_corpus.txt``: realistic secrets and ordinary look-alike lines, by file.

Shared by the corpus test and ``benchmarks/bench_secrets.py``, which prints precision and recall.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

CORPUS = Path(__file__).parent / "data" / "secrets_corpus.txt"
MARKER = "  # patchgate: allow"
SECRET_LINE = " [secret]"


@dataclass(frozen=True)
class Sample:
    """One file's worth of text; ``secret_lines`` are the lines that hold the secret."""

    secret: bool
    path: str
    text: str
    secret_lines: tuple[str, ...]


def load_corpus(path: Path = CORPUS) -> list[Sample]:
    """Every sample, the allow marker cut off each line."""
    samples: list[tuple[bool, str, list[str], list[str]]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("### "):
            _, kind, name = line.split(" ", 2)
            samples.append((kind == "secret", name, [], []))
            continue
        body, _, tag = line.partition(MARKER)
        samples[-1][2].append(body)
        if tag == SECRET_LINE:
            samples[-1][3].append(body)
    return [Sample(secret, name, "\n".join(lines), tuple(marked)) for secret, name, lines, marked in samples]
