"""``select``: K candidate patches for one issue in, a ranking with reasons and the chosen one out.

Each distinct candidate is reviewed by every gate (``tools.gates.review``); the
reviews share one ``tools.baseline.Baseline``, so the base is checked out once
and each base test run happens once for the whole set, and identical patches
are reviewed once. Then the candidates are compared with one another
(``fingerprint``: the normalized AST of the changed functions; ``probes``: the
same literal calls answered in each candidate's tree, in the sandbox; the
related tests' outcomes) and with the issue (``evidence``), and ``ranking``
orders them. Nothing here writes to the user's tree.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import git

from agent.selection.evidence import issue_evidence
from agent.selection.fingerprint import ChangedFunction, changed_functions, changes_nothing, fingerprint
from agent.selection.probes import Probe, harvest, issue_code, run_probes
from agent.selection.ranking import SIGNALS, Evidence, order, reason
from core.errors import InputError
from core.git import open_repo, run_git
from core.settings import ReviewOptions, RunSettings, TestSettings
from core.worktrees import worktree
from retrieval.mentions import extract
from tools.baseline import Baseline
from tools.baserules import policy_folder
from tools.candidate import Candidate, parse_diff
from tools.envbuild import Progress
from tools.environments import EnvironmentBuildError, resolve_environment
from tools.findings import ReviewResult
from tools.gate import text_in
from tools.gates import review
from tools.importcheck import importable_modules
from tools.patch import apply_patch
from tools.policy import Policies, matches
from tools.testing import confined

RUN_GATES = ("tests", "issue-tests")  # the gates that run the candidate's code: lent between equal programs
DEFAULT_SIGNALS = frozenset(SIGNALS)


@dataclass
class Ranked:
    """One line of the ranking."""

    index: int
    score: float
    passed: bool
    reason: str
    fingerprint: str = ""


@dataclass
class Selection:
    """The ranking (best first), the chosen candidate (None when none passed the gates), and what ran."""

    chosen: int | None
    best: int | None  # the top candidate that applies and parses, green or not (solve keeps it as its answer)
    ranking: list[Ranked]
    clusters: list[dict]
    reviews: dict[int, ReviewResult] = field(default_factory=dict)
    checked: str = ""
    evidence: list[Evidence] = field(default_factory=list)  # per candidate, to re-rank with fewer signals

    def best_with(self, signals: frozenset[str]) -> int | None:
        """The best candidate had only ``signals`` been used (what each signal adds: the ablation)."""
        top = order([dataclasses.replace(e) for e in self.evidence], signals)[0]
        return top.index if top.eligible else None

    def to_json(self) -> dict:
        """``{"chosen", "ranking", "clusters", "checked"}``; a candidate that can never win has score None."""
        ranking = [{**vars(r), "score": None if r.score == float("-inf") else r.score} for r in self.ranking]
        return {"chosen": self.chosen, "ranking": ranking, "clusters": self.clusters, "checked": self.checked}


@dataclass
class _Work:
    """What one distinct candidate left behind for the comparisons."""

    candidate: Candidate
    texts: dict[str, str | None]
    functions: list[ChangedFunction] = field(default_factory=list)
    print: str = ""
    answers: list[str] | None = None


def select(
    root: Path,
    issue: str,
    diffs: list[str],
    *,
    settings: RunSettings,
    signals: frozenset[str] = DEFAULT_SIGNALS,
    judge: Callable[[str, dict[int, str]], tuple[int, str]] | None = None,
    ranked_files: list[str] | tuple[str, ...] = (),
    progress: Progress | None = None,
) -> Selection:
    """Rank ``diffs`` (candidates for ``issue`` over ``base``) and choose one; bad input raises InputError.

    ``judge(issue, {index: diff})`` answers the index it prefers and why (a model, optional); it only orders
    candidates that passed every gate. ``ranked_files`` is the localizer's ranking when the caller has it.
    ``settings`` are resolved at the base commit by the caller (``core.settings.resolve(root, base=...)``).
    """
    if not diffs:
        raise InputError("no candidates: give at least one patch")
    say = progress or (lambda _msg: None)
    repo = open_repo(root)
    commit, options, tests = settings.commit, settings.review, settings.tests
    test_globs = Policies(policy_folder(repo, commit, options.policy_dir)).default.scope.tests.paths
    evidence = [Evidence(i, d) for i, d in enumerate(diffs)]
    work: dict[int, _Work] = {}
    reviews: dict[int, ReviewResult] = {}
    with Baseline(repo, commit) as baseline, worktree(repo, commit) as scratch:
        first: dict[str, int] = {}
        same_effect: dict[tuple, int] = {}  # what the patched files compile to -> the candidate whose tests ran
        lent = 0  # candidates whose tests were another's (the same program)
        for e in evidence:
            key = _normal(e.diff)
            if key in first:
                e.duplicate_of = first[key]
                continue
            first[key] = e.index
            texts, effect = _patched(scratch, commit, e)
            twin = (
                (diffs[same_effect[effect]], reviews[same_effect[effect]])
                if effect is not None and effect in same_effect
                else None
            )
            say(
                f"candidate {e.index}: gates"
                + (f" (its tests are #{same_effect[effect]}'s)" if twin and effect is not None else "")
            )
            said = functools.partial(_said, say, f"candidate {e.index}: ")
            found = _review(root, e, commit, options, tests, baseline, test_globs, texts, twin, said)
            lent += twin is not None
            if found is not None:
                work[e.index], reviews[e.index] = found
                if effect is not None and twin is None:
                    same_effect[effect] = e.index
        for e in evidence:
            if e.duplicate_of is not None:
                _copy(evidence[e.duplicate_of], e)
                if e.duplicate_of in work:
                    work[e.index], reviews[e.index] = work[e.duplicate_of], reviews[e.duplicate_of]
        is_test = functools.partial(_matches_any, globs=test_globs)
        for index, w in work.items():
            w.functions = changed_functions(w.candidate, w.texts, is_test)
            w.print = fingerprint(w.functions)
            evidence[index].no_op = changes_nothing(w.functions, lambda path: _read(baseline.tree / path))
        probes = [] if options.tests == "none" else _probes(issue, work, baseline, is_test)
        if probes:
            say(f"probing {len(probes)} call(s) on each candidate")
            _run_probes(root, repo, commit, tests, work, probes, scratch)
        ran = baseline.base_runs
    mentions = extract(issue)
    for e in evidence:
        if e.index in work:
            found_issue = issue_evidence(mentions, work[e.index].candidate, work[e.index].functions, list(ranked_files))
            e.issue_score, e.issue_reasons = found_issue.score, found_issue.reasons
            e.probes = len(work[e.index].answers or [])
    clusters = _agreement(evidence, work, baseline.outcomes)
    ranked = order(evidence, signals)
    if judge is not None and "judge" in signals:
        shortlist = {e.index: e.diff for e in ranked if e.passed and e.duplicate_of is None}
        if len(shortlist) > 1:
            pick, why = judge(issue, dict(list(shortlist.items())[:5]))
            for e in evidence:
                if e.index == pick or e.duplicate_of == pick:
                    e.judge, e.judge_reason = 1.0, why
            ranked = order(evidence, signals)
    total = sum(1 for e in evidence if e.eligible)
    ranking = [
        Ranked(e.index, round(e.score, 3), e.passed, reason(e, total), work[e.index].print if e.index in work else "")
        for e in ranked
    ]
    best = ranked[0].index if ranked[0].eligible else None
    chosen = best if best is not None and evidence[best].passed else None
    distinct = len({w.print for w in work.values()})
    checked = (
        f"{len(diffs)} candidate(s), {len(first)} distinct patch(es) reviewed ({lent} the same program as another: "
        f"its tests not run again), {distinct} distinct change(s); {ran} base run(s) shared; {len(probes)} probe(s); "
        f"tests {options.tests}"
    )
    return Selection(chosen, best, ranking, clusters, reviews, checked, evidence)


def _patched(tree: Path, commit: str, e: Evidence) -> tuple[dict[str, str | None], tuple | None]:
    """The candidate's patched file texts (applied in the shared ``tree``) and what they compile to.

    The second value is the AST of every changed file (comments and layout dropped; names, docstrings and
    everything else kept), or None when the patch does not apply or a file is not Python that parses: two
    candidates with equal values run the same code, so their tests need to run only once.
    """
    try:
        candidate = parse_diff(e.diff)
    except InputError:
        return {}, None
    run_git(tree, "checkout", "-f", "-q", commit)
    run_git(tree, "clean", "-fdq")
    if not candidate.files or not apply_patch(tree, e.diff, three_way=True).passed:
        return {}, None
    texts = {f.path: text_in(tree, f.path) for f in candidate.files}
    effect = []
    for changed in candidate.files:
        text = texts[changed.path]
        if not changed.path.endswith(".py") or changed.deleted or text is None:
            return texts, None
        try:
            effect.append((changed.path, ast.dump(ast.parse(text))))
        except (SyntaxError, ValueError):
            return texts, None
    return texts, tuple(sorted(effect))


def _said(say: Progress, prefix: str, line: str) -> None:
    """What the review of one candidate runs now, named for it (``candidate 3: tests: 4 test files on the base``)."""
    say(prefix + line)


def _review(
    root: Path,
    e: Evidence,
    commit: str,
    options: ReviewOptions,
    tests: TestSettings,
    baseline: Baseline,
    test_globs: list[str],
    texts: dict[str, str | None],
    twin: tuple[str, ReviewResult] | None,
    say: Progress,
) -> tuple[_Work, ReviewResult] | None:
    """Every gate on one candidate; None (and ``e.error``) for a non-patch.

    A ``twin`` (a reviewed candidate that compiles to the same code) lends its test gates' reports: the
    cheap, textual gates still run on this candidate's own text.
    """
    try:
        candidate = parse_diff(e.diff)
    except InputError as exc:
        e.error = f"not a patch: {exc}"
        return None
    if not candidate.files:
        e.error = "an empty patch"
        return None
    ran = [g for g in twin[1].gates if g.name in RUN_GATES] if twin else []
    if twin is not None and ran and not any(g.skipped and g.detail.startswith("not run") for g in ran):
        cheap = options.model_copy(update={"disabled": sorted({*options.disabled, *RUN_GATES})})
        own = review(root, e.diff, base=commit, options=cheap, tests=tests, baseline=baseline, progress=say)
        lent = {g.name: g for g in ran}
        gates_list = [lent.get(g.name, g) for g in own.gates] + [
            g for g in ran if g.name not in {x.name for x in own.gates}
        ]
        result = ReviewResult(passed=all(g.passed for g in gates_list if not g.skipped), gates=gates_list)
        if twin[0] in baseline.outcomes:
            baseline.record(e.diff, baseline.outcomes[twin[0]])
    else:
        result = review(root, e.diff, base=commit, options=options, tests=tests, baseline=baseline, progress=say)
    gates = {g.name: g for g in result.gates}
    if not gates["apply"].passed:
        e.error = f"does not apply: {gates['apply'].detail[:160]}"
    elif "parse" in gates and not gates["parse"].passed and not gates["parse"].skipped:
        first = next((f for f in gates["parse"].findings if f.severity == "error"), None)
        e.error = f"does not parse: {first.message[:160] if first else gates['parse'].detail[:160]}"
    e.passed = result.passed
    e.failed_gates = [g.name for g in result.failed()]
    tests_report = gates.get("tests")
    for finding in tests_report.findings if tests_report else []:
        if finding.rule == "tests.new-failure":
            e.regressions.append(finding.message.split(" fails:")[0])
        elif finding.rule == "tests.import-error" and finding.severity == "error":
            e.regressions.append(f"import of {finding.path}")
    outcomes = baseline.outcomes.get(e.diff)
    if outcomes is not None:
        e.related_passed, e.related_ran = outcomes.passed, len(outcomes.tests)
    e.edits_tests = any(f.status != "added" and matches(f.old_path or f.path, test_globs) for f in candidate.files)
    return _Work(candidate, texts), result


def _copy(original: Evidence, duplicate: Evidence) -> None:
    for name in ("error", "passed", "failed_gates", "regressions", "related_passed", "related_ran", "edits_tests"):
        setattr(duplicate, name, getattr(original, name))


def _probes(issue: str, work: dict[int, _Work], baseline: Baseline, is_test: Callable[[str], bool]) -> list[Probe]:
    """Literal calls of the changed module-level functions, from the issue's code and the related tests."""
    functions: dict[str, str] = {}
    for w in work.values():
        modules = {path: name for name, path in importable_modules(baseline.tree, w.candidate, is_test).items()}
        for f in w.functions:
            if f.path in modules and not f.qualname.startswith("<"):
                functions.setdefault(f.qualname, modules[f.path])
    if not functions:
        return []
    tests = {t for o in baseline.outcomes.values() for t in o.files}
    sources = issue_code(issue) + [text for t in sorted(tests) if (text := _read(baseline.tree / t))]
    return harvest(functions, sources)


def _run_probes(
    root: Path,
    repo: git.Repo,
    commit: str,
    settings: TestSettings,
    work: dict[int, _Work],
    probes: list[Probe],
    tree: Path,
) -> None:
    """Each distinct candidate's answers to ``probes``, in the shared ``tree`` reset between candidates."""
    try:
        changed = [path for w in work.values() for path in w.candidate.touched]
        environment = confined(resolve_environment(root, settings, tree=tree, changed=changed), repo, settings)
    except EnvironmentBuildError:
        return
    done: dict[str, list[str] | None] = {}
    for w in work.values():
        if w.candidate.diff in done:
            w.answers = done[w.candidate.diff]
            continue
        run_git(tree, "checkout", "-f", "-q", commit)
        run_git(tree, "clean", "-fdq")
        if apply_patch(tree, w.candidate.diff, three_way=True).passed:
            w.answers = run_probes(tree, probes, environment, settings.pass_env)
        done[w.candidate.diff] = w.answers


def _agreement(evidence: list[Evidence], work: dict[int, _Work], outcomes: dict) -> list[dict]:
    """Peers by the same change (fingerprint) and by the same behaviour (failing tests, probe answers)."""
    by_ast: dict[str, list[int]] = {}
    by_behaviour: dict[tuple, list[int]] = {}
    for e in evidence:
        w = work.get(e.index)
        if w is None or not e.eligible:
            continue
        by_ast.setdefault(w.print, []).append(e.index)
        ran = outcomes.get(w.candidate.diff)
        if ran is not None or w.answers is not None:
            failing = frozenset(t for t, ok in (ran.tests.items() if ran else ()) if not ok)
            by_behaviour.setdefault((failing, tuple(w.answers or ())), []).append(e.index)
    for e in evidence:
        w = work.get(e.index)
        if w is None or not e.eligible:
            continue
        e.ast_peers = len(by_ast[w.print]) - 1
        e.behaviour_peers = next((len(m) - 1 for m in by_behaviour.values() if e.index in m), 0)
    return [
        {"by": by, "members": members}
        for by, groups in (("change", by_ast), ("behaviour", by_behaviour))
        for members in groups.values()
        if len(members) > 1
    ]


def _matches_any(path: str, globs: list[str]) -> bool:
    return matches(path, globs)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def _normal(diff: str) -> str:
    """A diff without its index lines and trailing blanks: two runs of one patch compare equal."""
    return "\n".join(line.rstrip() for line in diff.splitlines() if not line.startswith(("diff --git", "index ")))
