"""What an instruction asks of a grammar's document, and the tied values a local generator fixes first.

Two things a grammar cannot do by itself, done here for local decoding:

- **Follow the instruction's shape.** "a Deployment ... on one GPU" keeps the
  ``start`` alternatives the instruction names (``deployment``), narrowed to
  the ones that request GPUs (``gpu_*``) when it asks for a GPU, and without
  them when it does not; the GPU count it states fixes the ``GPUS`` tie.
- **Keep tied values equal.** A tie (``core.grammars.TIES``) is one terminal
  written in several places (a selector and the labels it selects). The model
  first writes one ``NAME: value`` line per tie under the tie's own terminal,
  then the document is decoded under the grammar with each tie fixed to its
  value, so the copies are equal by construction.

Nothing here knows an instruction in advance: kinds are read from the
grammar's own alternatives, GPU counts from a number next to "GPU".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from agent.models.base import Message
from core.grammars import GPU_PREFIX, TIES, read_ties, specialise, start_alternatives, tie_matches, ties_text

NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "single": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
}
GPU = re.compile(r"\bgpus?\b", re.I)
# "one GPU", "2 GPUs", "four A100 GPUs", "a single GPU": a count, at most two words before GPU
GPU_COUNT = re.compile(rf"\b(\d+|{'|'.join(NUMBER_WORDS)})\s+(?:[\w.-]+\s+){{0,2}}?gpus?\b", re.I)
TIE_TOKENS = 96  # one short line per tie


@dataclass(frozen=True)
class GrammarPlan:
    """How to specialise grammar ``grammar`` for one instruction."""

    grammar: str
    start: list[str] | None = None  # the start alternatives to keep; None keeps them all
    fixed: dict[str, str] = field(default_factory=dict)  # ties the instruction itself fixes
    open_ties: list[str] = field(default_factory=list)  # ties the model chooses before the document


def gpus_asked(instruction: str) -> int | None:
    """How many GPUs the instruction asks for: None when it names no GPU, 1 when it names one without a count."""
    if not GPU.search(instruction):
        return None
    match = GPU_COUNT.search(instruction)
    if match is None:
        return 1
    word = match.group(1).lower()
    return int(word) if word.isdigit() else NUMBER_WORDS[word]


def plan_for(grammar: str, instruction: str) -> GrammarPlan:
    """The start alternatives and fixed ties that ``instruction`` asks of ``grammar``."""
    alternatives = start_alternatives(grammar)
    named = [a for a in alternatives if re.search(rf"\b{re.escape(a.removeprefix(GPU_PREFIX))}s?\b", instruction, re.I)]
    keep = named or alternatives
    gpus = gpus_asked(instruction)
    on_gpu = [a for a in keep if a.startswith(GPU_PREFIX)]
    off_gpu = [a for a in keep if not a.startswith(GPU_PREFIX)]
    keep = (on_gpu or keep) if gpus is not None else (off_gpu or keep)
    fixed = {}
    if gpus is not None and "GPUS" in TIES.get(grammar, {}) and tie_matches(grammar, "GPUS", str(gpus)):
        fixed["GPUS"] = str(gpus)
    open_ties = [t for t in TIES.get(grammar, {}) if t not in fixed]
    return GrammarPlan(grammar, keep if keep != alternatives else None, fixed, open_ties)


def tie_messages(messages: list[Message], plan: GrammarPlan) -> list[Message]:
    """The document's conversation, asked first for the value of each open tie."""
    wanted = "\n".join(f"{t}: {TIES[plan.grammar][t]}" for t in plan.open_ties)
    return [
        *messages,
        Message(
            "user", f"Before the document, choose these values it will use, one `NAME: value` line each:\n{wanted}"
        ),
    ]


def tie_lark(plan: GrammarPlan) -> str:
    """The Lark grammar of the tie lines (``APP: "web"``), one per open tie."""
    return ties_text(plan.grammar, plan.open_ties)


def document_lark(plan: GrammarPlan, tie_lines: str = "") -> str:
    """The Lark grammar of the document, narrowed by the plan and with every tie fixed (``tie_lines`` for the open)."""
    chosen = read_ties(tie_lines)
    return specialise(plan.grammar, start=plan.start, fixed={**{t: chosen[t] for t in plan.open_ties}, **plan.fixed})
