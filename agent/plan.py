"""The typed plan the model answers before it edits, and the read-only tool requests it may make first.

One schema, ``PlanStep``, is requested as structured output: either tool
calls (to see more of the repository) or the final plan. A strict JSON
schema cannot express "one of", so both are fields and the pipeline reads
whichever is filled; tool calls are honoured only while the budget lasts.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ToolCall(BaseModel):
    """One request for a fixed, read-only tool."""

    model_config = ConfigDict(extra="forbid")

    tool: Literal["open_file", "search", "list_dir"] = Field(
        description="open_file: lines of a file; search: the repository index; list_dir: entries of a directory."
    )
    path: str | None = Field(description="Repository-relative path for open_file / list_dir.")
    start_line: int | None = Field(description="First line for open_file (1-based).")
    end_line: int | None = Field(description="Last line for open_file (inclusive).")
    query: str | None = Field(description="Words to search for (search only).")


class Plan(BaseModel):
    """What will change and how we will know it worked."""

    model_config = ConfigDict(extra="forbid")

    files: list[str] = Field(description="Repository-relative paths of the files to change.")
    symbols: list[str] = Field(description="Functions, classes or settings to change.")
    reasoning: str = Field(description="Why these changes fix the issue.")
    tests: list[str] = Field(description="Tests that should prove the fix (pytest node ids or paths).")


class PlanStep(BaseModel):
    """Either tool calls to make first, or the plan (when tool_calls is empty)."""

    model_config = ConfigDict(extra="forbid")

    tool_calls: list[ToolCall] = Field(description="Read-only tool calls to make before planning; empty when done.")
    plan: Plan | None = Field(description="The final plan; null while tool calls are pending.")
