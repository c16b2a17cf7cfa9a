"""Find and redact secrets with detect-secrets' plugins, configured by ``policies/security.yaml``.

One scanner serves the security gate (added lines), the index (secrets are
never stored), traces, run files and prompts (redacted before they are written
or sent). Detection is detect-secrets' own: its token-format plugins, its
keyword plugin (which reads ``name = value`` by file type, so an unquoted value
in an ini or .env file counts), its entropy plugins, and its heuristic and
gibberish filters, which are what keep ``password_field = "password_confirmation"``
from being called a secret. The policy adds only what that library does not
know yet: a few documented token prefixes, and a private key's body, which it
marks by its BEGIN line alone but which we must redact as a whole.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate
from pathlib import Path
from typing import Any

import yaml
from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
from detect_secrets.filters import gibberish, heuristic
from detect_secrets.plugins import keyword
from detect_secrets.plugins.base import BasePlugin, RegexBasedDetector
from detect_secrets.plugins.high_entropy_strings import HexHighEntropyString, HighEntropyStringsPlugin
from detect_secrets.plugins.keyword import KeywordDetector
from detect_secrets.plugins.private_key import PrivateKeyDetector
from detect_secrets.util.code_snippet import get_code_snippet
from detect_secrets.util.filetype import FileType, determine_file_type
from gibberish_detector import serializer
from gibberish_detector.detector import Detector
from gibberish_detector.model import Model
from pydantic import BaseModel, ConfigDict, Field

from core.errors import ConfigError
from core.paths import POLICY_DIR

REDACTED = "«redacted»"
# Text with no file name (issue text, a model's answer, a log) is read as a config file: there an
# unquoted `password: value` counts, which is how secrets appear in prose and logs.
UNNAMED = "text.ini"
PRIVATE_KEY = "private-key"
DIGEST_LENGTHS = (40, 64)  # sha1 (git) and sha256 hex digests
_PEM_END = re.compile(r"-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")
# What a test subprocess may see of our environment; everything else (tokens, database URLs, proxies,
# package-index credentials) stays out, whatever its name.
ENV_ALLOWED = ("PATH", "HOME", "LANG", "LANGUAGE", "TZ", "TERM", "USER", "LOGNAME", "SYSTEMROOT", "SSL_CERT_FILE",
               "SSL_CERT_DIR")
ENV_ALLOWED_PREFIXES = ("LC_",)


@dataclass(frozen=True)
class SecretHit:
    """A secret found in a text: which rule, where (1-based line, span within that line)."""

    rule: str
    description: str
    line: int
    start: int
    end: int


class Entropy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    base64: float = Field(default=4.5, ge=0, le=8, description="Bits per character a quoted base64 string must exceed.")
    hex: float = Field(default=3.0, ge=0, le=8, description="Bits per character a quoted hex string must exceed.")


class ExtraFormat(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(description="Rule id in findings (security.secret.<id>).")
    description: str
    regex: str = Field(description="The token's documented shape.")


class SecretsPolicy(BaseModel):
    """The ``secrets`` table of ``security.yaml``: which detect-secrets plugins run, and how strictly."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    plugins: list[str] = Field(description="detect-secrets plugin class names.")
    entropy: Entropy = Entropy()  # frozen: one shared default is safe
    gibberish_limit: float = Field(default=3.7, description="detect-secrets' gibberish threshold for keyword values.")
    extra_formats: list[ExtraFormat] = Field(default_factory=list, description="Token formats it lacks a plugin for.")
    allowlist: list[str] = Field(default_factory=list, description="Values matching these are never secrets.")
    inline_marker: str = Field(description="A line carrying this text is exempt (fixtures, docs).")


class SecretScanner:
    """detect-secrets' plugins and filters plus the policy's extra token formats and allow-list."""

    def __init__(self, policy: SecretsPolicy) -> None:
        plugins = _library_plugins(policy.plugins, policy.entropy) + _extra_plugins(policy.extra_formats)
        # Token formats first: their name for a secret is more useful than "high entropy string".
        plugins.sort(key=lambda p: (not isinstance(p, RegexBasedDetector), type(p).__name__))
        self._triggers = [(plugin, _triggers(plugin)) for plugin in plugins]
        self.allow = [re.compile(p) for p in policy.allowlist]
        self.marker = policy.inline_marker
        self._words = _gibberish_detector(policy.gibberish_limit)

    def scan(self, text: str, filename: str = "") -> list[SecretHit]:
        """Every secret in ``text`` (the file ``filename``, if known); lines with the allow marker are skipped."""
        lines = text.splitlines()
        return [hit for hit in self._hits(lines, filename) if self.marker not in lines[hit.line - 1]]

    def redact(self, text: str, filename: str = "") -> str:
        """``text`` with every secret replaced by a marker (allow-marked lines included).

        A private key is redacted from its BEGIN line through its END line (or to the end of the
        text), also when both sit on one line, as in a JSON-encoded trace event.
        """
        lines = text.splitlines(keepends=True)
        offsets = list(accumulate((len(line) for line in lines), initial=0))
        spans: list[tuple[int, int]] = []
        for hit in self._hits([line.rstrip("\r\n") for line in lines], filename):
            start = offsets[hit.line - 1] + hit.start
            if hit.rule == PRIVATE_KEY:
                end_marker = _PEM_END.search(text, start)
                spans.append((start, end_marker.end() if end_marker else len(text)))
            else:
                spans.append((start, offsets[hit.line - 1] + hit.end))
        for start, end in reversed(_merged(spans)):
            text = text[:start] + REDACTED + text[end:]
        return text

    def _hits(self, lines: list[str], filename: str) -> Iterator[SecretHit]:
        """Each secret once: where plugins overlap, the first (token formats come first) names it.

        Each plugin runs only on the lines its trigger finds in one pass over the whole text,
        so the common case (a file with no secret in it) costs a few regex scans, not
        every plugin on every line.
        """
        name = filename if filename and determine_file_type(filename) is not FileType.OTHER else UNNAMED
        text = "\n".join(lines)
        folded = text.lower()  # same length as text for the ASCII keywords matched in it
        starts = list(accumulate((len(line) + 1 for line in lines[:-1]), initial=0))
        candidates: dict[int, list[BasePlugin]] = {}
        for plugin, triggers in self._triggers:
            found = {bisect_right(starts, m.start()) - 1
                     for t, on_folded in triggers for m in t.finditer(folded if on_folded else text)}
            for index in found:
                candidates.setdefault(index, []).append(plugin)
        for index in sorted(candidates):
            line = lines[index]
            indirect = heuristic.is_indirect_reference(line)
            context = get_code_snippet(lines=lines, line_number=index + 1)
            taken: list[tuple[int, int]] = []
            for plugin in candidates[index]:
                if indirect and not isinstance(plugin, RegexBasedDetector):
                    continue  # `secret = get_secret()`: a name, not a value
                for start, end in self._spans(plugin, name, line, index + 1, context):
                    if not any(s < end and start < e for s, e in taken):
                        taken.append((start, end))
                        yield SecretHit(_rule_id(plugin), plugin.secret_type, index + 1, start, end)

    def _spans(self, plugin: BasePlugin, name: str, line: str, lineno: int, context: Any) -> Iterator[tuple[int, int]]:
        """Where ``plugin`` finds a secret in ``line``: a token format's whole match, else the value."""
        found = plugin.analyze_line(filename=name, line=line, line_number=lineno, context=context)
        if not found:
            return
        if isinstance(plugin, RegexBasedDetector):
            for pattern in plugin.denylist:
                for m in pattern.finditer(line):
                    if not any(p.search(m.group(0)) for p in self.allow):
                        yield m.start(), m.end()
            return
        for secret in found:
            value = secret.secret_value
            if value and self._counts(value, line, plugin):
                for start in _occurrences(line, value):
                    yield start, start + len(value)

    def _counts(self, value: str, line: str, plugin: BasePlugin) -> bool:
        """detect-secrets' heuristic filters, its gibberish filter on keyword values, then our allow-list."""
        if any(p.search(value) for p in self.allow):
            return False
        if heuristic.is_sequential_string(value) or heuristic.is_potential_uuid(value) \
                or heuristic.is_templated_secret(value) or heuristic.is_prefixed_with_dollar_sign(value) \
                or heuristic.is_not_alphanumeric_string(value) or heuristic.is_likely_id_string(value, line, plugin):
            return False
        if isinstance(plugin, KeywordDetector):
            return self._words.is_gibberish(value.lower())
        # A lowercase 40/64-hex value is a git object id or a sha256 (commits in traces, pins in lockfiles).
        return not (isinstance(plugin, HexHighEntropyString) and len(value) in DIGEST_LENGTHS and value.islower())


def _triggers(plugin: BasePlugin) -> list[tuple[re.Pattern[str], bool]]:
    """What a line must hold for ``plugin`` to find anything in it (and whether to look in lower case)."""
    if isinstance(plugin, RegexBasedDetector):
        return [(pattern, False) for pattern in plugin.denylist]
    if isinstance(plugin, KeywordDetector):  # its own keywords; ten times faster on folded text than with re.I
        return [(re.compile("|".join(keyword.DENYLIST)), True)]
    if isinstance(plugin, HighEntropyStringsPlugin):
        # A string of n characters has at most log2(n) bits per character: shorter ones cannot pass.
        shortest = math.ceil(2 ** plugin.entropy_limit)
        return [(re.compile(rf"(['\"])[{re.escape(plugin.charset)}]{{{shortest},}}\1"), False)]
    raise TypeError(f"no trigger known for {type(plugin).__name__}")


def _library_plugins(names: list[str], entropy: Entropy) -> list[BasePlugin]:
    """The detect-secrets plugins the policy names, by class name; a name it lacks is a policy error."""
    classes: list[Any] = list(get_mapping_from_secret_type_to_class().values())
    known: dict[str, Any] = {c.__name__: c for c in classes}
    if missing := sorted(set(names) - set(known)):
        raise ConfigError(f"security policy names unknown detect-secrets plugins: {', '.join(missing)}")
    limits = {"Base64HighEntropyString": entropy.base64, "HexHighEntropyString": entropy.hex}
    return [known[name](limit=limits[name]) if name in limits else known[name]() for name in names]


def _extra_plugins(formats: Iterable[ExtraFormat]) -> list[BasePlugin]:
    """Token formats detect-secrets does not know yet, as plugins of its own regex kind."""
    return [type(f.id, (RegexBasedDetector,), {"secret_type": f.description, "rule_id": f.id,
                                               "denylist": [re.compile(f.regex)]})()
            for f in formats]


def _rule_id(plugin: BasePlugin) -> str:
    if isinstance(plugin, PrivateKeyDetector):
        return PRIVATE_KEY
    if rule_id := getattr(plugin, "rule_id", None):
        return str(rule_id)
    return re.sub(r"[^a-z0-9]+", "-", plugin.secret_type.lower()).strip("-")


def _occurrences(line: str, value: str) -> Iterator[int]:
    start = line.find(value)
    while start >= 0:
        yield start
        start = line.find(value, start + len(value))


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


@lru_cache(maxsize=4)
def _gibberish_detector(limit: float) -> Detector:
    """detect-secrets' own letter model (``rfc.model``), loaded as its gibberish filter loads it."""
    model = Model(charset="")
    path = Path(gibberish.__file__).with_name("rfc.model")
    model.update(serializer.deserialize(path.read_text(encoding="utf-8")))
    return Detector(model=model, threshold=limit)


@lru_cache(maxsize=1)
def default_scanner() -> SecretScanner:
    """The scanner built from the shipped policy (cached: the rules never change at run time)."""
    shipped = yaml.safe_load((POLICY_DIR / "security.yaml").read_text(encoding="utf-8"))
    return SecretScanner(SecretsPolicy.model_validate(shipped["secrets"]))


def redact(text: str, filename: str = "") -> str:
    """Redact ``text`` with the shipped rules; the one call logs, traces, prompts and the index need."""
    return default_scanner().redact(text, filename)


def allowed_env(environ: Mapping[str, str], extra: Iterable[str] = ()) -> dict[str, str]:
    """The part of ``environ`` a test subprocess may see: an allow-list, plus the names in ``extra``.

    A deny-list by name always misses one (``GH_PAT``, ``DATABASE_URL``, ``PIP_INDEX_URL``,
    ``HTTPS_PROXY``, ``SENTRY_DSN``); the project names what its tests need in
    ``[tool.patchgate.tests] pass_env``. HOME passes: the sandbox keeps it read-only.
    """
    names = set(ENV_ALLOWED) | set(extra)
    return {k: v for k, v in environ.items() if k in names or k.startswith(ENV_ALLOWED_PREFIXES)}
