"""Find and redact secrets, with the rules in ``policies/security.yaml``.

One scanner serves four places: the security gate (added lines), the index
(secrets are never stored), traces and logs (redacted), and test subprocesses
(their environment is scrubbed of credentials).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from patchgate.paths import POLICY_DIR

REDACTED = "«redacted»"
# The shipped policy packs: data beside the code, installed as the `policies` folder.
_SECRET_ENV = re.compile(r"(?i)(KEY|TOKEN|SECRET|PASSW|CREDENTIAL|AUTH|COOKIE|SESSION)")
_ASSIGN_VALUE = r"""['"]([^'"\s]{%d,})['"]"""


@dataclass(frozen=True)
class SecretHit:
    """A secret found in a text: which rule, where, and the matched span."""

    rule: str
    description: str
    line: int
    start: int
    end: int


class SecretScanner:
    """Regex rules for known token formats plus an entropy check on secret-named assignments."""

    def __init__(self, config: dict) -> None:
        secrets = config["secrets"]
        self.rules = [(r["id"], r["description"], re.compile(r["regex"])) for r in secrets["rules"]]
        assign = secrets["assignment"]
        self.assign = re.compile(
            assign["name_regex"] + r"""\w*\s*[:=]\s*""" + _ASSIGN_VALUE % assign["min_length"]
        )
        self.min_entropy = float(assign["min_entropy"])
        self.allow = [re.compile(p) for p in secrets.get("allowlist", [])]
        self.marker = secrets.get("inline_marker", "patchgate: allow")
        self._prefilter = [p for _, _, p in self.rules] + [self.assign]

    def scan(self, text: str) -> list[SecretHit]:
        """Every secret in ``text``; lines carrying the inline allow marker are skipped."""
        hits: list[SecretHit] = []
        if not self._may_hold_secret(text):  # the common case: one pass per rule over the whole text
            return hits
        for lineno, line in enumerate(text.splitlines(), start=1):
            if self.marker in line:
                continue
            hits.extend(self._scan_line(line, lineno))
        return hits

    def redact(self, text: str) -> str:
        """``text`` with every secret span replaced by a marker (marker lines included)."""
        if not self._may_hold_secret(text):
            return text
        spans: list[tuple[int, int]] = []
        offset = 0
        for lineno, line in enumerate(text.splitlines(keepends=True), start=1):
            spans.extend((offset + h.start, offset + h.end) for h in self._scan_line(line, lineno))
            offset += len(line)
        for start, end in sorted(spans, reverse=True):
            text = text[:start] + REDACTED + text[end:]
        return text

    def _scan_line(self, line: str, lineno: int) -> list[SecretHit]:
        hits = []
        for rule_id, description, pattern in self.rules:
            for m in pattern.finditer(line):
                if not self._allowed(m.group(0)):
                    hits.append(SecretHit(rule_id, description, lineno, m.start(), m.end()))
        for m in self.assign.finditer(line):
            value = m.group(1)
            if entropy(value) >= self.min_entropy and not self._allowed(value):
                if not any(h.start <= m.start(1) < h.end for h in hits):
                    hits.append(SecretHit("generic-secret", "high-entropy secret assigned to a secret-named variable",
                                          lineno, m.start(1), m.end(1)))
        return hits

    def _may_hold_secret(self, text: str) -> bool:
        return any(p.search(text) for p in self._prefilter)

    def _allowed(self, value: str) -> bool:
        return any(p.search(value) for p in self.allow)


def entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    counts = Counter(value)
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def load_policy(path: Path | None = None) -> dict:
    """The security policy: ``path`` if given, else the one shipped in ``policies/``."""
    if path is not None:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    return yaml.safe_load((POLICY_DIR / "security.yaml").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def default_scanner() -> SecretScanner:
    """The scanner built from the shipped policy (cached: the rules never change at run time)."""
    return SecretScanner(load_policy())


def redact(text: str) -> str:
    """Redact ``text`` with the shipped rules; the one call logs and traces need."""
    return default_scanner().redact(text)


def scrubbed_env(environ: dict[str, str]) -> dict[str, str]:
    """A copy of ``environ`` without credentials, for subprocesses we start (tests, tools)."""
    return {k: v for k, v in environ.items() if not _SECRET_ENV.search(k)}
