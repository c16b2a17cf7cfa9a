"""Inputs that used to crash (exit 3, "internal error") are one `error:` line and exit 2 (issue 9)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from tests.agent.agentkit import run_cli
from tests.conftest import git


def one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "internal error" not in lines[0], stderr
    return lines[0]


@pytest.mark.parametrize(
    "body, content_type",
    [
        ("<html><body><h1>Welcome to nginx!</h1></body></html>", "text/html"),
        ("this is not json", "application/json"),
        (json.dumps({"unexpected": "shape"}), "application/json"),
    ],
)
def test_a_model_server_answering_200_with_something_else_is_one_line(
    httpserver: HTTPServer, tmp_path: Path, body: str, content_type: str
) -> None:
    httpserver.expect_request("/v1/chat/completions", method="POST").respond_with_data(body, content_type=content_type)
    model = f"openai:m@{httpserver.url_for('/v1')}"
    result = run_cli("generate", "--grammar", "json", "a config", "--model", model, cwd=tmp_path)
    assert result.returncode == 2
    assert "not a chat completion" in one_error_line(result.stderr)


def test_an_unwritable_sarif_path_is_one_line(make_repo) -> None:
    root = make_repo({"app.py": "X = 1\n"})
    (root / "app.py").write_text("X = 2\n")
    git(root, "add", "app.py")
    for target in (root / "app.py" / "out.sarif", Path("/proc/out.sarif")):  # below a file; where no one may write
        result = run_cli("review", "--staged", "--tests", "none", "--sarif", str(target), cwd=root)
        assert result.returncode == 2
        assert "cannot write" in one_error_line(result.stderr)


def test_a_section_that_is_not_a_table_is_one_line(make_repo) -> None:
    root = make_repo({"app.py": "X = 1\n", ".patchgate.toml": 'review = "x"\n'})
    (root / "app.py").write_text("X = 2\n")
    git(root, "add", "app.py")
    result = run_cli("review", "--staged", "--tests", "none", cwd=root)
    assert result.returncode == 2
    assert "[tool.patchgate.review] must be a table" in one_error_line(result.stderr)


def test_device_cuda_without_a_usable_gpu_is_one_line(make_repo) -> None:
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    root = make_repo({"app.py": "X = 1\n"})
    result = run_cli("index", "--device", "cuda", cwd=root)
    assert result.returncode == 2
    assert "--device cuda" in one_error_line(result.stderr)
