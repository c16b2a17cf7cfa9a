"""`patchgate eval localize` on a tiny dataset built from a real repository."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import git

ROOT = Path(__file__).resolve().parents[2]
PATCH = """diff --git a/calc/rates.py b/calc/rates.py
--- a/calc/rates.py
+++ b/calc/rates.py
@@ -1,2 +1,2 @@
 def interest_rate(years):
-    return 0.1 * years
+    return 0.01 * years
"""


def rates_row(repo: Path) -> dict:
    """The instance whose fix is ``PATCH``, based on ``repo``'s HEAD."""
    return {
        "instance_id": "acme__calc-1",
        "repo": "acme/calc",
        "base_commit": git(repo, "rev-parse", "HEAD").strip(),
        "problem_statement": "interest_rate gives ten times too much",
        "patch": PATCH,
    }


def run_eval(
    tmp_path: Path, rows: list[dict], *extra: str, name: str = "data.jsonl"
) -> subprocess.CompletedProcess[str]:
    """``eval localize`` on ``rows`` written as JSONL, gzipped when ``name`` ends in ``.gz``."""
    dataset = tmp_path / name
    text = ("\n".join(json.dumps(r) for r in rows) + "\n").encode()
    dataset.write_bytes(gzip.compress(text) if name.endswith(".gz") else text)
    scratch = tmp_path / "scratch"  # the run's temporary folders go here, so a test sees what it leaves behind
    scratch.mkdir(exist_ok=True)
    env = {**os.environ, "TMPDIR": str(scratch)}
    return subprocess.run(
        [
            sys.executable,
            "-P",
            "-m",
            "patchgate",
            "eval",
            "localize",
            "--dataset",
            str(dataset),
            "--repos",
            str(tmp_path / "repos"),
            "--dense",
            "none",
            "--json",
            *extra,
        ],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )


def test_acc_at_k_and_skipped_instances(tmp_path: Path, make_repo) -> None:
    repo = make_repo(
        {
            "calc/rates.py": "def interest_rate(years):\n    return 0.1 * years\n",
            "calc/names.py": "def customer_name():\n    return 'x'\n",
        },
        name="repos/acme__calc",
    )
    row = rates_row(repo)
    missing_repo = {**row, "instance_id": "other-1", "repo": "other/thing"}
    missing_commit = {**row, "instance_id": "acme__calc-2", "base_commit": "f" * 40}
    result = run_eval(tmp_path, [row, missing_repo, missing_commit])
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "instances": 1,
        "dense": "none",  # the encoder that ranked them: ``auto`` means another one on another machine
        "acc@1": 1.0,
        "acc@5": 1.0,
        "acc@10": 1.0,
        "function_instances": 1,
        "function_acc@1": 1.0,
        "function_acc@5": 1.0,
        "function_acc@10": 1.0,
    }
    assert "skipped other-1" in result.stderr and "skipped acme__calc-2" in result.stderr
    assert git(repo, "status", "--porcelain") == "" and not (repo / ".patchgate").exists()
    assert list((tmp_path / "scratch").iterdir()) == []  # the indexes it built without --work-dir are gone


def test_work_dir_keeps_the_indexes_for_the_next_run(tmp_path: Path, make_repo) -> None:
    repo = make_repo({"calc/rates.py": "def interest_rate(years):\n    return 0.1 * years\n"}, name="repos/acme__calc")
    row = rates_row(repo)
    first = run_eval(tmp_path, [row], "--work-dir", "kept")
    assert first.returncode == 0, first.stderr
    assert (tmp_path / "kept" / "acme__calc" / "index").is_dir()
    again = run_eval(tmp_path, [row], "--work-dir", "kept")
    assert again.returncode == 0 and again.stdout.splitlines()[-1] == first.stdout.splitlines()[-1]


def test_a_line_without_fields_is_a_one_line_error(tmp_path: Path) -> None:
    (tmp_path / "repos").mkdir()
    result = run_eval(tmp_path, [{"instance_id": "x", "repo": "a/b"}])
    assert result.returncode == 2
    assert result.stderr.strip().endswith("instance 1 lacks base_commit, problem_statement, patch")
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize(
    "content",
    [
        b'{"instance_id": "x"}\n',  # not gzip at all
        gzip.compress(b'{"instance_id": "x"}\n' * 50)[:20],  # cut short (a partial download)
        (lambda z: z[:10] + b"x" * 20 + z[30:])(gzip.compress(b'{"instance_id": "x"}\n' * 50)),  # corrupt
    ],
    ids=["plain", "truncated", "corrupt"],
)
def test_a_dataset_named_gz_that_is_not_whole_gzip_is_a_one_line_error(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "repos").mkdir()
    (tmp_path / "data.jsonl.gz").write_bytes(content)
    result = subprocess.run(
        [sys.executable, "-P", "-m", "patchgate", "eval", "localize", "--dataset", "data.jsonl.gz", "--repos", "repos"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 2 and result.stderr.startswith("error: cannot read dataset data.jsonl.gz")
    assert result.stderr.count("\n") == 1


def test_mined_rows_give_file_and_function_level_accuracy(tmp_path: Path, make_repo) -> None:
    """A mined row (gold_files + gold_lines, no patch) is scored at both levels; a miss shows as a miss."""
    repo = make_repo(
        {
            "calc/rates.py": "def interest_rate(years):\n    return 0.1 * years\n\n\n"
            "def penalty_rate(days):\n    return 0.2 * days\n",
            "calc/names.py": "def customer_name():\n    return 'x'\n",
        },
        name="repos/acme__calc",
    )
    base = git(repo, "rev-parse", "HEAD").strip()
    hit = {
        "instance_id": "m-1",
        "repo": "acme/calc",
        "base_commit": base,
        "problem_statement": "penalty_rate doubles the days",
        "gold_files": ["calc/rates.py"],
        "gold_lines": {"calc/rates.py": [[6, 6]]},
    }
    miss = {
        **hit,
        "instance_id": "m-2",
        "problem_statement": "customer_name is empty",
        "gold_lines": {"calc/rates.py": [[2, 2]]},
    }
    result = run_eval(tmp_path, [hit, miss], "--k", "1")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary == {"instances": 2, "dense": "none", "acc@1": 0.5, "function_instances": 2, "function_acc@1": 0.5}
    assert "penalty_rate → 1" in result.stderr
    zipped = run_eval(tmp_path, [hit, miss], "--k", "1", name="data.jsonl.gz")  # as the training sets ship
    assert zipped.returncode == 0 and json.loads(zipped.stdout.strip().splitlines()[-1]) == summary
    text = run_eval(tmp_path, [hit], "--k", "1,5")
    plain = subprocess.run(
        [
            sys.executable,
            "-P",
            "-m",
            "patchgate",
            "eval",
            "localize",
            "--dataset",
            str(tmp_path / "data.jsonl"),
            "--repos",
            str(tmp_path / "repos"),
            "--dense",
            "none",
        ],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert text.returncode == 0 and "function level (1 instances that change a definition): Acc@1 1.0" in plain.stdout
    assert "file level (1 instances, dense vectors: none): Acc@1 1.0" in plain.stdout
