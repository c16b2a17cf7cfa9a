"""Every shipped grammar produces only what patchgate's own parse gate accepts, over 100 seeds each.

The sampler is the real decoding guide (``BudgetedGuide``) fed random logits:
what a random-weights model does, without its forward pass, so 400 documents
take seconds. The parse gate (``tools.parsers.check_file``) is the judge, as it
is when an agent's generated config is reviewed.
"""

from __future__ import annotations

import pytest
import torch
import yaml

from agent.decoding.constrained import BudgetedGuide, llg_grammar, llg_tokenizer
from agent.writing.documents import GATE_NAMES, Document, first_valid
from agent.writing.grammar_plan import document_lark, gpus_asked, plan_for, tie_lark
from core.grammars import GRAMMARS, parse_error
from tools.options import ReviewOptions
from tools.parsers import check_file
from tools.policy import Policies

SEEDS = 100
BUDGET = 512  # `patchgate generate`'s default --max-tokens
WORDY = 4.0  # logit bonus for a token's length: long keys and strings, where the limits are


@pytest.fixture(scope="module")
def tokenizer():
    from tiny import build_tokenizer, manifest_corpus

    # a tokenizer that has seen manifests, as real ones have: a GPU Deployment is ~230 of its tokens, not ~570
    return llg_tokenizer(build_tokenizer(vocab_size=800, corpus=manifest_corpus()))


# what `generate` is asked for, per seed: the plan narrows the grammar's start (GPU kinds or not) and fixes ties
INSTRUCTIONS = ["a config", "a Deployment serving a model on one GPU", "a batch job on 2 GPUs", "a web service"]


def instruction(seed: int) -> str:
    return INSTRUCTIONS[seed // 2 % len(INSTRUCTIONS)]  # each instruction walked wordy and not


def planned_grammar(tokenizer, name: str, seed: int, *, wordy: bool) -> str:
    """The grammar ``generate`` decodes a document under: narrowed by the instruction, ties chosen by a walk."""
    plan = plan_for(name, instruction(seed))
    ties = walk(tokenizer, llg_grammar(lark=tie_lark(plan)), seed, wordy=wordy) if plan.open_ties else ""
    return llg_grammar(lark=document_lark(plan, ties))


def walk(tokenizer, grammar: str, seed: int, *, wordy: bool) -> str:
    """One document: the guide picks every token from random logits (favouring long tokens when ``wordy``)."""
    guide = BudgetedGuide(tokenizer, grammar, BUDGET)
    generator = torch.Generator().manual_seed(seed)
    lengths = torch.tensor([len(tokenizer.decode_bytes([t])) for t in range(tokenizer.vocab_size)], dtype=torch.float)
    tokens: list[int] = []
    while (
        token := guide.choose(
            torch.randn(tokenizer.vocab_size, generator=generator) + (WORDY * lengths if wordy else 0),
            temperature=1.0,
            generator=generator,
        )
    ) != guide.eos:
        tokens.append(token)
    return tokenizer.decode_bytes(tokens).decode("utf-8")


def gpus_requested(text: str) -> int:
    """The nvidia.com/gpu a manifest's containers request."""
    doc = yaml.safe_load(text)
    spec = (doc.get("spec") or {}).get("template", {}).get("spec", {})
    return sum(c["resources"]["requests"].get("nvidia.com/gpu", 0) for c in spec.get("containers", []))


def gate_errors(name: str, text: str) -> list[str]:
    """The parse gate's errors, and lark's (which checks a hosted model's answer against the same grammar)."""
    errors = [
        f.message for f in check_file(GATE_NAMES[name], text, ReviewOptions(), Policies()) if f.severity == "error"
    ]
    return errors + ([f"lark: {lark}"] if (lark := parse_error(name, text)) else [])


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=pytest.mark.slow) if n == "kubernetes" else n for n in GRAMMARS]
)  # a manifest walk re-plans ~250-token closes
def test_100_seeds_all_pass_the_parse_gate(tokenizer, name: str) -> None:
    rejected, longest_key = [], 0
    for seed in range(SEEDS):
        wordy = seed % 2 == 1
        grammar = planned_grammar(tokenizer, name, seed, wordy=wordy)
        text = walk(tokenizer, grammar, seed, wordy=wordy)
        if errors := gate_errors(name, text):
            rejected.append((seed, errors[0][:120]))

            # what `generate` does with a document the gate rejects: sample again
            def again(attempt: int, seed: int = seed, wordy: bool = wordy, grammar: str = grammar) -> Document:
                return Document(walk(tokenizer, grammar, seed + SEEDS * (attempt + 1), wordy=wordy), "random")

            text = first_valid(again, grammar=name, schema=None).text
        assert gate_errors(name, text) == [], (seed, text)
        if name == "kubernetes":  # the instruction's GPUs are requested, and only when asked for
            assert gpus_requested(text) == (gpus_asked(instruction(seed)) or 0), (seed, text)
        if name == "yaml":
            longest_key = max([longest_key, *(len(line.split(":", 1)[0].strip()) for line in text.splitlines())])
    if name == "toml":  # a context-free grammar cannot forbid a key defined twice: only those are resampled
        assert all("already" in why or "redefine" in why.lower() for _, why in rejected), rejected
        assert len(rejected) <= SEEDS // 4, rejected
    else:
        assert rejected == []  # the grammar alone writes nothing the parse gate rejects
    if name == "yaml":
        assert 8 < longest_key <= 64  # wordy sampling reaches for long keys; YAML's limit is 1024
