"""The solve loop: localize → plan → edit → gate, in rounds, over one or more candidates.

Nothing here writes to the user's working tree: file texts come from the
base commit through git, candidates are gated in throw-away worktrees by
the gates module, and applying the winner is a separate, checked step
(``apply_result``). Every step, model call and gate lands in the run trace.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from agent import prompts
from agent.edit_match import apply_edits
from agent.edit_parse import parse_answer
from agent.edits import EditFormatError, touched_paths, unified_diff
from agent.gating import apply_to_tree, gate, passed_count, require_sandbox, short_report
from agent.models.base import Message, Model, Usage
from agent.plan import Plan, PlanStep
from agent.readonly_tools import Snapshot, ToolBox
from agent.trace import RunTrace
from core.errors import GateFailure, InputError, ModelError
from core.git import changed_paths, open_repo
from core.settings import AgentSettings, RunSettings
from retrieval.context import count_tokens
from tools.envbuild import Progress
from tools.findings import ReviewResult

REPORT_DIFF_CHARS = 3000  # of a re-indented diff shown back to the model


@dataclass
class Candidate:
    """One candidate patch, the rounds it took, and how the gates judged it."""

    index: int
    diff: str = ""
    review: ReviewResult | None = None
    rounds: int = 0
    problem: str = ""  # why there is no gated diff (edits that never applied)

    @property
    def passed(self) -> bool:
        return self.review is not None and self.review.passed

    @property
    def score(self) -> int:
        return passed_count(self.review)


@dataclass
class SolveResult:
    """What a run produced: the chosen candidate (if any), every candidate, and what it cost."""

    run_id: str
    run_dir: Path
    plan: Plan | None
    best: Candidate | None
    candidates: list[Candidate] = field(default_factory=list)
    calls: int = 0
    usage: Usage = field(default_factory=Usage)  # every model call's, summed by the trace

    @property
    def passed(self) -> bool:
        return self.best is not None and self.best.passed


def capped_issue(issue: str, limit: int) -> str:
    """``issue`` cut to ``limit`` characters, with a notice to the person (once) and to the model."""
    if len(issue) <= limit:
        return issue
    from core.console import err

    err.print(
        f"note: the issue has {len(issue):,} characters; the model gets the first {limit:,} ([tool.agent] issue_chars)",
        markup=False,
        style="yellow",
    )
    return issue[:limit] + f"\n\n[... the issue text is cut here: {len(issue) - limit:,} more characters ...]"


def solve(
    root: Path,
    issue: str,
    config: RunSettings,
    *,
    targets: list[str] | tuple[str, ...] = (),
    progress: Progress | None = None,
) -> SolveResult:
    """Run the whole loop for ``issue`` on the repository at ``root``; the user's tree is not touched.

    ``config`` is resolved once by the caller (``core.settings.resolve(root, base=...)``): its base commit
    is where candidates start and whose rules judge them. ``targets`` are pytest ids that must pass (CI's
    failing tests), on top of the ones the plan names.
    """
    from agent.models.registry import resolve_model
    from agent.rerank import rerank as rerank_files
    from retrieval.context import build_context

    base_commit = config.commit  # resolved at the base by the caller (ValueError otherwise)
    settings = config.agent
    say = progress or (lambda _msg: None)
    issue = capped_issue(issue, settings.issue_chars)
    repo = open_repo(root)
    require_sandbox(config.tests)
    # the model is resolved before the run exists: a configuration error leaves no run record behind
    model = resolve_model(config, root, on_call=lambda record: trace.model_call(record))
    trace = RunTrace(root)
    try:
        trace.event(
            "start",
            issue=issue,
            model=config.model or model.name,
            base=base_commit,
            rounds=settings.rounds,
            candidates=settings.candidates,
        )
        say("indexing and localizing")
        reorder = (lambda files, chunks: rerank_files(model, issue, files, chunks)) if settings.rerank else None
        pack = build_context(
            root, issue, config=config.index, budget=settings.context_tokens, refresh=True, reorder=reorder
        )
        trace.event("localize", files=[f.path for f in pack.files], tokens=pack.tokens)
        snapshot = Snapshot(repo, base_commit)
        say("planning")
        tools = ToolBox(snapshot, root, budget=settings.tool_calls)
        plan = make_plan(model, issue, pack.text, tools, trace)
        run = Run(model, issue, pack.text, plan, snapshot, config, trace, say, list(targets), tools.opened)
        made = [run_candidate(run, k) for k in range(settings.candidates)]
        best = choose(root, run, made, [f.path for f in pack.files])
        if best is not None and best.diff:
            trace.save("patch.diff", best.diff)
        trace.event(
            "result",
            passed=bool(best and best.passed),
            chosen=best.index if best else None,
            diff=best.diff if best else "",
            calls=trace.calls,
            tokens=trace.usage.tokens,
            cost_usd=trace.usage.cost_usd,
        )
        return SolveResult(trace.run_id, trace.dir, plan, best, made, trace.calls, trace.usage)
    except KeyboardInterrupt:
        trace.event("interrupted")
        raise
    except Exception as exc:
        trace.event("error", message=str(exc), type=type(exc).__name__)
        raise
    finally:
        trace.close()


def make_plan(model: Model, issue: str, context: str, tools: ToolBox, trace: RunTrace) -> Plan:
    """Ask for the typed plan, answering read-only tool calls while the budget lasts (bounded turns)."""
    messages = prompts.plan_messages(issue, context, tools.budget)
    for _turn in range(tools.budget + 3):
        step, _usage = model.structured(messages, PlanStep, max_tokens=2048)
        if step.plan is not None and (not step.tool_calls or tools.used >= tools.budget):
            trace.event("plan", **step.plan.model_dump(), tool_calls=tools.log)
            return step.plan
        messages = [*messages, Message("assistant", step.model_dump_json())]
        if not step.tool_calls or tools.used >= tools.budget:
            messages.append(Message("user", "No tool calls remain: answer now with tool_calls empty and the plan."))
            continue
        results = [(call.tool, tools.run(call)) for call in step.tool_calls]
        trace.event("tools", calls=[c.model_dump() for c in step.tool_calls], used=tools.used)
        messages.append(prompts.tool_results_message(results))
    raise ModelError("the model never answered with a plan")


@dataclass
class Run:
    """What every candidate of one run shares."""

    model: Model
    issue: str
    context: str
    plan: Plan
    snapshot: Snapshot
    config: RunSettings  # resolved at the command's edge; its base commit is the snapshot's
    trace: RunTrace
    say: Progress
    targets: list[str]
    opened: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # regions shown while planning

    @property
    def settings(self) -> AgentSettings:
        return self.config.agent

    @property
    def edit_budget(self) -> int:
        """Tokens for the first edit prompt (see AgentSettings.context_window)."""
        return (self.settings.context_window - self.settings.max_edit_tokens) // 2


def run_candidate(run: Run, index: int) -> Candidate:
    """Edit and gate in rounds; a failed gate's short report goes back to the model for the next round."""
    plan, trace, say = run.plan, run.trace, run.say
    planned = {p: text for p in plan.files if (text := run.snapshot.read(p)) is not None}
    messages = prompts.edit_messages(run.issue, run.context, plan, planned, run.opened, run.edit_budget)
    trace.event("edit_prompt", candidate=index, tokens=count_tokens(messages[-1].content))
    temperature = 0.0 if index == 0 else run.settings.sample_temperature
    candidate = Candidate(index)
    for round_no in range(1, run.settings.rounds + 1):
        candidate.rounds = round_no
        say(f"candidate {index + 1}: round {round_no}: editing")
        diff, problem, messages, tolerant = edit(run, messages, temperature, seed=index)
        if not diff:
            candidate.problem = problem
            trace.event("edit_failed", candidate=index, round=round_no, problem=problem)
            messages = [*messages, prompts.gate_feedback_message(f"none of your edits could be applied: {problem}")]
            continue
        say(f"candidate {index + 1}: round {round_no}: gating")
        result = gate(run.snapshot.root, diff, run.config, targets=[*plan.tests, *run.targets])
        report = "" if result.passed else short_report(result)
        if tolerant and any(g.name == "parse" for g in result.failed()):
            report += (
                "\n\nYour SEARCH text matched only with whitespace ignored, so patchgate re-indented your "
                "REPLACE lines. This is the diff it built; check the indentation:\n" + diff[:REPORT_DIFF_CHARS]
            )
        trace.event(
            "gate",
            candidate=index,
            round=round_no,
            passed=result.passed,
            diff=diff,
            gates=[g.model_dump() for g in result.gates],
            report=report,
        )
        if candidate.review is None or passed_count(result) >= candidate.score or result.passed:
            candidate.diff, candidate.review, candidate.problem = diff, result, ""
        if result.passed:
            break
        messages = [*messages, prompts.gate_feedback_message(report)]
    return candidate


def edit(run: Run, messages: list[Message], temperature: float, *, seed: int) -> tuple[str, str, list[Message], bool]:
    """One edit answer, with one more try for blocks that did not match.

    Returns the diff, the problem when there is none, the conversation, and whether a block matched only
    with whitespace ignored (then a parse failure shows the model the diff patchgate built).
    """
    problem, snapshot = "", run.snapshot
    for attempt in range(2):
        answer = run.model.complete(
            messages, max_tokens=run.settings.max_edit_tokens, temperature=temperature, seed=seed
        )
        messages = [*messages, Message("assistant", answer.text)]
        try:
            blocks = parse_answer(answer.text, snapshot.read, _only(run.plan.files))
        except EditFormatError as exc:
            problem = str(exc)
            if attempt == 0:
                messages.append(prompts.edit_retry_message([problem]))
            continue
        outcome = apply_edits(blocks, snapshot.read)
        if not outcome.problems:
            originals = {p: snapshot.read(p) for p in outcome.files}
            diff = unified_diff(originals, outcome.files)
            return diff, ("" if diff else "the edits change nothing"), messages, bool(outcome.tolerant)
        problems = [p.message for p in outcome.problems]
        problem = "\n\n".join(problems)
        run.trace.event("edit_mismatch", attempt=attempt + 1, problems=problems)
        if attempt == 0:
            messages.append(prompts.edit_retry_message(problems))
    return "", problem, messages, False


def _only(files: list[str]) -> str | None:
    """The planned file, when the plan names exactly one (blocks that name no file go there)."""
    return files[0] if len(set(files)) == 1 else None


def choose(root: Path, run: Run, candidates: list[Candidate], ranked_files: list[str]) -> Candidate | None:
    """The selector's pick among the candidates that have a diff (``agent.selection``); one needs no comparison.

    When none passed every gate, the selector's best is still returned: solve shows it as the best rejected one.
    """
    from agent.selection import select

    gated = [c for c in candidates if c.diff]
    if len(gated) < 2:
        return gated[0] if gated else (candidates[0] if candidates else None)
    run.say(f"selecting among {len(gated)} candidates")
    review = run.config.review.model_copy(update={"issue_tests": [*run.plan.tests, *run.targets]})
    selection = select(
        root,
        run.issue,
        [c.diff for c in gated],
        settings=run.config.model_copy(update={"review": review}),
        ranked_files=ranked_files,
        progress=run.say,
    )
    run.trace.event(
        "select",
        chosen=selection.chosen,
        checked=selection.checked,
        clusters=selection.clusters,
        ranking=[{**r, "candidate": gated[r["index"]].index} for r in selection.to_json()["ranking"]],
    )
    return gated[selection.best if selection.best is not None else 0]


def apply_result(root: Path, result: SolveResult) -> None:
    """Apply the winner to the user's tree: only if every gate passed and no touched file has uncommitted work."""
    best = result.best
    if best is None or not best.passed:
        raise GateFailure("no candidate passed every gate; nothing was applied")
    dirty = set(touched_paths(best.diff)) & changed_paths(open_repo(root))
    if dirty:
        raise InputError(
            f"not applied: uncommitted changes in {', '.join(sorted(dirty))}; "
            f"commit or stash them, then run: git apply {result.run_dir / 'patch.diff'}"
        )
    apply_to_tree(root, best.diff)
