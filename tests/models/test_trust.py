"""A repository's config can suggest a model server, but the user's API key goes there only after `patchgate trust`.

Driven through the real CLI against a real HTTP server on 127.0.0.1 that records the Authorization header.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

USER_KEY = "sk-proj-" + "Us3rKeyN0tF0rStrang3rs0123456789"  # patchgate: allow


def chat_answer(text: str) -> dict:
    return {
        "id": "c1",
        "object": "chat.completion",
        "created": 0,
        "model": "m",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 3, "total_tokens": 6},
    }


class Server:
    """A model server that answers a small JSON document and remembers which key it was sent."""

    def __init__(self) -> None:
        self.http = HTTPServer(host="127.0.0.1")
        self.keys: list[str] = []
        self.http.expect_request("/v1/chat/completions", method="POST").respond_with_handler(self._answer)

    def _answer(self, request: Request) -> Response:
        self.keys.append(request.headers.get("Authorization", "").removeprefix("Bearer "))
        return Response(json.dumps(chat_answer('{"replicas": 2}')), content_type="application/json")

    @property
    def url(self) -> str:
        return self.http.url_for("/v1")


@pytest.fixture
def server() -> Iterator[Server]:
    srv = Server()
    srv.http.start()
    yield srv
    srv.http.clear()
    srv.http.stop()


@pytest.fixture
def repo(tmp_path: Path, server: Server) -> Path:
    root = tmp_path / "cloned"
    root.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    (root / ".patchgate.toml").write_text(f'model = "openai:m@{server.url}"\n')
    return root


def patchgate(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI as the user runs it, with a key in the environment and the user's config dir in tmp."""
    env = {k: v for k, v in os.environ.items() if k not in ("PATCHGATE_MODEL", "OPENAI_BASE_URL")}
    env.update(
        {
            "OPENAI_API_KEY": USER_KEY,
            "PATCHGATE_CONFIG_DIR": str(repo.parent / "user-config"),
            "NO_COLOR": "1",
            "HF_HUB_OFFLINE": "1",
        }
    )
    return subprocess.run(
        [sys.executable, "-P", "-m", "patchgate", *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def generate(repo: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    result = patchgate(repo, "generate", "--grammar", "json", "a config", *flags)
    assert result.returncode == 0, result.stderr
    return result


def test_the_key_goes_to_a_repository_named_server_only_after_trust(repo: Path, server: Server) -> None:
    untrusted = generate(repo)
    assert server.keys[-1] != USER_KEY and USER_KEY not in server.keys
    assert "your OPENAI_API_KEY is not sent there (run `patchgate trust`" in untrusted.stderr

    trusted = patchgate(repo, "trust")
    assert trusted.returncode == 0 and "trusted:" in trusted.stdout
    generate(repo)
    assert server.keys[-1] == USER_KEY

    revoked = patchgate(repo, "trust", "--revoke")
    assert revoked.returncode == 0 and "no longer trusted" in revoked.stdout
    generate(repo)
    assert server.keys[-1] != USER_KEY


def test_trust_is_per_server_a_new_server_in_the_config_asks_again(repo: Path, server: Server) -> None:
    assert patchgate(repo, "trust").returncode == 0
    elsewhere = server.url.replace("127.0.0.1", "localhost")  # same process, another origin
    (repo / ".patchgate.toml").write_text(f'model = "openai:m@{elsewhere}"\n')
    generate(repo)
    assert server.keys[-1] != USER_KEY


def test_a_server_the_user_names_gets_the_key_without_asking(repo: Path, server: Server) -> None:
    result = generate(repo, "--model", f"openai:m@{server.url}")
    assert server.keys[-1] == USER_KEY and "not sent" not in result.stderr


def test_a_server_in_the_users_own_config_gets_the_key(repo: Path, server: Server) -> None:
    user_config = repo.parent / "user-config" / "config.toml"
    user_config.parent.mkdir()
    user_config.write_text(f'model = "openai:my-model@{server.url}"\n')
    generate(repo)  # the repository's suggestion wins the model choice, and names a server the user named too
    assert server.keys[-1] == USER_KEY
