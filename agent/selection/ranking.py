"""Turn each candidate's evidence into one ranking, with a one-line reason per candidate.

The order is lexicographic where it must be and weighted where it may be:
a candidate that does not apply or parse can never win; passing every gate
outranks any amount of agreement or issue evidence; a test that passed on the
base and fails on a candidate weighs heavily, and so does a candidate whose
changed definitions are the base's but for comments and layout; then agreement between
candidates (the same normalized AST, the same test and probe outcomes), issue
evidence and the optional judge add up; the smaller diff breaks ties.
Every signal can be switched off, which is how its worth is measured.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.console import first_few

SIGNALS = ("gates", "regressions", "change", "agreement", "issue", "judge")
GATES_PASSED = 100.0  # above every other signal together: agreement never lifts a failed candidate over a green one
PER_FAILED_GATE = 5.0
PER_REGRESSION = 20.0  # a test that passed on the base and fails on the candidate
MAX_REGRESSIONS = 3  # counted; more say nothing new
TEST_EDIT = 3.0  # edits existing tests: a fix rarely needs to
NO_OP = 10.0  # changes comments or layout only: cannot fix a bug, though every gate may pass
AGREEMENT = 4.0
ISSUE = 2.0
JUDGE = 3.0


@dataclass
class Evidence:
    """What the selector learned about one candidate (filled step by step by ``select``)."""

    index: int
    diff: str
    error: str = ""  # why it can never win: not a diff, does not apply, does not parse
    duplicate_of: int | None = None
    passed: bool = False  # every gate that ran passed
    failed_gates: list[str] = field(default_factory=list)
    regressions: list[str] = field(default_factory=list)
    related_passed: int = 0
    related_ran: int = 0
    edits_tests: bool = False
    no_op: bool = False  # its changed definitions normalize to the base's
    ast_peers: int = 0
    behaviour_peers: int = 0
    probes: int = 0
    issue_score: float = 0.0
    issue_reasons: list[str] = field(default_factory=list)
    judge: float = 0.0
    judge_reason: str = ""
    score: float = 0.0

    @property
    def eligible(self) -> bool:
        return not self.error


def score(e: Evidence, total: int, signals: frozenset[str]) -> float:
    """The weighted sum of ``e``'s evidence over the ``signals`` in use (see the module docstring)."""
    if not e.eligible:
        return float("-inf")
    value = 0.0
    if "gates" in signals:
        value += GATES_PASSED if e.passed else -PER_FAILED_GATE * len(e.failed_gates)
        value -= TEST_EDIT if e.edits_tests else 0.0
    if "change" in signals and e.no_op:
        value -= NO_OP
    if "regressions" in signals:
        value -= PER_REGRESSION * min(len(e.regressions), MAX_REGRESSIONS)
    if "agreement" in signals and total > 1:
        value += AGREEMENT * (e.ast_peers + e.behaviour_peers) / (2 * (total - 1))
    if "issue" in signals:
        value += ISSUE * e.issue_score
    if "judge" in signals:
        value += JUDGE * e.judge
    return value


def order(evidence: list[Evidence], signals: frozenset[str]) -> list[Evidence]:
    """Best first: the score, then the smaller diff, then the earlier candidate."""
    total = sum(1 for e in evidence if e.eligible)
    for e in evidence:
        e.score = score(e, total, signals)
    return sorted(evidence, key=lambda e: (-e.score, len(e.diff), e.index))


def reason(e: Evidence, total: int) -> str:
    """One line, errors first: "2 of 4 candidates agree; passes 34 related tests; touches `calc.add` ..."."""
    if e.error:
        return e.error
    parts: list[str] = []
    if e.regressions:
        shown = first_few(e.regressions, 2)
        parts.append(f"breaks {len(e.regressions)} test(s) that pass on the base: {shown}")
    if e.failed_gates:
        parts.append("fails gate(s) " + ", ".join(e.failed_gates))
    if e.edits_tests:
        parts.append("edits existing tests")
    if e.no_op:
        parts.append("changes no code (comments, docstrings or layout only)")
    if e.duplicate_of is not None:
        parts.append(f"same patch as #{e.duplicate_of}")
    peers = max(e.ast_peers, e.behaviour_peers)
    if total > 1 and peers:
        how = "same change" if e.ast_peers >= e.behaviour_peers else "same test and probe outcomes"
        parts.append(f"{peers + 1} of {total} candidates agree ({how})")
    if e.related_ran:
        parts.append(f"passes {e.related_passed} of {e.related_ran} related tests")
    if e.probes:
        parts.append(f"answered {e.probes} probe(s)")
    parts.extend(e.issue_reasons)
    if e.judge_reason:
        parts.append(f"judge: {e.judge_reason}")
    if e.passed and not parts:
        parts.append("passes every gate")
    return "; ".join(parts) or "no evidence either way"
