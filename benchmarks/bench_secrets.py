"""Secret detection: precision and recall on the test corpus, and redaction speed on real source.

    nice .venv/bin/python benchmarks/bench_secrets.py [CHECKOUT]

The corpus is tests/core/data/secrets_corpus.txt (realistic secrets, ordinary look-alike lines), scanned
with its file names and without (issue text, model answers and logs have none). Speed: redact() over
every text file git tracks in CHECKOUT (default: this repository), the index's per-file cost, as a median
of three passes.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.secrets import default_scanner  # noqa: E402
from tests.core.secret_corpus import load_corpus  # noqa: E402  (a test helper, by path)
from tools.policy import Policies, matches  # noqa: E402


def corpus_scores() -> None:
    scanner = default_scanner()
    samples = load_corpus()
    for label, named in (("with file names", True), ("without file names", False)):
        found = {s.path for s in samples if scanner.scan(s.text, s.path if named else "")}
        secrets = {s.path for s in samples if s.secret}
        tp, fp = len(found & secrets), len(found - secrets)
        print(
            f"corpus {label}: {len(secrets)} secrets, {len(samples) - len(secrets)} ordinary; "
            f"precision {tp / max(1, tp + fp):.2f}, recall {tp / len(secrets):.2f}; "
            f"missed: {sorted(secrets - found) or 'none'}; false alarms: {sorted(found - secrets) or 'none'}"
        )
    tests = Policies().default.scope.tests.paths  # the security gate's own test files
    worded = sorted(s.path for s in samples if s.secret and any(h.worded for h in scanner.scan(s.text, s.path)))
    print(
        f"secrets that are passwords of words (warnings in a test file of a person's own commit): {len(worded)}, "
        f"in test files: {[p for p in worded if matches(p, tests)] or 'none'}; all: {worded or 'none'}"
    )


def redaction_speed(checkout: Path) -> None:
    names = subprocess.run(["git", "ls-files", "-z"], cwd=checkout, capture_output=True, check=True).stdout
    texts = []
    for name in filter(None, names.decode("utf-8", "replace").split("\0")):
        try:
            texts.append((name, (checkout / name).read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError):
            continue
    size = sum(len(t) for _, t in texts) / 1e6
    scanner = default_scanner()
    times = []
    for _ in range(3):
        start = time.perf_counter()
        for name, text in texts:
            scanner.redact(text, name)
        times.append(time.perf_counter() - start)
    best = statistics.median(times)
    print(f"redact: {len(texts)} files, {size:.2f} MB in {best:.2f} s (median of 3) = {size / best:.2f} MB/s")


if __name__ == "__main__":
    corpus_scores()
    redaction_speed(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT)
