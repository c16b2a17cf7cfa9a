"""`context --rerank`: the configured model reorders the top files, typed, and can neither lose nor add one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from retrieval.embeddings import EmbeddingConfig
from retrieval.index import build_index

ROOT = Path(__file__).resolve().parents[2]
REPO = {
    "shop/__init__.py": "",
    "shop/cart.py": "def cart_total(items):\n    return sum(items)  # total of the cart\n",
    "shop/prices.py": "def price_total(amount):\n    return amount * 0.9  # total price\n",
    "shop/users.py": "def user_total(user):\n    return len(user.orders)  # total orders\n",
}


def context(root: Path, answers: list[str], *extra: str) -> subprocess.CompletedProcess[str]:
    script = root.parent / "answers.json"
    script.write_text(json.dumps(answers))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("PATCHGATE_MODEL", None)
    return subprocess.run(
        [
            sys.executable,
            "-P",
            "-m",
            "patchgate",
            "context",
            "--json",
            "--no-refresh",
            "--model",
            f"scripted:{script}",
            *extra,
            "the total is wrong",
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )


def test_rerank_follows_the_model_and_keeps_every_candidate(make_repo) -> None:
    root = make_repo(REPO)
    build_index(root, config=EmbeddingConfig(dense="none"), progress=False)
    plain = context(root, [])
    assert plain.returncode == 0, plain.stderr
    before = [f["path"] for f in json.loads(plain.stdout.strip().splitlines()[-1])["files"]]
    assert len(before) >= 3
    wanted = before[-1]
    answer = json.dumps({"order": [wanted, "shop/invented.py"]})  # an invented path is dropped
    reranked = context(root, [answer], "--rerank")
    assert reranked.returncode == 0, reranked.stderr
    after = [f["path"] for f in json.loads(reranked.stdout.strip().splitlines()[-1])["files"]]
    assert after[0] == wanted
    assert sorted(after) == sorted(before) and "shop/invented.py" not in after
    assert after[1:] == [p for p in before if p != wanted]  # the rest keep their order


def test_rerank_with_an_unusable_answer_is_a_one_line_error(make_repo) -> None:
    root = make_repo(REPO)
    build_index(root, config=EmbeddingConfig(dense="none"), progress=False)
    result = context(root, ["not json", '{"ranking": []}'], "--rerank")
    assert result.returncode != 0
    assert result.stderr.startswith("error:") and "Traceback" not in result.stderr
