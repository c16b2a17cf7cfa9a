"""Grammar-constrained decoding with llguidance, with a budget the document always fits.

The guarantee is absolute, even for a random-weights model: at every step the
guide holds a *closing plan*, a token path from the current parser state to
an accepting one, that fits in the tokens left. A sampled token is accepted
only if a plan still fits after it; otherwise the guide follows the plan it
already holds. The document therefore parses under the grammar within
``max_tokens`` by construction, not by luck.

The guide runs inside ``transformers`` generation as a logits processor: it
masks the logits with llguidance's token mask, picks the token (greedy or
seeded sampling) and returns a one-hot score row, so ``generate`` (greedy)
emits exactly the token the guide verified.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any, cast

import llguidance
import numpy as np
import torch

from core.errors import ConfigError, InputError
from core.grammars import grammar_text

# Characters that tend to close a document, tried first when planning the shortest close.
CLOSERS = ['"', "}", "]", "\n", ":", ",", "=", " ", "0", "a", "-", ".", "1"]
MAX_PLAN = 400
MAX_EXPANSIONS = 2000
OTHER_OPTIONS = 4
_WORD = re.compile(rb"[A-Za-z0-9_]+")
_CLOSING_BYTES = set(b"}]) \n")


def llg_grammar(*, grammar: str | None = None, schema: dict[str, Any] | None = None, lark: str | None = None) -> str:
    """An llguidance grammar from a shipped grammar name, Lark text (a specialised one) or a JSON Schema."""
    if sum(given is not None for given in (grammar, schema, lark)) != 1:
        raise InputError("give exactly one of a grammar name, a Lark grammar or a JSON schema")
    if schema is not None:
        text = llguidance.LLMatcher.grammar_from_json_schema(
            json.dumps(schema), overrides={"whitespace_flexible": False}
        )
    else:
        text = llguidance.LLMatcher.grammar_from_lark(lark if lark is not None else grammar_text(grammar or ""))
    is_error, messages = llguidance.LLMatcher.validate_grammar_with_warnings(text)
    if is_error:
        raise ConfigError(f"grammar is invalid: {'; '.join(messages)}")
    return text


def llg_tokenizer(hf_tokenizer: Any) -> llguidance.LLTokenizer:
    """llguidance's view of a Hugging Face fast tokenizer (about a second for big vocabularies)."""
    import llguidance.hf

    return llguidance.hf.from_tokenizer(hf_tokenizer)


@dataclass
class GuideStats:
    """What the guide spent, for benchmarks: mask µs per step and planning µs per step."""

    mask_s: list[float] = field(default_factory=list)
    plan_s: list[float] = field(default_factory=list)
    forced_close: bool = False


class BudgetedGuide:
    """An llguidance matcher plus a closing plan that always fits the remaining budget."""

    def __init__(self, tokenizer: llguidance.LLTokenizer, grammar: str, max_tokens: int) -> None:
        self.tok = tokenizer
        self.matcher = llguidance.LLMatcher(tokenizer, grammar)
        if self.matcher.is_error():
            raise ConfigError(f"grammar is invalid: {self.matcher.get_error()}")
        self.vocab = tokenizer.vocab_size
        self.eos = tokenizer.eos_token
        self.budget = max_tokens
        self.produced = 0
        self.stats = GuideStats()
        self._closers = [ids[0] for c in CLOSERS if len(ids := tokenizer.tokenize_str(c)) == 1]
        self._by_length = _tokens_by_length(tokenizer, exclude={self.eos, *self._closers})
        self.plan = self._shortest_close(max_tokens)
        if self.plan is None:
            raise InputError(f"--max-tokens {max_tokens} is too small for the shortest document of this grammar")

    @property
    def done(self) -> bool:
        return self.matcher.is_stopped()

    def allowed(self) -> np.ndarray:
        """A boolean mask over the vocabulary: which tokens the grammar allows now."""
        start = time.perf_counter()
        bits = np.unpackbits(np.frombuffer(self.matcher.compute_bitmask(), dtype=np.uint8), bitorder="little")
        self.stats.mask_s.append(time.perf_counter() - start)
        return bits[: self.vocab].astype(bool)

    def choose(
        self, logits: torch.Tensor, *, temperature: float = 0.0, generator: torch.Generator | None = None
    ) -> int:
        """Pick, verify and consume the next token; EOS once the document is complete and chosen."""
        if self.done:  # the grammar admits nothing more (e.g. JSON after its last bracket)
            return self.eos
        remaining = self.budget - self.produced
        if self.stats.forced_close or remaining <= 0:
            token = self.plan.pop(0) if self.plan else self.eos
            return self._consume(token)
        token = self._sample(logits, self.allowed(), temperature, generator)
        if token == self.eos:
            return self._consume(token)
        if self.plan and token == self.plan[0]:
            self.plan = self.plan[1:]
            return self._consume(token)
        start = time.perf_counter()
        plan = self._plan_after(token, remaining - 1)
        self.stats.plan_s.append(time.perf_counter() - start)
        if plan is None:  # the sampled token could not close in time: follow the verified plan
            self.stats.forced_close = True
            token = self.plan.pop(0) if self.plan else self.eos
        else:
            self.plan = plan
        return self._consume(token)

    def _plan_after(self, token: int, limit: int) -> list[int] | None:
        """A closing plan from the state after ``token``: the current plan if it still closes, else a search."""
        self.matcher.consume_token(token)
        try:
            if self.plan is not None and len(self.plan) <= limit and self._closes(self.plan):
                return self.plan
            return self._shortest_close(limit)
        finally:
            self.matcher.rollback(1)

    def _closes(self, tokens: list[int]) -> bool:
        """Whether ``tokens`` lead from the current state to an accepting one (state left unchanged)."""
        taken = self.matcher.try_consume_tokens(tokens)
        accepting = taken == len(tokens) and self.matcher.is_accepting()
        self.matcher.rollback(taken)
        return accepting

    def _consume(self, token: int) -> int:
        if token == self.eos and self.matcher.is_stopped():
            return token
        if not self.matcher.consume_token(token):
            raise RuntimeError(f"llguidance rejected token {token}: {self.matcher.get_error()}")
        if token != self.eos:
            self.produced += 1
        return token

    def _sample(
        self, logits: torch.Tensor, allowed: np.ndarray, temperature: float, generator: torch.Generator | None
    ) -> int:
        scores = logits[: self.vocab].float().clone()
        if scores.shape[0] < self.vocab:
            allowed = allowed[: scores.shape[0]]
        scores[~torch.from_numpy(allowed)] = float("-inf")
        if temperature <= 0:
            return int(torch.argmax(scores))
        probs = torch.softmax(scores / temperature, dim=-1)
        return int(torch.multinomial(probs, 1, generator=generator))

    def _shortest_close(self, limit: int) -> list[int] | None:
        """A short token path to an accepting state within ``limit`` tokens (matcher left unchanged).

        Depth-first over the allowed tokens, closers first, cutting loops (see
        ``_loops``). Bounded by ``MAX_EXPANSIONS`` mask computations.
        """
        path: list[int] = []
        was_forced: list[bool] = []
        seen: dict[bytes, list[int]] = {}  # token mask at a choice point -> path lengths where it was met
        budget = [MAX_EXPANSIONS]

        def search() -> bool:
            if self.matcher.is_accepting():
                return True
            if len(path) >= min(limit, MAX_PLAN) or budget[0] <= 0:
                return False
            budget[0] -= 1
            forced = self.matcher.compute_ff_tokens()
            mask = b"" if forced else self.matcher.compute_bitmask()
            if mask and self._loops(path, was_forced, seen.get(mask, [])):
                return False
            if mask:
                seen.setdefault(mask, []).append(len(path))
            for token in forced[:1] or self._options(mask):
                if self.matcher.consume_token(token):
                    path.append(token)
                    was_forced.append(bool(forced))
                    if search():
                        return True
                    path.pop()
                    was_forced.pop()
                    self.matcher.rollback(1)
            if mask:
                seen[mask].pop()
            return False

        found = search()
        self.matcher.rollback(len(path))
        return path if found else None

    def _options(self, mask: bytes) -> list[int]:
        """Allowed closers in preference order, then a few other allowed tokens (shortest first)."""
        bits = np.unpackbits(np.frombuffer(mask, dtype=np.uint8), bitorder="little")
        options = [t for t in self._closers if bits[t]]
        others = self._by_length[bits[self._by_length].astype(bool)][:OTHER_OPTIONS]
        return options + [int(t) for t in others]

    def _loops(self, path: list[int], was_forced: list[bool], met: list[int]) -> bool:
        """Whether reaching this choice point again means the plan is going round a repeatable rule.

        ``met`` holds where the same token mask was met before. A loop is either
        a return with only free choices in between (a longer name) or a third
        return whose stretch looks like the previous one, words collapsed (one
        more list item). Closing brackets are never a loop.
        """
        if not met:
            return False
        stretch = path[met[-1] :]
        if self._only_closing(stretch):
            return False
        if not any(was_forced[met[-1] :]):
            return True
        return len(met) >= 2 and self._skeleton(stretch) == self._skeleton(path[met[-2] : met[-1]])

    def _only_closing(self, tokens: list[int]) -> bool:
        return set(self.tok.decode_bytes(tokens)) <= _CLOSING_BYTES

    def _skeleton(self, tokens: list[int]) -> bytes:
        return _WORD.sub(b"w", self.tok.decode_bytes(tokens))


_ORDER_CACHE: dict[int, np.ndarray] = {}


def _tokens_by_length(tokenizer: llguidance.LLTokenizer, exclude: set[int]) -> np.ndarray:
    """Token ids sorted by byte length (then id), minus ``exclude``; cached per tokenizer."""
    key = id(tokenizer)
    if key not in _ORDER_CACHE:
        lengths = np.array([len(tokenizer.decode_bytes([t])) for t in range(tokenizer.vocab_size)])
        _ORDER_CACHE[key] = np.argsort(lengths, kind="stable")
    order = _ORDER_CACHE[key]
    return order[~np.isin(order, list(exclude))]


class GuideProcessor:
    """A transformers logits processor that lets ``BudgetedGuide`` choose every token."""

    def __init__(self, guide: BudgetedGuide, *, temperature: float = 0.0, seed: int | None = None) -> None:
        self.guide = guide
        self.temperature = temperature
        self.generator = torch.Generator().manual_seed(seed) if seed is not None else None
        self.last: int | None = None

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        if self.last is not None and int(input_ids[0, -1]) != self.last:
            raise RuntimeError(
                "generation did not emit the guided token; another logits processor or sampler "
                "changed the scores after the grammar guide"
            )
        self.last = token = self.guide.choose(scores[0].cpu(), temperature=self.temperature, generator=self.generator)
        forced = torch.full_like(scores, float("-inf"))
        forced[0, token] = 0.0
        return cast(torch.FloatTensor, forced)
