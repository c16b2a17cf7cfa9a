"""FIM prompts per family, the middle inserted at the cursor, stop tokens, and `patchgate complete`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from tiny import build_tokenizer

from agent.decoding.fim import (
    RepoContext,
    detect_family,
    fim_prompt_ids,
    stop_ids,
)
from agent.writing.infill import cursor_offset, infill_file
from core.errors import ConfigError, InputError

ROOT = Path(__file__).resolve().parents[2]
P, S = "def area(r):\n    ", "\n    return result\n"

# family -> (special tokens, bos, expected PSM prompt text)
CASES = {
    "starcoder": (
        ["<fim_prefix>", "<fim_middle>", "<fim_suffix>", "<fim_pad>"],
        None,
        f"<fim_prefix>{P}<fim_suffix>{S}<fim_middle>",
    ),
    "starcoder2": (
        ["<fim_prefix>", "<fim_middle>", "<fim_suffix>", "<file_sep>", "<repo_name>"],
        None,
        f"<fim_prefix>{P}<fim_suffix>{S}<fim_middle>",
    ),
    "santacoder": (
        ["<fim-prefix>", "<fim-middle>", "<fim-suffix>"],
        None,
        f"<fim-prefix>{P}<fim-suffix>{S}<fim-middle>",
    ),
    "codellama": (["▁<PRE>", "▁<MID>", "▁<SUF>", "▁<EOT>"], "<s>", f"<s>▁<PRE>{P}▁<SUF>{S}▁<MID>"),
    "deepseek-coder": (
        ["<｜fim▁begin｜>", "<｜fim▁hole｜>", "<｜fim▁end｜>", "<|EOT|>"],
        "<｜begin▁of▁sentence｜>",
        f"<｜begin▁of▁sentence｜><｜fim▁begin｜>{P}<｜fim▁hole｜>{S}<｜fim▁end｜>",
    ),
    "qwen2.5-coder": (
        ["<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>"],
        None,
        f"<|fim_prefix|>{P}<|fim_suffix|>{S}<|fim_middle|>",
    ),
    "codestral": (["[PREFIX]", "[SUFFIX]", "[MIDDLE]"], "<s>", f"<s>[SUFFIX]{S}[PREFIX]{P}"),
    "codegemma": (
        ["<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|file_separator|>"],
        "<bos>",
        f"<bos><|fim_prefix|>{P}<|fim_suffix|>{S}<|fim_middle|>",
    ),
}


@pytest.mark.parametrize("family", CASES)
def test_prompt_matches_the_family_special_tokens(family: str) -> None:
    specials, bos, expected = CASES[family]
    tok = build_tokenizer(specials, bos=bos)
    fam = detect_family(tok)
    assert fam.name == family
    ids = fim_prompt_ids(tok, fam, P, S)
    assert tok.decode(ids) == expected
    vocab = tok.get_vocab()
    sentinels = [t for t in (fam.prefix, fam.suffix, fam.middle) if t]
    assert all(vocab[t] in ids for t in sentinels)  # each sentinel is one special token, not text


def test_code_llama_suffix_first() -> None:
    tok = build_tokenizer(CASES["codellama"][0], bos="<s>")
    ids = fim_prompt_ids(tok, detect_family(tok), P, S, spm=True)
    assert tok.decode(ids) == f"<s>▁<PRE>▁<SUF>{S}▁<MID>{P}"


def test_qwen_repository_level_form() -> None:
    tok = build_tokenizer(CASES["qwen2.5-coder"][0])
    repo = RepoContext("acme/geo", "geo/area.py", [("geo/consts.py", "PI = 3.14")])
    ids = fim_prompt_ids(tok, detect_family(tok), P, S, repo)
    assert tok.decode(ids) == (
        "<|repo_name|>acme/geo\n<|file_sep|>geo/consts.py\nPI = 3.14\n"
        f"<|file_sep|>geo/area.py\n<|fim_prefix|>{P}<|fim_suffix|>{S}<|fim_middle|>"
    )


def test_unknown_family_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="no fill-in-the-middle tokens"):
        detect_family(build_tokenizer(["<mask>"]))


def test_cursor_offsets_and_bad_locations() -> None:
    text = "ab\ncd\n"
    assert cursor_offset(text, 2, 2) == (4, 2) and cursor_offset(text, 1, None) == (2, 3)
    with pytest.raises(InputError, match="line 9"):
        cursor_offset(text, 9, None)


def test_middle_is_inserted_at_the_cursor(tiny, tmp_path: Path) -> None:
    src = tmp_path / "geo.py"
    src.write_text("def area(r):\n    \n    return result\n")
    result = infill_file(tiny, src, 2, 5, max_tokens=6)
    assert result.middle and result.family == "qwen2.5-coder"
    assert result.updated == "def area(r):\n    " + result.middle + "\n    return result\n"
    assert src.read_text() == result.original  # nothing written by the library call


def test_stop_tokens_end_the_middle(tiny_path: Path, tmp_path: Path) -> None:
    from agent.models.hf import HFModel

    model = HFModel(tiny_path)
    file_sep = model.tokenizer.get_vocab()["<|file_sep|>"]
    head = model.model.lm_head
    with torch.no_grad():  # make <|file_sep|> the argmax at every step
        head.weight.zero_()
        model.model.lm_head = torch.nn.Linear(head.in_features, head.out_features, bias=True)
        model.model.lm_head.weight.zero_()
        model.model.lm_head.bias.zero_()
        model.model.lm_head.bias[file_sep] = 10.0
    prompt = fim_prompt_ids(model.tokenizer, detect_family(model.tokenizer), P, S)
    assert model.generate_ids(prompt, max_tokens=8).tokens == [file_sep] * 8  # without the FIM stops
    assert (
        model.generate_ids(
            prompt, max_tokens=8, stop_ids=stop_ids(model.tokenizer, detect_family(model.tokenizer))
        ).tokens
        == []
    )


def run_complete(tiny_path: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATCHGATE_MODEL": f"hf:{tiny_path}"}
    return subprocess.run(
        [sys.executable, "-P", "-m", "patchgate", "complete", *args], cwd=cwd, env=env, capture_output=True, text=True
    )


def test_complete_shows_a_diff_and_writes_only_with_write(tiny_path: Path, tmp_path: Path) -> None:
    src = tmp_path / "geo.py"
    original = "def area(r):\n    \n    return result\n"
    src.write_text(original)
    shown = run_complete(tiny_path, tmp_path, "geo.py:2:5", "--max-tokens", "4")
    assert shown.returncode == 0, shown.stderr
    assert "+++ b/geo.py" in shown.stdout and "not written" in shown.stdout
    assert src.read_text() == original
    # the random model's middle breaks the file (as in the issue: stray bytes, unmatched brackets)
    refused = run_complete(tiny_path, tmp_path, "geo.py:2:5", "--max-tokens", "4", "--write")
    assert refused.returncode == 1 and refused.stderr.startswith("error: not written: ")
    assert "pass --force to write it anyway" in refused.stderr and "+++ b/geo.py" in refused.stdout
    assert src.read_text() == original
    written = run_complete(tiny_path, tmp_path, "geo.py:2:5", "--max-tokens", "4", "--write", "--force")
    assert written.returncode == 0 and src.read_text() != original
    assert src.read_text().startswith("def area(r):\n    ") and src.read_text().endswith("\n    return result\n")
    bad = run_complete(tiny_path, tmp_path, "geo.py:40")
    assert bad.returncode == 2 and bad.stderr.startswith("error: line 40") and "Traceback" not in bad.stderr


def test_a_completion_that_parses_is_written_and_one_with_broken_bytes_is_not(tmp_path: Path) -> None:
    from agent.writing.infill import Infill, completion_problems

    original = "def area(r):\n    \n    return result\n"
    good = Infill(
        tmp_path / "geo.py",
        2,
        5,
        "result = r * r",
        original,
        original.replace("    \n", "    result = r * r\n"),
        "qwen",
    )
    assert completion_problems(good) == []
    broken = Infill(
        tmp_path / "geo.py",
        2,
        5,
        "return \x7f%falf\ufffd",
        original,
        original.replace("    \n", "    return \x7f%falf\ufffd\n"),
        "qwen",
    )
    problems = completion_problems(broken)
    assert "U+007F" in problems[0] and "U+FFFD" in problems[0] and any("python" in p for p in problems[1:])
    mid_edit = Infill(tmp_path / "geo.py", 1, 1, "x", "def (:\n", "xdef (:\n", "qwen")
    assert completion_problems(mid_edit) == []  # the file did not parse before: not the completion's fault


def test_complete_with_a_hosted_model_says_it_needs_a_local_one(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    result = run_complete(Path("unused"), tmp_path, "a.py:1", "--model", "openai:m@http://127.0.0.1:9/v1")
    assert result.returncode == 2 and "complete takes a local model" in result.stderr
