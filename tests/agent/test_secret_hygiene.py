"""Secrets in an issue or in a model's answer reach neither the model, the trace nor the run's saved patch."""

from __future__ import annotations

import json
from pathlib import Path

from agentkit import ISSUE, run_cli

PEM_BODY = [
    "MIIEowIBAAKCAQEAjY75FnCttn6kfaqDeMqG3omjMyXHCabM6JOF8EFd0Nhcy/1k",  # patchgate: allow
    "/zNyD7CHLn/xC+1hsYgBds1ghxY5OokvQyx7eNWVQ4vnakJkS1pAWTN3lg8zV5yP",
]  # patchgate: allow
BEGIN, END = "-----BEGIN RSA PRIVATE KEY-----", "-----END RSA PRIVATE KEY-----"  # patchgate: allow
PEM = "\n".join([BEGIN, *PEM_BODY, END])
NPM = "npm_" + "sMehGAkWvj7FAc9QeWJKY40uvSwMFLZDe1f8"  # patchgate: allow
LEAKY_EDIT = (
    "calc.py\n<<<<<<< SEARCH\n    return a - b\n=======\n    return a + b\n>>>>>>> REPLACE\n"
    f'calc.py\n<<<<<<< SEARCH\ndef double(x):\n=======\nNPM_TOKEN = "{NPM}"\n\n\ndef double(x):\n'
    ">>>>>>> REPLACE\n"
)


def test_a_key_in_the_issue_or_the_answer_is_never_sent_nor_stored(scripted, calc_repo: Path) -> None:
    scripted.edits = [LEAKY_EDIT] * 2
    issue = f"{ISSUE}\nThe server log shows our deploy key:\n{PEM}\n"
    result = run_cli("solve", issue, "--model", scripted.spec, "--rounds", "1", "--json", cwd=calc_repo)
    assert result.returncode == 1, result.stderr  # the security gate rejects the added token
    sent = json.dumps(scripted.requests)
    assert not [line for line in PEM_BODY if line in sent]
    (run,) = (calc_repo / ".patchgate" / "runs").iterdir()
    stored = "".join(p.read_text() for p in run.iterdir())
    assert "patch.diff" in {p.name for p in run.iterdir()} and "return a + b" in (run / "patch.diff").read_text()
    assert NPM not in stored and not [line for line in PEM_BODY if line in stored]
