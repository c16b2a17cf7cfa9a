"""What a review runs and how: ``[tool.patchgate.review]``, overridden by flags.

    [tool.patchgate.review]
    tests = "none"            # the hook stays fast
    usage = "commercial"      # restricted model licences fail the license gate
    allow_protected = [".github/dependabot.yml"]
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tools.gate import gate_names

# Every gate but apply can be turned off: the others read the applied tree.
ALWAYS_ON = ("apply",)


def switchable_gates() -> tuple[str, ...]:
    """The gates a configuration or ``--skip`` may turn off."""
    return tuple(g for g in gate_names() if g not in ALWAYS_ON)


class ReviewOptions(BaseModel):
    """Settings of one review; every field has a safe default."""

    model_config = ConfigDict(extra="forbid")

    tests: Literal["related", "all", "none"] = Field(
        default="related", description="Which tests the tests gate runs: related to the change, all, or none.")
    timeout: float = Field(default=300.0, gt=0, description="Seconds the test run may take (each of base and candidate).")
    tests_env: Literal["auto", "build"] | None = Field(
        default=None, description="Where tests run: 'build' an isolated environment with uv, 'auto' find the "
                                  "project's; unset, [tool.patchgate.tests] env decides.")
    tests_python: Path | None = Field(
        default=None, description="Interpreter the tests run in, over [tool.patchgate.tests] python (eval solve sets "
                                  "the instance's environment; not a repository setting).")
    disabled: list[str] = Field(default_factory=list, description="Gates to skip entirely (apply always runs).")
    usage: Literal["commercial", "non-commercial", "unspecified"] = Field(
        default="unspecified", description="How the project is used; 'commercial' fails on restricted model licences.")
    allowed_paths: list[str] = Field(default_factory=list, description="If set, the only paths a change may touch (globs).")
    denied_paths: list[str] = Field(default_factory=list, description="Paths a change may never touch (globs).")
    allow_protected: list[str] = Field(
        default_factory=list, description="Protected paths (CI, lockfiles) this repository allows changes to (globs).")
    max_files: int | None = Field(default=None, ge=1, description="Most files a change may touch (policy default if unset).")
    max_hunks: int | None = Field(default=None, ge=1, description="Most hunks a change may have.")
    max_changed_lines: int | None = Field(default=None, ge=1, description="Most added plus removed lines.")
    grammars: dict[str, str] = Field(
        default_factory=dict, description="Glob -> grammar in core.grammars that matching files must parse under.")
    policy_dir: Path | None = Field(default=None, description="A folder with the repository's own policy YAML files.")
    issue_tests: list[str] = Field(
        default_factory=list, description="Tests (pytest ids) that must pass on the candidate; the agent sets the "
                                          "plan's, and the issue-tests gate runs only when there are some.")

    @field_validator("disabled")
    @classmethod
    def _known_gates(cls, names: list[str]) -> list[str]:
        switchable = switchable_gates()
        for name in names:
            if name not in switchable:
                raise ValueError(f"unknown gate {name!r}; gates that can be turned off: {', '.join(switchable)}")
        return names

    def test_overrides(self) -> dict[str, object]:
        """What these options override of ``[tool.patchgate.tests]`` (None: the file or the default decides)."""
        return {"env": None if self.tests_python else self.tests_env, "python": self.tests_python}

    def enabled(self, gate: str) -> bool:
        """Whether ``gate`` runs at all (issue-tests need tests to run; with tests = 'none' the tests gate only
        imports the changed modules)."""
        if gate not in gate_names():
            raise ValueError(f"unknown gate {gate!r}")
        if gate in self.disabled:
            return False
        if gate == "issue-tests":
            return bool(self.issue_tests)
        return True
