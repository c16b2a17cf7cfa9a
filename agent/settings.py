"""``[tool.agent]``, in a module of its own: ``context`` reads its token budget without importing
the whole solve pipeline (models, gates, GitPython: over a second of a cold ``context`` on a busy machine)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class AgentSettings(BaseModel):
    """``[tool.agent]``: the bounds of one solve run."""

    model_config = ConfigDict(extra="forbid")

    rounds: int = Field(default=3, ge=1, description="Gate rounds per candidate (a failed gate's report goes back).")
    candidates: int = Field(default=1, ge=1, description="Candidates sampled; the one passing most gates wins.")
    context_tokens: int = Field(default=6000, ge=500, description="Token budget of the packed context.")
    tool_calls: int = Field(default=6, ge=0, description="Read-only tool calls the model may make while planning.")
    max_edit_tokens: int = Field(default=4096, ge=256, description="Completion budget of one edit answer.")
    context_window: int = Field(default=16384, ge=2048, description=(
        "The model's context window in tokens. The first edit prompt gets half of what the edit answer "
        "leaves, so the answer and feedback rounds still fit; planned files are cut to fit it."))
    sample_temperature: float = Field(default=0.7, ge=0, le=2, description="Temperature of candidates after the first.")
    rerank: bool = Field(default=False, description="Let the model reorder the top-ranked files before planning.")
