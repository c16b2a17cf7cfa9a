"""Secrets are found in text, redacted, and kept out of subprocess environments."""

from __future__ import annotations

from patchgate.secrets import REDACTED, default_scanner, redact, scrubbed_env

GH = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"


def test_known_token_format_is_found_with_its_line() -> None:
    hits = default_scanner().scan(f"x = 1\ntoken = '{GH}'\n")
    assert [(h.rule, h.line) for h in hits] == [("github-token", 2)]


def test_high_entropy_assignment_is_a_secret_but_placeholder_is_not() -> None:
    scanner = default_scanner()
    assert scanner.scan('api_key = "q8Zr2LmX0pVt7Yw4Ns9Kd3"')
    assert not scanner.scan('api_key = "your-api-key-placeholder"')
    assert not scanner.scan('name = "q8Zr2LmX0pVt7Yw4Ns9Kd3"')


def test_inline_marker_allows_a_line() -> None:
    assert not default_scanner().scan(f"TOKEN = '{GH}'  # patchgate: allow")


def test_redact_replaces_only_the_secret() -> None:
    text = f"Authorization failed for {GH} at step 2"
    assert redact(text) == f"Authorization failed for {REDACTED} at step 2"


def test_scrubbed_env_drops_credentials_keeps_path() -> None:
    env = scrubbed_env({"PATH": "/bin", "OPENAI_API_KEY": "sk-x", "GITHUB_TOKEN": "t", "HOME": "/h"})
    assert env == {"PATH": "/bin", "HOME": "/h"}
