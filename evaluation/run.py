"""``patchgate eval solve`` as a library call: pick the work, run it where asked, write the report.

A rerun with the same ``--out`` skips every instance whose ``result.json`` is
there and evaluates the rest; ``run.json`` records what the folder evaluates
(the predictions or the model, the samples), so results of different
predictions are never mixed in one report.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core.errors import InputError
from evaluation.dataset import Instance, Prediction, load_instances, load_predictions, write_predictions
from evaluation.executors import run_local, run_ray
from evaluation.instance import Task
from evaluation.predict import saved_prediction
from evaluation.report import build_report
from evaluation.store import InstanceResult, load_results, save_text

RUN = "run.json"
REPORT = "report.json"
PREDICTIONS = "predictions.jsonl"


@dataclass(frozen=True)
class SolveEval:
    """What to evaluate and how (the flags of ``eval solve``)."""

    dataset: Path
    repos: Path
    out: Path
    predictions: str | None = None  # a file, "gold" or "empty"; None: agent mode with ``model``
    model: str | None = None
    instances: tuple[str, ...] = ()
    samples: int = 1
    workers: int = 1
    ray: str | None = None  # None: no Ray; "local": a new local cluster; else a cluster address
    timeout: float = 900.0
    envs: Path | None = None
    more_predictions: tuple[str, ...] = ()  # further predictions files: one more sample per instance each


Progress = Callable[[int, int, int, int], None]  # (finished, resolved, evaluated, instances)


def evaluate_solve(config: SolveEval, progress: Progress | None = None) -> dict:
    """Evaluate, save ``report.json`` (also after Ctrl-C, with what finished) and return it."""
    from evaluation.environment import default_cache
    from evaluation.harness import swebench

    if not config.repos.is_dir():
        raise InputError(f"--repos {config.repos} is not a directory")
    if (config.predictions is None) == (config.model is None):
        raise InputError("give either --predictions (a file, gold or empty) or --model")
    if config.samples > 1 and config.model is None:
        raise InputError("--samples needs --model (a predictions file has one patch per instance)")
    swebench()  # the harness's commands and parsers, or one line saying why verdicts cannot be faithful
    instances = load_instances(config.dataset, list(config.instances) or None)
    predictions = load_predictions(config.predictions, instances) if config.predictions else None
    more = [load_predictions(source, instances) for source in config.more_predictions]
    if predictions is not None:
        instances = [i for i in instances if i.instance_id in predictions]
    _claim(config)
    if predictions is not None:
        write_predictions(config.out / PREDICTIONS, [predictions[i.instance_id] for i in instances])
    results: dict[str, list[InstanceResult]] = {}
    tasks = []
    for instance in instances:
        task = Task(
            instance,
            predictions[instance.instance_id] if predictions else None,
            config.repos.resolve(),
            config.out.resolve(),
            (config.envs or default_cache()).resolve(),
            config.timeout,
            config.model,
            config.samples,
            _alternatives(instance, more),
        )
        if (finished := load_results(config.out, instance.instance_id, task.sample_ids)) is not None:
            results[instance.instance_id] = finished
        else:
            tasks.append(task)

    def record(task: Task, done: list[InstanceResult]) -> None:
        if done:
            results[task.instance.instance_id] = done
        if progress:
            progress(len(results), *_tally(results), len(instances))

    if progress:
        progress(len(results), *_tally(results), len(instances))
    submitted = [i.instance_id for i in instances] if predictions is not None else []
    try:
        order = interleaved(tasks)
        if config.ray is not None:
            run_ray(order, None if config.ray == "local" else config.ray, config.workers, record)
        else:
            run_local(order, config.workers, record)
    finally:
        for task in tasks:  # what finished while the run was being interrupted is on disk
            iid = task.instance.instance_id
            if iid not in results and (found := load_results(config.out, iid, task.sample_ids)):
                results[iid] = found
        if predictions is None:
            submitted = _write_agent_predictions(config.out, instances)
        report = build_report(instances, results, submitted)
        save_text(config.out / REPORT, json.dumps(report, indent=1) + "\n")
    return report


def _alternatives(instance: Instance, more: list[dict[str, Prediction]]) -> tuple[Prediction, ...]:
    """The instance's prediction in each further file; a file without one gives an empty patch (unresolved)."""
    iid = instance.instance_id
    return tuple(p.get(iid) or Prediction(instance_id=iid, model_name_or_path="missing", model_patch="") for p in more)


def interleaved(tasks: list[Task]) -> list[Task]:
    """One instance of each repository/version in turn, so parallel workers build different environments
    instead of waiting on one another's build of the same one."""
    groups: dict[tuple[str, str], list[Task]] = {}
    for task in tasks:
        groups.setdefault((task.instance.repo, task.instance.version), []).append(task)
    rounds = max((len(g) for g in groups.values()), default=0)
    return [g[n] for n in range(rounds) for g in groups.values() if n < len(g)]


def _claim(config: SolveEval) -> None:
    """Make ``--out`` hold this evaluation, or refuse one that holds a different one."""
    what: dict[str, object] = {"predictions": config.predictions, "model": config.model, "samples": config.samples}
    if config.more_predictions:
        what["more_predictions"] = list(config.more_predictions)
    run_file = config.out / RUN
    if run_file.is_file():
        try:
            previous = json.loads(run_file.read_text(encoding="utf-8"))
        except ValueError:
            previous = None
        if previous != what:
            raise InputError(f"--out {config.out} holds another evaluation ({previous}); choose a new folder")
        return
    config.out.mkdir(parents=True, exist_ok=True)
    save_text(run_file, json.dumps(what) + "\n")


def _tally(results: dict[str, list[InstanceResult]]) -> tuple[int, int]:
    from evaluation.report import primary

    main = [primary(rs) for rs in results.values() if rs]
    return sum(r.status == "resolved" for r in main), sum(r.evaluated for r in main)


def _write_agent_predictions(out: Path, instances: list[Instance]) -> list[str]:
    made: list[Prediction] = [p for i in instances if (p := saved_prediction(out, i.instance_id)) is not None]
    write_predictions(out / PREDICTIONS, made)
    return [p.instance_id for p in made]
