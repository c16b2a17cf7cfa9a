"""Decoding benchmark: llguidance mask cost, constrained vs free tokens/s, speculative speed-up.

    nice python benchmarks/bench_decoding.py [--vocab 32000] [--tokens 128]

Uses a random-weights Llama with a byte-level BPE vocabulary trained here on
the Python standard library's sources (so the mask is computed over a
realistic code vocabulary). Prints medians and ratios. What a random model
cannot show (speculative acceptance on real edits) is printed as such.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def stdlib_corpus(limit_bytes: int = 4_000_000) -> list[str]:
    """Python sources from the standard library: a code-like corpus available offline."""
    texts, size = [], 0
    for path in sorted(Path(sysconfig.get_paths()["stdlib"]).glob("*.py")):
        text = path.read_text(encoding="utf-8", errors="ignore")
        texts.append(text)
        size += len(text)
        if size > limit_bytes:
            break
    return texts


def build_model(path: Path, vocab: int, hidden: int, layers: int):
    """Train a BPE tokenizer of ``vocab`` tokens and save a random Llama; return an HFModel."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    from agent.models.hf import HFModel

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(
        stdlib_corpus(),
        trainers.BpeTrainer(
            vocab_size=vocab, special_tokens=["<|endoftext|>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
        ),
    )
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|endoftext|>", pad_token="<|endoftext|>")
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(fast),
        hidden_size=hidden,
        intermediate_size=2 * hidden,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=4,
        eos_token_id=fast.eos_token_id,
        pad_token_id=fast.eos_token_id,
        bos_token_id=None,
    )
    fast.save_pretrained(path)
    LlamaForCausalLM(config).save_pretrained(path)
    return HFModel(path, speculation="none")


def tokens_per_s(run, repeats: int = 3) -> tuple[float, int]:
    """Median tokens/s over ``repeats`` runs of ``run() -> Generated``."""
    rates, count = [], 0
    for _ in range(repeats):
        result = run()
        count = len(result.tokens)
        rates.append(count / result.latency_s)
    return statistics.median(rates), count


def bench_constrained(model, tokens: int) -> None:
    from agent.decoding.constrained import (
        BudgetedGuide,
        GuideProcessor,
        llg_grammar,
    )
    from agent.models.base import Message

    prompt = model.prompt_ids([Message("user", "write a config")])
    free, n_free = tokens_per_s(lambda: model.generate_ids(prompt, max_tokens=tokens, min_new_tokens=tokens))
    print(f"free decoding: {free:8.1f} tokens/s ({n_free} tokens, greedy, no mask)")
    print(
        f"{'grammar/budget':<15} {'mask µs med':>11} {'mask µs p90':>11} {'plan µs med':>11} "
        f"{'tokens/s':>9} {'vs free':>8} {'mask share':>10}"
    )
    for name in ("json", "yaml", "toml", "kubernetes"):
        grammar = llg_grammar(grammar=name)
        budget = max(tokens, len(BudgetedGuide(model.llg_tokenizer, grammar, 4 * tokens).plan or []) + 16)
        masks, plans, rates = [], [], []
        for seed in range(3):
            guide = BudgetedGuide(model.llg_tokenizer, grammar, budget)
            result = model.generate_ids(
                prompt, max_tokens=tokens + 1, logits_processor=[GuideProcessor(guide, temperature=1.0, seed=seed)]
            )
            masks += guide.stats.mask_s
            plans += guide.stats.plan_s
            rates.append(len(result.tokens) / result.latency_s)
        mask_us = statistics.median(masks) * 1e6
        p90 = statistics.quantiles(masks, n=10)[-1] * 1e6
        plan_us = statistics.median(plans) * 1e6 if plans else 0.0
        rate = statistics.median(rates)
        share = mask_us / (1e6 / rate) * 100
        label = f"{name}/{budget}"
        print(f"{label:<15} {mask_us:11.1f} {p90:11.1f} {plan_us:11.1f} {rate:9.1f} {rate / free:7.2f}x {share:9.1f}%")


def bench_speculative(model, draft, tokens: int) -> None:
    from agent.decoding.speculative import speculation_options

    source = (ROOT / "agent" / "writing" / "infill.py").read_text()[:3000]
    prompt_text = (
        f"Rename `path` to `target` in this file and return the whole file.\n\n{source}\n\nEdited file:\n{source[:200]}"
    )
    prompt = model.tokenizer(prompt_text)["input_ids"]

    def run(**options):
        return lambda: model.generate_ids(prompt, max_tokens=tokens, min_new_tokens=tokens, **options)

    plain, _ = tokens_per_s(run())
    print(f"greedy baseline: {plain:8.1f} tokens/s on an input-grounded edit prompt ({len(prompt)} prompt tokens)")
    for label, options in (
        ("prompt lookup", speculation_options("prompt_lookup")),
        ("draft model", speculation_options("draft", draft=draft.model)),
    ):
        rate, _ = tokens_per_s(run(**options))
        print(f"{label:<14}: {rate:8.1f} tokens/s  speed-up {rate / plain:5.2f}x")
    print(
        "note: random weights do not copy their input; what prompt lookup accepts here are the loops a random "
        "model falls into, and the draft (another random model) is almost never right. The speed-up on real "
        "edits (acceptance of copied n-grams, draft agreement) needs trained models and is not measured here."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vocab", type=int, default=32000)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--tokens", type=int, default=128)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        model = build_model(Path(tmp) / "target", args.vocab, args.hidden, args.layers)
        draft = build_model(Path(tmp) / "draft", args.vocab, 64, 1)
        print(
            f"model: random Llama, vocab {len(model.tokenizer)}, hidden {args.hidden}, {args.layers} layers, "
            f"device {model.device}, 1 torch thread (built in {time.perf_counter() - start:.1f}s)"
        )
        bench_constrained(model, args.tokens)
        bench_speculative(model, draft, args.tokens)


if __name__ == "__main__":
    main()
