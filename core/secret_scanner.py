"""The secret scanner: detect-secrets' plugins and filters, configured by ``policies/security.yaml``.

Kept apart from ``core.secrets`` (the policy, ``redact`` and the environment allow-list) so that
importing those does not import detect-secrets: only building a scanner does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from itertools import accumulate
from pathlib import Path
from typing import Any

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

from core.errors import ConfigError
from core.secret_lines import FilterSpec, Prefilter, Trigger, lines_of, required_literals
from core.secrets import REDACTED, Entropy, ExtraFormat, SecretHit, SecretsPolicy

# Text with no file name (issue text, a model's answer, a log) is read as a config file: there an
# unquoted `password: value` counts, which is how secrets appear in prose and logs.
UNNAMED = "text.ini"
PRIVATE_KEY = "private-key"
DIGEST_LENGTHS = (40, 64)  # sha1 (git) and sha256 hex digests
TYPED_LONGEST = 19  # a password people make up and type: generated keys are 20 characters or more
_PEM_END = re.compile(r"-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")
# A template stands where a value will be put (f-string, shell, Jinja, %-format): no token format holds one.
_TEMPLATE = re.compile(r"\{[^{}]*\}|\$[A-Za-z_(]|%\([A-Za-z_]+\)")
# Six or more consecutive characters of a sequence (123456, abcdef), as people type sample values: bandit's example of
# a model revision read from a dict, `"abc1234567"`, was a "Hex High Entropy String added" and blocked its commit.
_TYPED_RUN = re.compile(
    "|".join(
        seq[i : i + 6]
        for seq in ("0123456789", "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        for i in range(len(seq) - 5)
    )
)


class SecretScanner:
    """detect-secrets' plugins and filters plus the policy's extra token formats and allow-list."""

    def __init__(self, policy: SecretsPolicy) -> None:
        plugins = _library_plugins(policy.plugins, policy.entropy) + _extra_plugins(policy.extra_formats)
        # Token formats first, then a secret's name (`password = ...`): what they call a secret says more than "high
        # entropy string", and a value the entropy plugins name is then one nothing else found (tools.security).
        plugins.sort(key=lambda p: (_rank(p), type(p).__name__))
        self._plugins = plugins
        self._keyword = next((p for p in plugins if isinstance(p, KeywordDetector)), None)
        self.specs = [filter_spec(p) for p in plugins]
        self._prefilter = Prefilter(self.specs)
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
        hits = list(self._hits(lines_of(text), filename))
        if not hits:
            return text
        offsets = list(accumulate(map(len, lines), initial=0))
        spans: list[tuple[int, int]] = []
        for hit in hits:
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

        Each plugin reads only the lines its prefilter passes (``core.secret_lines``), so the
        common case (a file with no secret in it) costs a few literal searches, not every plugin's
        regex over every line.
        """
        name = filename if filename and determine_file_type(filename) is not FileType.OTHER else UNNAMED
        candidates = self._prefilter.candidates(lines)
        for index in sorted(candidates):
            line = lines[index]
            indirect = heuristic.is_indirect_reference(line)
            context = get_code_snippet(lines=lines, line_number=index + 1)
            taken: list[tuple[int, int]] = []
            for plugin in (self._plugins[n] for n in candidates[index]):
                for start, end in self._spans(plugin, name, line, index + 1, context, indirect):
                    if not any(s < end and start < e for s, e in taken):
                        taken.append((start, end))
                        said = self._named_by_keyword(plugin, name, line, index + 1, context)
                        worded = said is plugin is self._keyword and self._typed(line[start:end])
                        yield SecretHit(_rule_id(said), said.secret_type, index + 1, start, end, worded)

    def _named_by_keyword(self, plugin: BasePlugin, name: str, line: str, lineno: int, context: Any) -> BasePlugin:
        """The keyword plugin for a random value on a line that gives it a secret's name (``API_KEY = "9f86..."``,
        which its own filter let pass as no password-shaped word), else ``plugin``: a value that only looks random, with
        no name, is the entropy plugins' alone (``tools.security`` weighs those apart)."""
        keyword = self._keyword
        if keyword is None or not isinstance(plugin, HighEntropyStringsPlugin):
            return plugin
        return (
            keyword if keyword.analyze_line(filename=name, line=line, line_number=lineno, context=context) else plugin
        )

    def _spans(
        self, plugin: BasePlugin, name: str, line: str, lineno: int, context: Any, indirect: bool
    ) -> Iterator[tuple[int, int]]:
        """Where ``plugin`` finds a secret in ``line``: a token format's whole match, else the value.

        On a line that assigns a call's result (``secret = get_secret()``, detect-secrets' indirect reference)
        a value counts only when it is quoted: ``connect(host="db", password="hunter2-Prod-9x")`` holds one,
        ``password = vault.read(name)`` names one.
        """
        if indirect and not isinstance(plugin, RegexBasedDetector) and '"' not in line and "'" not in line:
            return  # `secret = get_secret()`: a name, not a value, and no quoted one beside it
        found = plugin.analyze_line(filename=name, line=line, line_number=lineno, context=context)
        if not found:
            return
        if isinstance(plugin, RegexBasedDetector):
            for pattern in plugin.denylist:
                for m in pattern.finditer(line):
                    if not _TEMPLATE.search(m.group(0)) and not any(p.search(m.group(0)) for p in self.allow):
                        yield m.start(), m.end()
            return
        for secret in found:
            value = secret.secret_value
            if indirect and not any(f"{q}{value}{q}" in line for q in "\"'"):
                continue
            if value and self._counts(value, line, plugin):
                for start in _occurrences(line, value):
                    yield start, start + len(value)

    def _counts(self, value: str, line: str, plugin: BasePlugin) -> bool:
        """detect-secrets' heuristic filters, its gibberish filter on keyword values, then our allow-list."""
        if any(p.search(value) for p in self.allow):
            return False
        if (
            heuristic.is_sequential_string(value)
            or heuristic.is_potential_uuid(value)
            or heuristic.is_templated_secret(value)
            or heuristic.is_prefixed_with_dollar_sign(value)
            or heuristic.is_not_alphanumeric_string(value)
            or heuristic.is_likely_id_string(value, line, plugin)
        ):
            return False
        if isinstance(plugin, KeywordDetector):  # a value under a secret's name: gibberish, or built like a password
            return password_shaped(value) or self._gibberish(value)
        if _TYPED_RUN.search(value):  # `abc1234567`: a person typed it; 1 in ~10^5 random 32-hex values holds a run
            return False
        # A lowercase 40/64-hex value is a git object id or a sha256 (commits in traces, pins in lockfiles).
        return not (isinstance(plugin, HexHighEntropyString) and len(value) in DIGEST_LENGTHS and value.islower())

    def _gibberish(self, value: str) -> bool:
        """Whether detect-secrets' letter model reads ``value`` as no words (a generated key), not a person's."""
        return bool(self._words.is_gibberish(value.lower()))

    def _typed(self, value: str) -> bool:
        """A value a person typed: words (``testing123!``, ``Summer2024!``) and no longer than people type
        passwords. The corpus's made-up passwords are 9-18 characters and score 1.9-3.4 on the letter model;
        AWS's documented example key scores 3.66, under the 3.7 limit, and is 40 characters, as generated keys
        are 20 or more."""
        return len(value) <= TYPED_LONGEST and not self._gibberish(value)


def password_shaped(value: str) -> bool:
    """Built the way password rules make people build them: 8+ characters without spaces, letters and digits,
    and three of lower case, upper case, digits and symbols (``hunter2-Prod-9x``). A word value under a
    secret's name (``password_confirmation``, ``your-secret-key-here``, ``password123``) is not."""
    if len(value) < 8 or any(c.isspace() for c in value):
        return False
    classes = [
        any(c.islower() for c in value),
        any(c.isupper() for c in value),
        any(c.isdigit() for c in value),
        any(not c.isalnum() for c in value),
    ]
    return classes[2] and (classes[0] or classes[1]) and sum(classes) >= 3


def filter_spec(plugin: BasePlugin) -> FilterSpec:
    """What ``plugin`` needs of a line, as data: its own regexes, the keywords they require, its entropy limit.

    An entropy plugin, or a plugin one of whose regexes requires no keyword, gets none: its triggers then
    search the whole text.
    """
    if isinstance(plugin, HighEntropyStringsPlugin):
        return FilterSpec.entropic(plugin.charset, plugin.entropy_limit)
    if isinstance(plugin, RegexBasedDetector):
        patterns, folded = list(plugin.denylist), False
    elif isinstance(plugin, KeywordDetector):  # its own keywords; ten times faster on folded text than with re.I
        patterns, folded = [re.compile("|".join(keyword.DENYLIST))], True
    else:
        raise TypeError(f"no trigger known for {type(plugin).__name__}")
    # each trigger reads lower-cased text when the plugin says so or the pattern ignores case
    triggers = tuple(
        Trigger(pattern=t.pattern, flags=t.flags, folded=folded or bool(t.flags & re.IGNORECASE)) for t in patterns
    )
    literals = [required_literals(t) for t in patterns]
    if not all(literals):
        return FilterSpec(triggers=triggers, keywords=None)
    words = {
        (k.lower() if t.folded else k, t.folded)
        for t, found in zip(triggers, literals, strict=True)
        for k in found or ()
    }
    return FilterSpec(triggers=triggers, keywords=tuple(sorted(words)))


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
    return [
        type(
            f.id,
            (RegexBasedDetector,),
            {"secret_type": f.description, "rule_id": f.id, "denylist": [re.compile(f.regex)]},
        )()
        for f in formats
    ]


def _rank(plugin: BasePlugin) -> int:
    return 0 if isinstance(plugin, RegexBasedDetector) else 1 if isinstance(plugin, KeywordDetector) else 2


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
