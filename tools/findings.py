"""The one report type every gate returns, and what a review adds up to.

Gates differ in what they check, never in how they report: a ``GateReport``
holds ``Finding``s, and renderers (terminal table, JSON, SARIF, GitHub
suggestions) read only these types.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Severity = Literal["error", "warning", "note"]


class Finding(BaseModel):
    """One thing a gate found, pinned to a place in the candidate when it has one."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rule: str = Field(description="Stable rule id, e.g. 'security.sql-fstring'; SARIF uses it.")
    message: str = Field(description="What is wrong, written for the person and the model.")
    path: str | None = Field(default=None, description="Repository-relative path, if any.")
    line: int | None = Field(default=None, description="1-based line in the candidate, if any.")
    severity: Severity = "error"
    suggestion: str | None = Field(default=None, description="Replacement text when a fix is known.")


def on_own_commit(findings: list[Finding], own: bool) -> list[Finding]:
    """``findings`` as warnings when the change is a person's own commit, as they are otherwise.

    Deleting a test, skipping one, or a change larger than the limits is how a model games the gates, and
    how a maintainer drops a feature, a platform or a flaky test; the owner sees each of them, and it does not
    block their commit (``model_rules = "all"`` makes it).
    """
    if not own:
        return findings
    return [
        f.model_copy(update={"severity": "warning", "message": f"{f.message} (your own commit: not blocking)"})
        if f.severity == "error"
        else f
        for f in findings
    ]


class GateReport(BaseModel):
    """The outcome of one gate on one candidate."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="The gate's registered name (tools.gate.GATES).")
    passed: bool
    findings: list[Finding] = Field(default_factory=list)
    skipped: bool = Field(
        default=False, description="True when the gate did not run (disabled, or an earlier gate failed)."
    )
    detail: str = Field(default="", description="Short free text for the model: first failing test output, etc.")
    checked: str = Field(
        default="",
        description="What the gate checked, one line for a person: which tests ran, "
        "how many, from which files and why they were chosen.",
    )


class ReviewResult(BaseModel):
    """All gates on one candidate; ``passed`` only if every gate that ran passed."""

    model_config = ConfigDict(extra="forbid")

    passed: bool
    gates: list[GateReport]

    def failed(self) -> list[GateReport]:
        """The gates that ran and failed, in gate order."""
        return [g for g in self.gates if not g.passed and not g.skipped]
