"""A tiny real model for tests and benchmarks: byte-level BPE trained in-process, random 2-layer Llama.

Built in seconds; saved with save_pretrained so it loads through ``hf:PATH``
exactly like a downloaded model would.
"""

from __future__ import annotations

from pathlib import Path

CORPUS = [
    '{"name": "api", "replicas": 3, "ports": [80, 443], "debug": false, "env": null}',
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n",
    '[tool.patchgate]\nmodel = "openai:gpt-4.1"\nretries = 3\n',
    "def add(a, b):\n    return a + b\n\nclass Point:\n    x: int = 0\n",
    "import os\nfor i in range(10):\n    print(i, os.getcwd())\n",
]


def manifest_corpus() -> list[str]:
    """CORPUS plus the shipped example manifests: a tokenizer that has seen Kubernetes YAML, as real ones have."""
    examples = Path(__file__).resolve().parents[2] / "docs" / "examples" / "kubernetes"
    return [*CORPUS, *(p.read_text() for p in sorted(examples.glob("*.yaml")))]


def build_tokenizer(
    special_tokens: list[str] | None = None,
    *,
    eos: str = "<|endoftext|>",
    bos: str | None = None,
    vocab_size: int = 400,
    corpus: list[str] | None = None,
):
    """A byte-level BPE tokenizer trained in-process on ``corpus``, with ``special_tokens`` as single tokens."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    specials = list(dict.fromkeys([eos, *([bos] if bos else []), *(special_tokens or [])]))
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    tok.train_from_iterator((corpus or CORPUS) * 20, trainer)
    extra = [t for t in specials if t not in (eos, bos)]
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, eos_token=eos, pad_token=eos, bos_token=bos, additional_special_tokens=extra
    )


def build_tiny_model(
    path: Path,
    *,
    special_tokens: list[str] | None = None,
    vocab_size: int = 400,
    seed: int = 0,
    layers: int = 2,
    hidden: int = 64,
    corpus: list[str] | None = None,
) -> Path:
    """Train a byte-level BPE tokenizer and save a random Llama next to it; return ``path``."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    fast = build_tokenizer(special_tokens, vocab_size=vocab_size, corpus=corpus)
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(fast),
        hidden_size=hidden,
        intermediate_size=2 * hidden,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=4,
        max_position_embeddings=2048,
        eos_token_id=fast.eos_token_id,
        pad_token_id=fast.eos_token_id,
        bos_token_id=None,
        tie_word_embeddings=False,
    )
    model = LlamaForCausalLM(config)
    path.mkdir(parents=True, exist_ok=True)
    fast.save_pretrained(path)
    model.save_pretrained(path)
    return path
