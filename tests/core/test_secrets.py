"""Secrets are found in text, redacted, and kept out of subprocess environments."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from core.secrets import REDACTED, allowed_env, default_scanner, redact

ROOT = Path(__file__).resolve().parents[2]
GH = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"


def test_known_token_format_is_found_with_its_line() -> None:
    hits = default_scanner().scan(f"x = 1\ntoken = '{GH}'\n")
    assert [(h.rule, h.line) for h in hits] == [("github-token", 2)]


def test_high_entropy_assignment_is_a_secret_but_placeholder_is_not() -> None:
    scanner = default_scanner()
    assert scanner.scan('api_key = "q8Zr2LmX0pVt7Yw4Ns9Kd3"')
    assert not scanner.scan('api_key = "your-api-key-placeholder"')
    assert not scanner.scan('name = "q8Zr2LmX0pVt7Yw4Ns9Kd3"')


def test_a_url_password_counts_unless_its_host_is_reserved_for_documentation() -> None:
    """RFC 2606 / 6761 names (example.com/.net/.org, .example, .test, .invalid) answer no server; a host that
    only starts like one, or a user info whose last `@` comes later, is another host."""
    reserved = [
        "http://:pass@example.com",  # patchgate: allow
        "https://user:hunter2@API.Example.ORG:8443/v1?x=1",  # patchgate: allow
        "ftp://u:p@files.test/",  # patchgate: allow
        "redis://:pw@cache.invalid:6379",  # patchgate: allow
        "<amqp://guest:Gu3st-pw@broker.example>",  # patchgate: allow
    ]
    real = [
        "https://deploy:Qm7vT2xRkPz@example.com.attacker.io/",  # patchgate: allow
        "https://deploy:Qm7vT2xRkPz@example.community/",  # patchgate: allow
        "https://deploy:Qm7vT2xRkPz@example.com@attacker.io/",  # patchgate: allow
        "postgresql://app:Qm7vT2xRkPz@example.com:5432,db.prod:5432/app",  # patchgate: allow
        "https://deploy:Qm7vT2xRkPz@test/",  # patchgate: allow
        "https://deploy:Qm7vT2xRkPz@localhost:8080/",  # patchgate: allow
        "https://deploy:Qm7vT2xRkPz@notexample.com/",  # patchgate: allow
    ]
    scanner = default_scanner()
    assert [u for u in reserved if scanner.scan(f'URL = "{u}"\n')] == []
    assert [u for u in real if [h.rule for h in scanner.scan(f'URL = "{u}"\n')] != ["url-password"]] == []


def test_a_url_password_that_is_the_word_for_one_is_a_placeholder() -> None:
    """wtforms' URL validator tests list ``http://username:password@foobar.dk``: the field's name, not a value."""
    placeholders = [
        "http://username:password@foobar.dk",
        "ftp://user:PASS@files.corp.net/",
        "redis://:secret@cache.internal:6379",
        "amqp://guest:passwd@broker/",
    ]
    real = [
        "http://username:password1@foobar.dk",  # patchgate: allow
        "ftp://user:Password!@files.corp.net/",  # patchgate: allow
        "redis://:secrets@cache.internal:6379",  # patchgate: allow
        "https://password:Qm7vT2xRkPz@api.corp.net/",  # patchgate: allow
    ]
    scanner = default_scanner()
    assert [u for u in placeholders if scanner.scan(f'URL = "{u}"\n')] == []
    assert [u for u in real if [h.rule for h in scanner.scan(f'URL = "{u}"\n')] != ["url-password"]] == []


def test_a_value_holding_a_typed_run_is_a_sample_and_a_random_one_of_its_shape_counts() -> None:
    """bandit's example of a model revision read from a dict, ``"abc1234567"``, was a "Hex High Entropy String added"
    and blocked the commit: six consecutive characters of a sequence are typed, not generated."""
    scanner = default_scanner()
    assert not scanner.scan('config = {"revision": "abc1234567"}\n')
    assert not scanner.scan('token = "9f86d081884c7d659a2feaa0c55ad015123456"\n')
    assert [h.rule for h in scanner.scan('config = {"revision": "a9c1e3f7b2"}\n')] == ["hex-high-entropy-string"]
    assert [h.rule for h in scanner.scan('token = "9f86d081884c7d659a2feaa0c55ad015"\n')] == ["hex-high-entropy-string"]


def test_inline_marker_allows_a_line() -> None:
    assert not default_scanner().scan(f"TOKEN = '{GH}'  # patchgate: allow")


def test_redact_replaces_only_the_secret() -> None:
    text = f"Authorization failed for {GH} at step 2"
    assert redact(text) == f"Authorization failed for {REDACTED} at step 2"


def test_a_test_subprocess_sees_only_allowed_names_and_the_ones_the_project_names() -> None:
    environ = {
        "PATH": "/bin",
        "LANG": "C.UTF-8",
        "LC_ALL": "C",
        "TZ": "UTC",
        "TERM": "xterm",
        "HOME": "/home/me",
        "GH_PAT": "t",
        "OPENAI_API_KEY": "sk-x",
        "DJANGO_SETTINGS_MODULE": "site.settings",  # patchgate: allow
        "DATABASE_URL": "postgres://u:p@h/db",  # patchgate: allow
        "PIP_INDEX_URL": "https://u:p@pypi.corp/simple",  # patchgate: allow
        "HTTPS_PROXY": "http://u:p@proxy:3128",  # patchgate: allow
        "SENTRY_DSN": "https://k@sentry.io/1",
    }
    assert allowed_env(environ) == {
        "PATH": "/bin",
        "LANG": "C.UTF-8",
        "LC_ALL": "C",
        "TZ": "UTC",
        "TERM": "xterm",
        "HOME": "/home/me",
    }
    assert allowed_env(environ, ["DJANGO_SETTINGS_MODULE"])["DJANGO_SETTINGS_MODULE"] == "site.settings"


def test_a_private_key_is_redacted_whole_even_inside_one_json_line() -> None:
    body = "MIIEowIBAAKCAQEAjY75FnCttn6kfaqDeMqG3omjMyXHCabM6JOF8EFd0Nhcy"  # patchgate: allow
    pem = f"-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----"  # patchgate: allow
    line = json.dumps({"issue": f"it crashes with\n{pem}\nthanks"})
    redacted = redact(line)
    assert body not in redacted and "thanks" in redacted
    assert body not in redact(f"it crashes with\n{pem}\nthanks")


def test_a_commit_id_in_a_trace_is_not_a_secret_but_other_quoted_hex_is() -> None:
    sha = "3f2a9c0d1e4b5a6978877665544332211ffeeddc"
    line = json.dumps({"event": "start", "base": sha})
    assert redact(line) == line
    key = "28767efc2f91624a8940f1f836f99eee"  # patchgate: allow (a planted fixture)
    assert key not in redact(json.dumps({"x_api_key_hex": key}))


# Run in a fresh process: which modules a redaction imports, and what it reads from the cache folder.
_FRESH_PROCESS = """
from core.secrets import default_scanner, redact
from tests.core.secret_corpus import load_corpus

samples = load_corpus()
quick = {s.path: redact(s.text, s.path) for s in samples}
assert quick == {s.path: default_scanner().redact(s.text, s.path) for s in samples}, "quick path differs"
print("redacted", sum(quick[s.path] != s.text for s in samples))
"""


def _redact_in_new_process(cache: Path, script: str) -> str:
    env = {**os.environ, "PATCHGATE_CACHE": str(cache)}
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_new_process_redacts_from_the_cached_prefilter_exactly_as_the_scanner_does(tmp_path: Path) -> None:
    first = _redact_in_new_process(tmp_path, _FRESH_PROCESS)  # builds the scanner once and caches its specs
    (cached,) = (tmp_path / "secret-prefilter").iterdir()
    second = _redact_in_new_process(tmp_path, _FRESH_PROCESS)
    redacted = int(second.split()[1])
    assert redacted >= 20 and first == second  # every corpus secret redacted, from the cache as without it
    clean = _redact_in_new_process(
        tmp_path,
        "import sys\nfrom core.secrets import redact\nassert redact('x = compute(1)') == 'x = compute(1)'\n"
        "print(sorted(m for m in sys.modules if m.startswith('detect_secrets')))",
    )
    assert clean.strip() == "[]"  # a text no plugin would read: detect-secrets is never imported
    cached.write_text("{not json")
    assert _redact_in_new_process(tmp_path, _FRESH_PROCESS) == first  # a damaged cache is rebuilt, never trusted
    assert json.loads(cached.read_text())[0]["triggers"]


# The security gate in a fresh process: each corpus sample added as a file, with the base's policy.
_GATE = """
import sys
from tests.core.secret_corpus import load_corpus
from tools.candidate import parse_diff
from tools.policy import Policies
from tools.security import security_gate

def added(path, text):
    lines = text.splitlines()
    body = "".join("+" + line + "\\n" for line in lines)
    return parse_diff(f"--- /dev/null\\n+++ b/{path}\\n@@ -0,0 +1,{len(lines)} @@\\n{body}")

policy = Policies().security
clean = security_gate(added("app/calc.py", "def add(a, b):\\n    return a + b\\n"), None, policy)
print("clean", clean.passed, sorted(m for m in sys.modules if m.startswith("detect_secrets")))
from core.secret_scanner import SecretScanner
scanner = SecretScanner(policy.secrets)
for s in load_corpus():
    if s.text.strip():
        found = [f.rule for f in security_gate(added(s.path, s.text), None, policy).findings if ".secret." in f.rule]
        assert found == ["security.secret." + h.rule for h in scanner.scan(s.text, s.path)], s.path
        print(s.path, len(found))
"""


def test_the_gate_builds_no_scanner_for_a_clean_change_and_finds_what_the_scanner_finds(tmp_path: Path) -> None:
    """The gate's prefilter is derived from the policy it is given (the base commit's), and cached like
    ``redact``'s: a change with no line a plugin would read loads nothing of detect-secrets."""
    _redact_in_new_process(tmp_path, _GATE)  # the first process derives and caches the policy's prefilter
    lines = _redact_in_new_process(tmp_path, _GATE).splitlines()
    assert lines[0] == "clean True []"
    assert (
        sum(int(line.split()[-1]) for line in lines[1:]) >= 20
    )  # the corpus' secrets, found as the scanner finds them
