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

import hashlib
from collections.abc import Callable, Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from core.atomic import atomic_write_bytes
from core.paths import POLICY_DIR
from core.secret_lines import FilterSpec, Prefilter, lines_of

if TYPE_CHECKING:
    from core.secret_scanner import SecretScanner

REDACTED = "«redacted»"
# The rules of detect-secrets' entropy plugins: a value that only looks random, with no token format and no secret's
# name beside it (the scanner ranks those plugins first, so where one of them finds a value, it names it).
ENTROPY_RULES = frozenset({"hex-high-entropy-string", "base64-high-entropy-string"})
# What a test subprocess may see of our environment; everything else (tokens, database URLs, proxies,
# package-index credentials) stays out, whatever its name.
ENV_ALLOWED = (
    "PATH",
    "HOME",
    "LANG",
    "LANGUAGE",
    "TZ",
    "TERM",
    "USER",
    "LOGNAME",
    "SYSTEMROOT",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
)
ENV_ALLOWED_PREFIXES = ("LC_",)


@dataclass(frozen=True)
class SecretHit:
    """A secret found in a text: which rule, where (1-based line, span within that line).

    ``worded``: a value under a secret's name that detect-secrets' letter model reads as words, counted only
    because it is built like a password (``"testing123!"``): a person made it up, as a test makes up its user's
    password, where a generated key reads as gibberish (``tools.security`` weighs the two apart in tests)."""

    rule: str
    description: str
    line: int
    start: int
    end: int
    worded: bool = False


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


@lru_cache(maxsize=1)
def default_scanner() -> SecretScanner:
    """The scanner built from the shipped policy (cached: the rules never change at run time)."""
    import yaml  # only a scanner's build reads the policy: the prefilter's cached specs are named for it

    from core.secret_scanner import SecretScanner

    shipped = yaml.safe_load((POLICY_DIR / "security.yaml").read_text(encoding="utf-8"))
    return SecretScanner(SecretsPolicy.model_validate(shipped["secrets"]))


def redact(text: str, filename: str = "") -> str:
    """Redact ``text`` with the shipped rules; the one call logs, traces, prompts and the index need.

    A text in which no line passes the plugins' prefilters is returned as it is, without building the
    scanner (detect-secrets' import and its plugins' regexes): the scanner would read no line of it.
    """
    if not shipped_prefilter().candidates(lines_of(text)):
        return text
    return default_scanner().redact(text, filename)


_SPECS = TypeAdapter(list[FilterSpec])


@lru_cache(maxsize=1)
def shipped_prefilter() -> Prefilter:
    """The shipped scanner's prefilter (named by the policy file's bytes: reading it needs no YAML)."""
    return _cached_prefilter((POLICY_DIR / "security.yaml").read_bytes(), lambda: default_scanner().specs)


def secret_hits(policy: str, text: str, filename: str = "") -> list[SecretHit]:
    """The secrets in ``text`` under ``SecretsPolicy`` JSON ``policy`` (the security gate's: the base commit's
    rules; JSON because it keys the caches). A text with no line the policy's prefilter passes needs no
    scanner: detect-secrets' import and its plugins' regexes are about 0.2 s of a hook."""
    if not _policy_prefilter(policy).candidates(lines_of(text)):
        return []
    return _policy_scanner(policy).scan(text, filename)


@lru_cache(maxsize=8)
def _policy_scanner(policy: str) -> SecretScanner:
    """The scanner of ``policy``, built once per process (a long-lived server reviews many candidates)."""
    from core.secret_scanner import SecretScanner

    return SecretScanner(SecretsPolicy.model_validate_json(policy))


@lru_cache(maxsize=8)
def _policy_prefilter(policy: str) -> Prefilter:
    """The prefilter of ``policy``'s scanner, from the cache folder when an earlier process derived it."""
    return _cached_prefilter(policy.encode(), lambda: _policy_scanner(policy).specs)


def _cached_prefilter(source: bytes, build: Callable[[], list[FilterSpec]]) -> Prefilter:
    """A prefilter read from the cache folder where an earlier process left its specs.

    The specs are derived from detect-secrets' plugins (``core.secret_scanner.filter_spec``), so the file is
    named for what they depend on: the policy (``source``), the library's version and the two modules that
    derive and read them. A missing or unreadable file means building the scanner once and writing it again.
    """
    from core.settings import cache_root

    here = Path(__file__).parent
    key = hashlib.sha256(
        b"\0".join(
            [
                source,
                metadata.version("detect-secrets").encode(),
                (here / "secret_lines.py").read_bytes(),
                (here / "secret_scanner.py").read_bytes(),
            ]
        )
    ).hexdigest()[:16]
    path = cache_root() / "secret-prefilter" / f"{key}.json"
    try:
        return Prefilter(_SPECS.validate_json(path.read_bytes()))
    except (OSError, ValidationError):
        pass
    specs = build()
    with suppress(OSError):  # a cache that cannot be written only costs the next process the scanner's build
        atomic_write_bytes(path, _SPECS.dump_json(specs))
    return Prefilter(specs)


def allowed_env(environ: Mapping[str, str], extra: Iterable[str] = ()) -> dict[str, str]:
    """The part of ``environ`` a test subprocess may see: an allow-list, plus the names in ``extra``.

    A deny-list by name always misses one (``GH_PAT``, ``DATABASE_URL``, ``PIP_INDEX_URL``,
    ``HTTPS_PROXY``, ``SENTRY_DSN``); the project names what its tests need in
    ``[tool.patchgate.tests] pass_env``. HOME passes: the sandbox keeps it read-only.
    """
    names = set(ENV_ALLOWED) | set(extra)
    return {k: v for k, v in environ.items() if k in names or k.startswith(ENV_ALLOWED_PREFIXES)}


def __getattr__(name: str) -> Any:
    """``SecretScanner`` on first use: detect-secrets (and the requests it imports) load only when a scanner
    is built, not with every command that imports this module for ``redact`` (0.4 s of a cold ``context``)."""
    if name == "SecretScanner":
        from core.secret_scanner import SecretScanner

        return SecretScanner
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
