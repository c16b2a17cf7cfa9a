"""The ``hf`` provider: a local Hugging Face model through transformers + torch.

Device is CUDA when present (bf16 where supported, else fp16), CPU (fp32)
otherwise. Chat models get their tokenizer's chat template; base models get a
plain ``role: text`` prompt. Structured output is decoded under the schema's
grammar (llguidance), so the JSON always parses; pydantic still validates it.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from agent.models.base import Completion, Generated, Message, Usage
from agent.models.retry import ModelSettings
from agent.models.trace import CallRecord, OnCall, emit
from core.errors import ConfigError, OutputValidationError

T = TypeVar("T", bound=BaseModel)


def pick_device() -> tuple[str, Any]:
    """CUDA with bf16 (fp16 on older cards) when there is a GPU; CPU fp32 otherwise."""
    import torch

    if torch.cuda.is_available():
        return "cuda", torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return "cpu", torch.float32


class HFModel:
    """A local causal language model."""

    def __init__(
        self,
        path: str | Path,
        *,
        on_call: OnCall | None = None,
        speculation: str = "prompt_lookup",
        draft_model: str | Path | None = None,
    ) -> None:
        path = Path(path)
        for given in (path, draft_model):  # before importing transformers, which alone takes seconds
            if given is not None and not Path(given).exists():
                raise ConfigError(f"hf model path {given} does not exist (give hf:/path/to/a/saved/model)")
            if given is not None and Path(given).is_dir() and not (Path(given) / "config.json").is_file():
                raise ConfigError(
                    f"{given} is not a model folder: it has no config.json (give the folder save_pretrained wrote)"
                )
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # our own progress goes to stderr through agent.console

        self.name = f"hf:{path}"
        self.on_call = on_call
        self.device, dtype = pick_device()
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(path)
            self.model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype).to(self.device).eval()  # type: ignore[arg-type]
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot load hf model from {path}: {exc}") from None
        self._llg: Any = None
        self.speculation = speculation
        self.draft: HFModel | None = None
        if draft_model is not None:
            from agent.decoding.speculative import check_draft

            self.draft = HFModel(draft_model, speculation="none")
            check_draft(self.tokenizer, self.draft.tokenizer)
            self.speculation = "draft"

    @classmethod
    def from_spec(cls, spec: Any, *, settings: ModelSettings, on_call: OnCall | None = None) -> HFModel:
        """Build from ``hf:PATH``."""
        draft = settings.draft_model.removeprefix("hf:") if settings.draft_model else None
        return cls(spec.name, on_call=on_call, speculation=settings.speculation, draft_model=draft)

    @property
    def llg_tokenizer(self) -> Any:
        """llguidance's tokenizer, built once (it costs about a second on real vocabularies)."""
        if self._llg is None:
            from agent.decoding.constrained import llg_tokenizer

            self._llg = llg_tokenizer(self.tokenizer)
        return self._llg

    def prompt_ids(self, messages: list[Message]) -> list[int]:
        """The chat template when the tokenizer has one, else a plain role-prefixed prompt."""
        if getattr(self.tokenizer, "chat_template", None):
            rendered = self.tokenizer.apply_chat_template(
                [{"role": m.role, "content": m.content} for m in messages], tokenize=False, add_generation_prompt=True
            )
            return self.tokenizer(rendered, add_special_tokens=False)["input_ids"]
        plain = "".join(f"{m.role}: {m.content}\n\n" for m in messages) + "assistant: "
        return self.tokenizer(plain)["input_ids"]

    def generate_ids(
        self,
        prompt: list[int],
        *,
        max_tokens: int,
        temperature: float = 0.0,
        seed: int | None = None,
        logits_processor: list[Any] | None = None,
        stop_ids: list[int] | None = None,
        speculate: bool = False,
        **generate_options: Any,
    ) -> Generated:
        """Run ``model.generate`` on token ids; the one place local decoding happens.

        ``speculate`` applies the model's speculation (prompt lookup or draft) to
        greedy decoding; it is never combined with a logits processor, whose
        per-step state assumes one token at a time.
        """
        import torch
        from transformers import LogitsProcessorList

        from agent.decoding.speculative import speculation_options

        if speculate and not logits_processor:
            generate_options.update(
                speculation_options(self.speculation, draft=self.draft and self.draft.model, temperature=temperature)
            )

        if seed is not None:
            torch.manual_seed(seed)
        stops = list(dict.fromkeys([*(stop_ids or []), self.tokenizer.eos_token_id]))
        inputs = torch.tensor([prompt], device=self.device)
        sampling = {"do_sample": True, "temperature": temperature} if temperature > 0 else {"do_sample": False}
        start = time.monotonic()
        with torch.no_grad():
            out = self.model.generate(
                inputs,
                attention_mask=torch.ones_like(inputs),
                max_new_tokens=max_tokens,
                eos_token_id=stops,
                pad_token_id=stops[0],
                logits_processor=LogitsProcessorList(logits_processor or []),
                **sampling,
                **generate_options,
            )
        tokens = out[0, len(prompt) :].tolist()[:max_tokens]  # assisted generation can overshoot by a draft
        end = next((i for i, token in enumerate(tokens) if token in stops), len(tokens))
        tokens = tokens[:end]  # the first stop token ends the answer
        text = str(self.tokenizer.decode(tokens, skip_special_tokens=False))
        return Generated(text, tokens, len(prompt), time.monotonic() - start)

    def complete(
        self, messages: list[Message], *, max_tokens: int = 1024, temperature: float = 0.0, seed: int | None = None
    ) -> Completion:
        """Free-text answer; greedy answers are sped up by speculation (same tokens, fewer steps)."""
        return self._recorded(
            "complete",
            lambda: self.generate_ids(
                self.prompt_ids(messages), max_tokens=max_tokens, temperature=temperature, seed=seed, speculate=True
            ),
        )

    def generate_constrained(
        self,
        messages: list[Message],
        grammar: str,
        *,
        max_tokens: int = 512,
        temperature: float = 0.0,
        seed: int | None = None,
    ) -> tuple[Completion, Any]:
        """Text that parses under the llguidance ``grammar``, within ``max_tokens`` (guaranteed)."""
        from agent.decoding.constrained import BudgetedGuide, GuideProcessor

        guide = BudgetedGuide(self.llg_tokenizer, grammar, max_tokens)
        processor = GuideProcessor(guide, temperature=temperature, seed=seed)
        completion = self._recorded(
            "generate",
            lambda: self.generate_ids(
                self.prompt_ids(messages), max_tokens=max_tokens + 1, logits_processor=[processor]
            ),
        )
        return completion, guide.stats

    def structured(
        self,
        messages: list[Message],
        schema: type[T],
        *,
        max_tokens: int = 1024,
        temperature: float = 0.0,
        seed: int | None = None,
    ) -> tuple[T, Usage]:
        """JSON decoded under the schema's grammar, then validated by pydantic."""
        from agent.decoding.constrained import llg_grammar

        grammar = llg_grammar(schema=schema.model_json_schema())
        completion, _ = self.generate_constrained(
            messages, grammar, max_tokens=max_tokens, temperature=temperature, seed=seed
        )
        try:
            return schema.model_validate_json(completion.text), completion.usage
        except ValidationError as exc:
            raise OutputValidationError(
                f"{self.name}: constrained answer is not a valid {schema.__name__}: {exc.errors()[0]['msg']}"
            ) from None

    def _recorded(self, kind: str, run: Any) -> Completion:
        record = CallRecord(model=self.name, kind=kind)
        try:
            result: Generated = run()
        except Exception as exc:
            record.error = f"{type(exc).__name__}: {exc}"
            emit(self.on_call, record)
            raise
        usage = record.finish(result.prompt_tokens, len(result.tokens), result.latency_s)
        emit(self.on_call, record)
        return Completion(result.text, usage)
