"""Evaluate one instance: environment, worktree at the base commit, prediction, test patch, tests, gates.

``evaluate_instance`` is a plain function of picklable arguments, so a local
process pool and a Ray task run the very same code. It writes everything it
learns under ``out/logs/<instance_id>/`` and returns the results; the worktree
is removed on success, error and Ctrl-C alike (``core.worktrees.worktree``).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from evaluation.dataset import Instance, Prediction
from evaluation.environment import InstanceEnvironment, build_environment, checkout_at
from evaluation.store import (
    InstanceResult,
    Status,
    instance_dir,
    load_results,
    save_result,
    save_text,
)
from evaluation.testrun import edit_tree, run_tests
from tools.envbuild import EnvironmentBuildError
from tools.overlay import overlay

FUZZ = "5"  # the harness's last resort is GNU patch with --fuzz=5; a prediction it accepts is not patch_failed


@dataclass(frozen=True)
class Task:
    """One instance to evaluate, and where everything lives (picklable: it crosses process and node lines)."""

    instance: Instance
    prediction: Prediction | None  # None: the agent writes the predictions (model/samples below)
    repos: Path
    out: Path
    envs: Path
    timeout: float = 900.0
    model: str | None = None
    samples: int = 1
    alternatives: tuple[Prediction, ...] = ()  # the same instance in further predictions files (select chooses)

    @property
    def sample_ids(self) -> list[int | None]:
        """None for a given prediction or a single agent candidate, else 0..samples-1 (or one per file)."""
        if self.prediction is not None:
            return list(range(1 + len(self.alternatives))) if self.alternatives else [None]
        return [None] if self.samples == 1 else list(range(self.samples))


def evaluate_instance(task: Task) -> list[InstanceResult]:
    """Every result of ``task`` (one, or one per sample), each saved as soon as it is known."""
    instance = task.instance
    folder = instance_dir(task.out, instance.instance_id)
    folder.mkdir(parents=True, exist_ok=True)
    repo_dir = task.repos / instance.repo_key
    if not repo_dir.exists():
        return _all(task, status="error", reason=f"repository {repo_dir} missing")
    started = time.perf_counter()
    try:
        env = build_environment(instance, repo_dir, task.envs)
        save_text(folder / "environment.txt", env.log + "\n")
        env_seconds = round(time.perf_counter() - started, 2)
        with checkout_at(repo_dir, instance.base_commit) as tree:
            candidates: list[tuple[int | None, str, bool]]
            if task.prediction is not None and task.alternatives:
                diffs = [p.model_patch or "" for p in (task.prediction, *task.alternatives)]
                chosen = gates_choice(repo_dir, instance, env, diffs)
                candidates = [(k, diff, k == chosen) for k, diff in enumerate(diffs)]
            elif task.prediction is not None:
                candidates = [(None, task.prediction.model_patch or "", False)]
            else:
                from evaluation.predict import generate

                candidates = generate(task, tree)
            results = []
            for sample, diff, chosen in candidates:
                result = evaluate_patch(task, tree, env, diff, sample=sample)
                result.chosen, result.seconds["env"] = chosen, env_seconds
                save_result(task.out, result)
                results.append(result)
    except EnvironmentBuildError as exc:
        save_text(folder / "environment.txt", f"environment not built: {exc}\n")
        return _all(task, status="env_failed", reason=str(exc))
    return results


def evaluate_patch(
    task: Task, tree: Path, env: InstanceEnvironment, diff: str, *, sample: int | None
) -> InstanceResult:
    """Apply ``diff`` and the test patch to a clean ``tree`` at the base commit, install the tree over the
    environment, run the tests, ask the gates."""
    instance = task.instance
    folder = instance_dir(task.out, instance.instance_id, sample)
    save_text(folder / "patch.diff", diff)
    _reset(tree)
    edit_tree(env.spec, tree)
    result = InstanceResult(
        instance_id=instance.instance_id, sample=sample, status="unresolved", empty_patch=not diff.strip()
    )
    clock = time.perf_counter()
    if not result.empty_patch:
        result.gates_passed, result.gates_failed = gates_verdict(task.repos / instance.repo_key, instance, diff)
        result.seconds["gates"] = round(time.perf_counter() - clock, 2)
        clock = time.perf_counter()
        if problem := apply_prediction(tree, diff):
            result.status, result.reason = "patch_failed", problem
            return result
    if instance.test_patch.strip() and (problem := apply_prediction(tree, instance.test_patch)):
        result.status, result.reason = "error", f"the test patch does not apply: {problem}"
        return result
    result.seconds["apply"] = round(time.perf_counter() - clock, 2)
    clock = time.perf_counter()
    readable = [task.repos / instance.repo_key, env.built.home]
    where = tree.parent / "overlay"
    shutil.rmtree(where, ignore_errors=True)
    try:
        installed = overlay(
            env.built,
            tree,
            where,
            readable=readable,
            exclude_newer=env.exclude_newer,
            uv_args=env.tree_uv_args,
            develop=env.spec.develop,
        )
    except EnvironmentBuildError as exc:
        result.status, result.reason = "env_failed", f"the tree under test could not be set up: {exc}"
        return result
    save_text(folder / "install.txt", installed.note + "\n")
    result.seconds["install"] = round(time.perf_counter() - clock, 2)
    clock = time.perf_counter()
    tests = run_tests(instance, env.spec, installed, tree, folder, task.timeout, readable)
    result.seconds["tests"] = round(time.perf_counter() - clock, 2)
    result.tests = tests.tests
    result.fail_to_pass_failed, result.pass_to_pass_failed = tests.fail_to_pass_failed, tests.pass_to_pass_failed
    if tests.network:
        result.status, result.reason = "env_failed", tests.network
    elif tests.error and not installed.installed and env.built.project_failed:
        # the environment's own build of the project failed too: this machine cannot build it, with or
        # without the prediction (matplotlib's build downloads freetype), so the tests say nothing of the patch
        result.status = "env_failed"
        result.reason = (
            "the project does not build on this machine, so no tree under test can be installed and no "
            f"FAIL_TO_PASS test ran; its environment's build said: {env.built.project_failed}"
        )
    elif tests.error and (blame := _patch_failure(diff, tree, folder / "test_output.txt", tests.error)):
        result.status, result.reason = "unresolved", blame
    elif tests.error:
        result.status, result.reason = "error", tests.error
    else:
        result.status = "resolved" if tests.resolved else "unresolved"
    return result


# "cannot import name 'X' from 'pkg.mod'" (ImportError), "module 'pkg.mod' has no attribute 'X'", and Python 3.6's
# "cannot import name 'X'", whose module is read from the import statement the traceback shows above it
_MISSING_NAME = re.compile(
    r"cannot import name '(?P<name>\w+)' from '(?P<module>[\w.]+)'|module '(?P<module2>[\w.]+)' has no attribute "
    r"'(?P<name2>\w+)'|cannot import name '(?P<name3>\w+)'(?! from)"
)


def _patch_failure(diff: str, tree: Path, log: Path, error: str) -> str:
    """Why a run in which no FAIL_TO_PASS test ran is the prediction's failure, as the harness judges it, or ''.

    Its traceback names a file the prediction changed (it broke the run), or the tests import a name that a
    module of the repository itself lacks (they ask the fix for it). A name missing from a package outside
    the tree (an environment that lacks it) stays the harness's error.
    """
    output = log.read_text(encoding="utf-8", errors="replace")
    # Not tools.candidate.parse_diff: a prediction that applied only through `patch --fuzz` (hunk counts off,
    # as models write them) is one parse_diff rejects, and this reads its file names all the same.
    changed = re.findall(r"^\+\+\+ b/(\S+)", diff, flags=re.MULTILINE)
    if broke := next((path for path in changed if path in output), ""):
        return f"the patch broke the test run in {broke}: {error}"
    for m in _MISSING_NAME.finditer(output):
        module, name = m["module"] or m["module2"], m["name"] or m["name2"]
        if m["name3"]:
            name = m["name3"]
            statements = re.findall(rf"^\s*from ([\w.]+) import [^\n]*\b{name}\b", output[: m.start()], re.MULTILINE)
            module = statements[-1] if statements else ""
        if not module:
            continue
        top = module.split(".")[0]
        if any((where / top).is_dir() or (where / f"{top}.py").is_file() for where in (tree, tree / "src")):
            return f"the tests import {name} from {module}, which the prediction does not define"
    return ""


def apply_prediction(tree: Path, diff: str) -> str:
    """Apply ``diff`` to ``tree`` as the harness would (git apply, then patch --fuzz); '' or why it failed."""
    from tools.patch import apply_patch

    report = apply_patch(tree, diff)
    if report.passed:
        return ""
    if any(f.rule == "apply.unsafe-path" for f in report.findings):
        return report.detail
    data = (diff if diff.endswith("\n") else diff + "\n").encode("utf-8", "surrogateescape")
    for dry in (True, False):
        proc = subprocess.run(
            [
                "patch",
                "--batch",
                f"--fuzz={FUZZ}",
                "-p1",
                "--forward",
                "--no-backup-if-mismatch",
                *(["--dry-run"] if dry else []),
            ],
            cwd=tree,
            input=data,
            capture_output=True,
            check=False,
        )
        if proc.returncode != 0:
            return report.detail or "git apply and patch --fuzz both rejected it"
    return ""


def gates_verdict(repo_dir: Path, instance: Instance, diff: str) -> tuple[bool, list[str]]:
    """patchgate review with the tests gate off: what the gates alone would have said of this patch."""
    from core.settings import resolve
    from tools.gates import review

    settings = resolve(repo_dir, base=instance.base_commit, review={"tests": "none"})
    verdict = review(repo_dir, diff, base=instance.base_commit, options=settings.review, tests=settings.tests)
    return verdict.passed, [g.name for g in verdict.failed()]


def gates_choice(repo_dir: Path, instance: Instance, env: InstanceEnvironment, diffs: list[str]) -> int | None:
    """The sample ``patchgate select`` chooses (its best when none passed every gate), with the related tests
    running in the instance's environment; None when no sample applies."""
    from agent.selection import select
    from core.settings import resolve

    with_patch = [k for k, d in enumerate(diffs) if d.strip()]
    if not with_patch:
        return None
    settings = resolve(
        repo_dir, base=instance.base_commit, review={"tests": "related"}, tests={"python": env.built.python}
    )
    selection = select(repo_dir, instance.problem_statement, [diffs[k] for k in with_patch], settings=settings)
    return with_patch[selection.best] if selection.best is not None else None


def _reset(tree: Path) -> None:
    """Back to the base commit with nothing else in the tree (a previous candidate, an index, caches)."""
    subprocess.run(["git", "reset", "--hard", "--quiet"], cwd=tree, check=True, capture_output=True)
    subprocess.run(["git", "clean", "-ffdxq"], cwd=tree, check=True, capture_output=True)


def task_results(task: Task, *, died: int | None) -> list[InstanceResult]:
    """What a worker process that exited with ``died`` left on disk; an error when it left nothing.

    An interrupted worker (exit 130) leaves nothing on purpose, so a rerun evaluates the instance again.
    """
    found = load_results(task.out, task.instance.instance_id, task.sample_ids)
    if found is not None or died == 130:
        return found or []
    return _all(task, status="error", reason=f"the worker process died (exit code {died})")


def _all(task: Task, *, status: Status, reason: str) -> list[InstanceResult]:
    """The same outcome for every result the task would have had (the prediction, or each sample)."""
    results = []
    for sample in task.sample_ids:
        empty = task.prediction.empty if task.prediction is not None else False
        result = InstanceResult(
            instance_id=task.instance.instance_id, sample=sample, status=status, reason=reason, empty_patch=empty
        )
        save_result(task.out, result)
        results.append(result)
    return results
