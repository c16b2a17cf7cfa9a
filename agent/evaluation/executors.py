"""Where instances run: in this process, in N local processes, or as Ray tasks; results stream back.

Every executor calls ``on_result`` in the main process as each instance
finishes, so the progress bar and the report are the same whichever runs them.
On Ctrl-C, work not started is dropped, running instances stop and remove
their worktrees (each worker gets the SIGINT too; Ray cancels its tasks), and
what already finished stays saved.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from multiprocessing import get_context

from patchgate.errors import ConfigError
from patchgate.agent.evaluation.instance import Task, evaluate_instance
from patchgate.agent.evaluation.store import InstanceResult

OnResult = Callable[[Task, list[InstanceResult]], None]
_stopping = False


def run_local(tasks: list[Task], workers: int, on_result: OnResult) -> None:
    """Run ``tasks`` here (``workers`` = 1) or in a pool of ``workers`` fresh processes."""
    if workers <= 1:
        for task in tasks:
            on_result(task, evaluate_instance(task))
        return
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"), initializer=_worker_init)
    try:
        pending: dict[Future, Task] = {pool.submit(_in_worker, task): task for task in tasks}
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                on_result(pending.pop(future), future.result())
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _worker_init() -> None:
    """A worker that gets Ctrl-C finishes cleaning up its instance, then starts no other."""

    def interrupted(signum: int, frame: object) -> None:
        global _stopping
        _stopping = True
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupted)


def _in_worker(task: Task) -> list[InstanceResult]:
    if _stopping:
        raise KeyboardInterrupt
    return evaluate_instance(task)


def run_ray(tasks: list[Task], address: str | None, workers: int, on_result: OnResult) -> None:
    """Run each task as a Ray task on the cluster at ``address`` (a new local one when None).

    Paths in the tasks (repositories, --out, the environment cache) must mean the
    same on every node: a shared file system, as usual for Ray clusters.
    """
    try:
        import ray
    except ImportError:
        raise ConfigError("--ray needs Ray: pip install 'patchgate[ray]'") from None
    started = not ray.is_initialized()
    if started:
        options = {"address": address} if address else {"num_cpus": max(workers, 1), "include_dashboard": False}
        ray.init(log_to_driver=False, configure_logging=False, **options)
    remote = ray.remote(num_cpus=1, max_retries=0)(evaluate_instance)
    pending = {remote.remote(task): task for task in tasks}
    try:
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                on_result(pending.pop(ref), ray.get(ref))
    finally:
        for ref in pending:
            ray.cancel(ref)
        if started:
            ray.shutdown()
