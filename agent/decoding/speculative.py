"""Speculative decoding for local models: prompt lookup (default for edits) or a draft model.

Edits repeat their input, so n-grams copied from the prompt are cheap, often
right guesses; a small draft model of the same tokenizer is the general
alternative. Verification is transformers' assisted generation with greedy
acceptance: a guess is kept only where it equals the target model's own
argmax, so greedy output is token-for-token the same with or without it
(tests hold this invariant). Sampling runs without speculation.
"""

from __future__ import annotations

from typing import Any, Literal

from core.errors import ConfigError

Method = Literal["none", "prompt_lookup", "draft"]
METHODS: tuple[str, ...] = ("none", "prompt_lookup", "draft")
LOOKUP_TOKENS = 10  # tokens proposed per prompt-lookup match
LOOKUP_NGRAM = 3  # longest n-gram matched against the prompt
DRAFT_TOKENS = 5  # tokens the draft model proposes per step


def speculation_options(method: str, *, draft: Any = None, temperature: float = 0.0) -> dict[str, Any]:
    """Extra ``generate`` arguments for ``method``; none when sampling (only greedy is exact)."""
    if method not in METHODS:
        raise ConfigError(f"unknown speculation {method!r}; valid: {', '.join(METHODS)}")
    if temperature > 0 or method == "none":
        return {}
    if method == "prompt_lookup":
        return {"prompt_lookup_num_tokens": LOOKUP_TOKENS, "max_matching_ngram_size": LOOKUP_NGRAM}
    if draft is None:
        raise ConfigError("speculation 'draft' needs a draft model (--draft-model hf:/path/to/small-model)")
    return {"assistant_model": draft, "num_assistant_tokens": DRAFT_TOKENS, "num_assistant_tokens_schedule": "constant"}


def check_draft(target_tokenizer: Any, draft_tokenizer: Any) -> None:
    """A draft model must share the target's vocabulary, or its guesses mean other tokens."""
    if target_tokenizer.get_vocab() != draft_tokenizer.get_vocab():
        raise ConfigError("the draft model's tokenizer differs from the target's; use a draft of the same family")
