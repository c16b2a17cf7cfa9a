"""Inputs that used to crash (exit 3, "internal error") are one `error:` line and exit 2 (issue 9)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from tests.agent.agentkit import run_cli
from tests.conftest import git
from tools import sandbox


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


@pytest.mark.parametrize(
    ("full", "args", "said"),
    [
        # git says only "unable to write file" and "Could not reset index file to revision 'HEAD'"
        (
            "TMPDIR",
            ("--tests", "none"),
            "worktree: no space left on the disk of {full} (0 MB free); error: unable to write file",
        ),
        # copying the tree beside the environment to be built: shutil.copytree's list of errors was printed whole
        ("PATCHGATE_CACHE", ("--tests-env", "build"), "no space left on the disk: {full}/envs/project-"),
    ],
)
def test_a_full_disk_is_said_to_be_one(make_repo, tmp_path: Path, full: str, args: tuple[str, ...], said: str) -> None:
    """The replay filled this machine's disk: a review then failed on "cannot check out ...: unable to write file"
    and on an internal error holding a Python list of (source, target, reason) tuples. Here the folder the review
    writes to is a 60 kB tmpfs (bubblewrap's), and the review says the disk is full."""
    bulk = {f"pkg/data{n}.txt": f"{n}" * 4000 for n in range(40)}
    root = make_repo(
        {**bulk, "pkg/__init__.py": "x = 1\n", "pyproject.toml": '[project]\nname = "pkg"\nversion = "0"\n'}
    )
    (root / "pkg" / "__init__.py").write_text("x = 2\n")
    small = tmp_path / "small"
    small.mkdir()
    bwrap = sandbox.bwrap_binary()
    assert bwrap is not None
    command = [bwrap, "--dev-bind", "/", "/", "--size", "60000", "--tmpfs", str(small), "env", f"{full}={small}"]
    done = subprocess.run(
        [*command, sys.executable, "-m", "patchgate", "review", *args], cwd=root, capture_output=True, text=True
    )
    assert done.returncode == 2
    assert said.format(full=small) in one_error_line(done.stderr)
