"""The prefilter that decides which lines detect-secrets' plugins read never hides a secret from them.

Its keywords are read from the plugins' own regexes; these tests check that every match of every shipped
plugin's regex holds one of them, and that secrets buried in a large file, where only the prefilter
decides what gets read, are still found where they are.
"""

from __future__ import annotations

import re

import pytest

from core.secret_lines import required_literals
from core.secrets import REDACTED, default_scanner
from tests.core.secret_corpus import load_corpus

FILLER = "\n".join(f"    value_{i} = compute(x[{i}:], key={i!r})  # line {i}" for i in range(3000))
# Planted fixtures, one per keyword-filtered plugin whose regex starts with a character class.
BURIED = {
    "artifactory-token": "AKCp8jQ2mXvN4bR7tY1wZ9",  # patchgate: allow
    "mailchimp-access-key": "0f1e2d3c4b5a69788796a5b4c3d2e1f0-us12",  # patchgate: allow
    "telegram-bot-token": "110201543:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq",  # patchgate: allow
    "aws-access-key": "AKIAZ7QWERTYUIOPASDF",  # patchgate: allow
}


def _plugins_patterns() -> list[re.Pattern[str]]:
    return [t for f in default_scanner()._prefilter.filters for t, _ in f.triggers]


@pytest.mark.parametrize("pattern", _plugins_patterns(), ids=lambda p: p.pattern[:40])
def test_every_match_of_a_plugin_regex_holds_one_of_its_keywords(pattern: re.Pattern[str]) -> None:
    literals = required_literals(pattern)
    if literals is None:
        return  # this plugin's regex scans the whole text: nothing to check
    texts = [s.text for s in load_corpus()] + list(BURIED.values())
    fold = bool(pattern.flags & re.IGNORECASE)
    for text in texts:
        for m in pattern.finditer(text):
            matched = m.group(0).lower() if fold else m.group(0)
            assert any(k in matched for k in literals), (pattern.pattern, m.group(0))


def test_keywords_read_from_a_regex() -> None:
    assert required_literals(re.compile(r"(ghp|gho)_[A-Za-z0-9_]{36}")) == {"ghp_", "gho_"}
    assert required_literals(re.compile(r"\d{8,10}:[0-9A-Za-z_-]{35}")) == {f"{d}:" for d in range(10)}
    assert required_literals(re.compile(r"xox(?:a|b)-\w+", re.IGNORECASE)) == {"xoxa-", "xoxb-"}
    assert required_literals(re.compile(r"(?:\s|^)AKC[a-z]{10,}")) == {"AKC"}
    assert required_literals(re.compile(r"[MNO][a-z\d_-]{23}\.[a-z]{6}")) is None  # "." alone selects nothing
    assert required_literals(re.compile(r"(?:foo)?bar|baz")) == {"bar", "baz"}


@pytest.mark.parametrize("rule", sorted(BURIED))
def test_a_secret_buried_in_a_large_file_is_found_on_its_line(rule: str) -> None:
    secret = BURIED[rule]
    lines = FILLER.splitlines()
    lines[1234] = secret  # at the start of a line: no quote, space or = before it
    text = "\n".join(lines)
    hits = default_scanner().scan(text, "module.py")
    assert [h.line for h in hits] == [1235]
    assert secret not in default_scanner().redact(text, "module.py")
    assert REDACTED in default_scanner().redact(text, "module.py")


def test_a_high_entropy_string_after_a_short_quoted_one_is_found() -> None:
    # the quoted-string scan pairs quotes differently from the plugin's own regex here
    line = "x = 'ab' + 'q8Zr2LmX0pVt7Yw4Ns9Kd3Hj6Fg1Ue5' + 'cd'"  # patchgate: allow
    text = f"{FILLER}\n{line}\n{FILLER}"
    assert [h.line for h in default_scanner().scan(text)] == [3001]
