"""The gate seam: one ``Gate`` protocol, one ``GateContext``, and the registry of gates by name.

A gate is a class with a ``name``, a ``needs`` (what must hold before it runs) and ``run(ctx) -> GateReport``.
Gates are registered here by name as ``"module:Class"`` and imported only when a review runs them
(``core.registry``), so adding a gate is adding a module and one line below; an installed package adds one
through the ``patchgate.gates`` entry-point group. Every list of gate names (CLI choices, options, reports)
derives from :func:`gate_names`: the built-ins in ``GATES`` order, then plugins, then ``LAST``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Literal, Protocol

import git

from core.registry import Registry
from tools.candidate import Candidate
from tools.findings import GateReport
from tools.policy import Policies

if TYPE_CHECKING:
    from core.settings import ReviewOptions, TestSettings
    from tools.baseline import Baseline
    from tools.envbuild import Progress

BaseText = Callable[[str], "str | None"]  # a path's text as the base has it, None if absent or not text

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
LAST = ("issue-tests",)  # the expensive proof runs after every other gate, third parties' included
REGISTRY = Registry("gate", GATES, group="patchgate.gates")


@dataclass
class GateContext:
    """Everything a gate may read about one candidate; gates never write anything but the worktree.

    ``options`` and ``tests`` are the base commit's settings, resolved once at the command's edge
    (``core.settings``): no gate reads a config file.
    """

    repo: git.Repo
    base: str  # the base commit's sha
    diff: str
    candidate: Candidate
    tree: Path  # a throw-away worktree of ``base`` with the diff applied (if apply passed)
    options: ReviewOptions
    tests: TestSettings  # how the project's tests run: environment, sandbox, timeout
    policies: Policies
    base_text: BaseText  # a path's text at ``base``, None if absent or not text
    applied: bool = False
    baseline: Baseline | None = None  # shared with the reviews of other candidates for the same base (select)
    progress: Progress = field(default=lambda _line: None)  # what runs now, for a person waiting

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
    names = REGISTRY.names()
    return (*(n for n in names if n not in LAST), *LAST)


@cache
def load_gate(name: str) -> Gate:
    """The gate registered as ``name``, imported on first use; an unknown name lists the valid ones."""
    gate: Gate = REGISTRY.load(name)()
    return gate
