"""What several reviews of candidates for one base share: the base's worktree and its test runs.

Reviewing K candidate patches one by one checks out the base K times, collects
its tests K times and reruns them on the base for every candidate whose tests
fail. Candidates for one issue touch the same files, so the same test
selection comes back again and again: a ``Baseline`` handed to
``tools.gates.review`` keeps one base worktree for the whole selection and
runs each distinct base question once. It also keeps each candidate's test
outcomes, which ``select`` compares (tests that pass on one candidate and fail
on another).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import git

from core.worktrees import worktree

T = TypeVar("T")


@dataclass
class Outcomes:
    """One candidate's related tests: node id -> passed, and how many ran."""

    tests: dict[str, bool] = field(default_factory=dict)
    files: tuple[str, ...] = ()

    @property
    def passed(self) -> int:
        return sum(self.tests.values())

    @property
    def failed(self) -> int:
        return len(self.tests) - self.passed


class Baseline:
    """The base commit's worktree (checked out once, on first use) and memoized answers about it.

    Use as a context manager; the worktree goes when the block ends. Answers are
    keyed by the question (``("collect", tests)``, ``("run", tests)``), so two
    candidates with the same related tests cost one base run.
    """

    def __init__(self, repo: git.Repo, base: str) -> None:
        self.repo, self.base = repo, base
        self._stack = contextlib.ExitStack()
        self._tree: Path | None = None
        self._answers: dict[tuple, object] = {}
        self.outcomes: dict[str, Outcomes] = {}  # by candidate diff
        self.base_runs = 0  # distinct questions the base answered (for the report and the benchmark)

    def __enter__(self) -> Baseline:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    @property
    def tree(self) -> Path:
        if self._tree is None:
            self._tree = self._stack.enter_context(worktree(self.repo, self.base))
        return self._tree

    def answer(self, key: tuple, compute: Callable[[Path], T]) -> T:
        """``compute(base_tree)`` the first time ``key`` is asked, the remembered answer after that."""
        if key not in self._answers:
            self._answers[key] = compute(self.tree)
            self.base_runs += 1
        return self._answers[key]  # type: ignore[return-value]

    def record(self, diff: str, outcomes: Outcomes) -> None:
        """Keep a candidate's test outcomes for the comparison between candidates."""
        self.outcomes[diff] = outcomes
