"""Speculation never changes greedy output: token-for-token identical with and without it."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.decoding.speculative import speculation_options
from agent.models.base import Message
from core.errors import ConfigError

EDIT_PROMPTS = [
    "def add(a, b):\n    return a + b\n\nclass Point:\n    x: int = 0\n" * 3,
    '{"name": "api", "replicas": 3, "ports": [80, 443]}\n' * 4,
    "import os\nfor i in range(10):\n    print(i, os.getcwd())\n",
]


@pytest.mark.parametrize("prompt", EDIT_PROMPTS)
def test_prompt_lookup_and_draft_equal_plain_greedy(tiny, draft_path: Path, prompt: str) -> None:
    from agent.models.hf import HFModel

    draft = HFModel(draft_path, speculation="none")
    ids = tiny.tokenizer(prompt)["input_ids"]
    plain = tiny.generate_ids(ids, max_tokens=48).tokens
    assert len(plain) > 8
    assert tiny.generate_ids(ids, max_tokens=48, **speculation_options("prompt_lookup")).tokens == plain
    assert tiny.generate_ids(ids, max_tokens=48, **speculation_options("draft", draft=draft.model)).tokens == plain


def test_complete_uses_speculation_by_default_and_matches(tiny_path: Path, draft_path: Path) -> None:
    from agent.models.hf import HFModel

    messages = [Message("user", EDIT_PROMPTS[0])]
    plain = HFModel(tiny_path, speculation="none").complete(messages, max_tokens=32).text
    assert HFModel(tiny_path).speculation == "prompt_lookup"
    assert HFModel(tiny_path).complete(messages, max_tokens=32).text == plain
    assert HFModel(tiny_path, draft_model=draft_path).complete(messages, max_tokens=32).text == plain


def test_draft_is_required_for_draft_speculation() -> None:
    with pytest.raises(ConfigError, match="--draft-model"):
        speculation_options("draft")
    assert speculation_options("prompt_lookup", temperature=0.7) == {}  # sampling: no speculation


def test_complete_with_a_draft_model_flag(tiny_path: Path, draft_path: Path, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    src = tmp_path / "a.py"
    src.write_text("def f():\n    \n")
    env = dict(os.environ)
    args = ["complete", "a.py:2:5", "--max-tokens", "6", "--json", "--model", f"hf:{tiny_path}"]
    plain = subprocess.run(
        [sys.executable, "-P", "-m", "patchgate", *args], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    drafted = subprocess.run(
        [sys.executable, "-P", "-m", "patchgate", *args, "--draft-model", f"hf:{draft_path}"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert plain.returncode == drafted.returncode == 0, drafted.stderr
    assert plain.stdout == drafted.stdout  # same greedy middle with speculation
