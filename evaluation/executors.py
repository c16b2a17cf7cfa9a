"""Where instances run: in this process, in N local processes, or as Ray tasks; results stream back.

Every executor calls ``on_result`` in the main process as each instance
finishes, so the progress bar and the report are the same whichever runs them.

Local parallelism is one fresh process per instance (spawned, at most N at a
time) that saves its results under ``--out`` and exits; the parent reads them
back from there. No pipes or shared queues are involved, so Ctrl-C cannot
wedge a pool: each child gets the interrupt, removes its worktree and exits,
the parent waits for that, and what already finished stays saved.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from multiprocessing import get_context
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess

from core.errors import ConfigError
from core.interrupts import children_start_ignoring_interrupts
from evaluation.instance import Task, evaluate_instance, task_results
from evaluation.store import InstanceResult

OnResult = Callable[[Task, list[InstanceResult]], None]
CLEANUP_SECONDS = 120  # how long an interrupted child may take to remove its worktree
RESEND_SECONDS = 0.5  # how often a worker that has not yet taken the interrupt is sent it again


def run_local(tasks: list[Task], workers: int, on_result: OnResult) -> None:
    """Run ``tasks`` here (``workers`` = 1) or in up to ``workers`` processes at a time."""
    if workers <= 1:
        for task in tasks:
            on_result(task, evaluate_instance(task))
        return
    context = get_context("spawn")
    todo = list(reversed(tasks))
    running: dict[BaseProcess, Task] = {}
    try:
        while todo or running:
            while todo and len(running) < workers:
                child = context.Process(target=_child, args=(todo[-1],), daemon=False)
                running[child] = todo.pop()  # before it starts: an interrupt during the start still stops it
                with children_start_ignoring_interrupts():  # until ``_child`` installs its handler
                    child.start()
            finished = wait([c.sentinel for c in running])
            for done in [c for c in running if c.sentinel in finished]:
                done.join()
                if done.exitcode == 130:  # Ctrl-C reached the worker but not us: we were starting another
                    raise KeyboardInterrupt
                task = running.pop(done)
                on_result(task, task_results(task, died=done.exitcode))
    except KeyboardInterrupt:
        _stop(list(running))
        raise


def _child(task: Task) -> None:
    """A worker process: the first Ctrl-C unwinds the instance (worktree removed), later ones are ignored."""

    def interrupted(signum: int, frame: object) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupted)
    try:
        evaluate_instance(task)
    except KeyboardInterrupt:
        os._exit(130)


def _stop(children: list[BaseProcess]) -> None:
    """Interrupt every worker until it exits, clean-up done: a terminal's Ctrl-C reached them too, but not one
    still starting, which ignores it until its handler is in place. Kill those running after ``CLEANUP_SECONDS``."""
    deadline = time.monotonic() + CLEANUP_SECONDS
    while (alive := [c for c in children if c.is_alive()]) and time.monotonic() < deadline:
        for child in alive:
            if child.pid:
                os.kill(child.pid, signal.SIGINT)  # again each round: one still starting ignored the last
        wait([c.sentinel for c in alive], RESEND_SECONDS)
    for child in children:
        if child.is_alive():
            child.kill()
        if child.pid is not None:  # started
            child.join()


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
