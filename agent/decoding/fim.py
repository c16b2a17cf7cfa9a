"""Fill-in-the-middle prompts, exactly as each model family's tokenizer defines them.

The family is detected from the tokenizer's own special tokens, never from a
model name: a tokenizer whose FIM tokens we do not know is an error, because
a wrong FIM prompt silently produces plausible garbage. Prompts are built as
token ids, so the sentinels are always single special tokens, never text
that happens to look like them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.errors import ConfigError


@dataclass(frozen=True)
class FimFamily:
    """One family's sentinels, their order and what ends the middle."""

    name: str
    prefix: str
    suffix: str
    middle: str | None  # Codestral has no middle sentinel: the model answers after the prefix
    order: str  # "psm" (prefix, suffix, middle), "spm" (Code Llama suffix-first) or "sp" (Codestral)
    stops: tuple[str, ...]
    requires: tuple[str, ...] = ()  # extra tokens that tell families with the same sentinels apart
    repo_name: str | None = None
    file_sep: str | None = None


# Detection order matters: more specific rows (extra required tokens) come first.
FAMILIES: tuple[FimFamily, ...] = (
    FimFamily("codestral", "[PREFIX]", "[SUFFIX]", None, "sp", ("</s>",)),
    FimFamily(
        "deepseek-coder",
        "<｜fim▁begin｜>",
        "<｜fim▁hole｜>",
        "<｜fim▁end｜>",
        "psm",
        ("<|EOT|>", "<｜end▁of▁sentence｜>"),
    ),
    FimFamily("codellama", "▁<PRE>", "▁<SUF>", "▁<MID>", "psm", ("▁<EOT>", "</s>")),
    FimFamily(
        "qwen2.5-coder",
        "<|fim_prefix|>",
        "<|fim_suffix|>",
        "<|fim_middle|>",
        "psm",
        ("<|endoftext|>", "<|fim_pad|>", "<|file_sep|>", "<|repo_name|>", "<|im_end|>"),
        requires=("<|repo_name|>", "<|file_sep|>"),
        repo_name="<|repo_name|>",
        file_sep="<|file_sep|>",
    ),
    FimFamily(
        "codegemma",
        "<|fim_prefix|>",
        "<|fim_suffix|>",
        "<|fim_middle|>",
        "psm",
        ("<|file_separator|>", "<eos>", "<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>"),
        requires=("<|file_separator|>",),
    ),
    FimFamily(
        "starcoder2",
        "<fim_prefix>",
        "<fim_suffix>",
        "<fim_middle>",
        "psm",
        ("<|endoftext|>", "<file_sep>", "<fim_prefix>"),
        requires=("<file_sep>",),
    ),
    FimFamily("starcoder", "<fim_prefix>", "<fim_suffix>", "<fim_middle>", "psm", ("<|endoftext|>", "<fim_prefix>")),
    FimFamily("santacoder", "<fim-prefix>", "<fim-suffix>", "<fim-middle>", "psm", ("<|endoftext|>", "<fim-prefix>")),
)


@dataclass
class RepoContext:
    """Other files for Qwen2.5-Coder's repository-level FIM form."""

    name: str
    path: str
    files: list[tuple[str, str]] = field(default_factory=list)


def vocabulary(tokenizer: Any) -> dict[str, int]:
    """Every token string the tokenizer knows, added tokens included."""
    return tokenizer.get_vocab()


def detect_family(tokenizer: Any) -> FimFamily:
    """The FIM family whose sentinels this tokenizer has; an unknown one is a ConfigError."""
    vocab = vocabulary(tokenizer)
    for family in FAMILIES:
        needed = [family.prefix, family.suffix, *([family.middle] if family.middle else []), *family.requires]
        if all(tok in vocab for tok in needed):
            return family
    raise ConfigError(
        "this model's tokenizer has no fill-in-the-middle tokens patchgate knows "
        f"(supported: {', '.join(f.name for f in FAMILIES)}); use a FIM-trained code model"
    )


def _ids(tokenizer: Any, text: str) -> list[int]:
    return tokenizer(text, add_special_tokens=False)["input_ids"] if text else []


def fim_prompt_ids(
    tokenizer: Any, family: FimFamily, prefix: str, suffix: str, repo: RepoContext | None = None, *, spm: bool = False
) -> list[int]:
    """Token ids of the FIM prompt; the model's answer is the middle.

    ``spm`` selects Code Llama's suffix-first form (``<PRE> <SUF>{suffix} <MID> {prefix}``).
    """
    vocab = vocabulary(tokenizer)
    pre, suf = vocab[family.prefix], vocab[family.suffix]
    mid = vocab[family.middle] if family.middle else None
    bos = [tokenizer.bos_token_id] if tokenizer.bos_token_id is not None else []
    if family.order == "sp":
        return [*bos, suf, *_ids(tokenizer, suffix), pre, *_ids(tokenizer, prefix)]
    if spm:
        if family.name != "codellama":
            raise ConfigError(f"suffix-first (SPM) prompts are defined for Code Llama only, not {family.name}")
        return [*bos, pre, suf, *_ids(tokenizer, suffix), mid, *_ids(tokenizer, prefix)]
    head = _repo_ids(tokenizer, family, repo) if repo else []
    return [*bos, *head, pre, *_ids(tokenizer, prefix), suf, *_ids(tokenizer, suffix), mid]


def _repo_ids(tokenizer: Any, family: FimFamily, repo: RepoContext) -> list[int]:
    """``<|repo_name|>name\\n<|file_sep|>path\\ncontent\\n ... <|file_sep|>path\\n`` (Qwen2.5-Coder)."""
    if family.repo_name is None or family.file_sep is None:
        raise ConfigError(f"repository-level FIM is defined for Qwen2.5-Coder only, not {family.name}")
    vocab = vocabulary(tokenizer)
    sep = vocab[family.file_sep]
    ids = [vocab[family.repo_name], *_ids(tokenizer, f"{repo.name}\n")]
    for path, content in repo.files:
        ids += [sep, *_ids(tokenizer, f"{path}\n{content}\n")]
    return [*ids, sep, *_ids(tokenizer, f"{repo.path}\n")]


def stop_ids(tokenizer: Any, family: FimFamily) -> list[int]:
    """Token ids that end the middle (those this tokenizer actually has), plus its EOS."""
    vocab = vocabulary(tokenizer)
    ids = [vocab[t] for t in family.stops if t in vocab]
    if tokenizer.eos_token_id is not None:
        ids.append(tokenizer.eos_token_id)
    return list(dict.fromkeys(ids))
