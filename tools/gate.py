"""The gate seam: one ``Gate`` protocol, one ``GateContext``, and the registry of gates by name.

A gate is a class with a ``name``, a ``needs`` (what must hold before it runs) and ``run(ctx) -> GateReport``.
Gates are registered here by name as ``"module:Class"`` and imported only when a review runs them, so adding
a gate is adding a module and one line below. Every list of gate names (CLI choices, options, reports)
derives from ``GATES``; its order is the order gates run and are reported in.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Literal, Protocol

import git

from core.errors import ConfigError
from tools.candidate import Candidate
from tools.findings import GateReport
from tools.policy import Policies

if TYPE_CHECKING:
    from tools.baseline import Baseline
    from tools.options import ReviewOptions

# nothing: runs on the parsed diff alone; applied: reads the patched worktree; green: runs only when every
# other gate passed (it is the expensive proof that the change does what it should).
Needs = Literal["nothing", "applied", "green"]

GATES: dict[str, str] = {
    "apply": "tools.patch:ApplyGate",
    "parse": "tools.parsers:ParseGate",
    "tests": "tools.testing:TestsGate",
    "scope": "tools.scope:ScopeGate",
    "security": "tools.security:SecurityGate",
    "license": "tools.licenses:LicenseGate",
    "issue-tests": "tools.testing:IssueTestsGate",
}


@dataclass
class GateContext:
    """Everything a gate may read about one candidate; gates never write anything but the worktree."""

    repo: git.Repo
    base: str  # the base commit's sha
    diff: str
    candidate: Candidate
    tree: Path  # a throw-away worktree of ``base`` with the diff applied (if apply passed)
    options: ReviewOptions
    policies: Policies
    base_text: Callable[[str], str | None]  # a path's text at ``base``, None if absent or not text
    applied: bool = False
    baseline: Baseline | None = None  # shared with the reviews of other candidates for the same base (select)

    def new_text(self, path: str) -> str | None:
        """A path's text in the patched worktree; None when apply failed, the file is gone or is not text."""
        return text_in(self.tree, path) if self.applied else None


def text_in(tree: Path, rel: str) -> str | None:
    """The UTF-8 text of ``rel`` below ``tree``, or None when it is missing, unreadable or not text."""
    try:
        return (tree / rel).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


class Gate(Protocol):
    """One check of a candidate."""

    name: ClassVar[str]
    needs: ClassVar[Needs]

    def run(self, ctx: GateContext) -> GateReport:
        """Check the candidate in ``ctx``; a gate that could not check something never passes."""
        ...


def gate_names() -> tuple[str, ...]:
    """Every registered gate, in run order."""
    return tuple(GATES)


@cache
def load_gate(name: str) -> Gate:
    """The gate registered as ``name``, imported on first use; an unknown name lists the valid ones."""
    try:
        module, _, cls = GATES[name].partition(":")
    except KeyError:
        raise ConfigError(f"unknown gate {name!r}; valid gates: {', '.join(GATES)}") from None
    gate: Gate = getattr(importlib.import_module(module), cls)()
    return gate
