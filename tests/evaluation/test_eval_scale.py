"""The same report from N local processes and from Ray tasks on a small local cluster; Ctrl-C keeps what finished."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from evalkit import build, worktrees
from test_eval_solve import evaluate

from tests.conftest import ctrl_c_as_a_worker_starts, spawned_workers

STABLE = ("resolved_ids", "unresolved_ids", "env_failed_ids", "evaluated_ids", "error_ids", "empty_patch_ids")


def stable(report_file: Path) -> dict:
    report = json.loads(report_file.read_text())
    return {key: report[key] for key in STABLE}


@pytest.mark.slow
def test_two_workers_report_what_one_does(tmp_path: Path, envs: Path) -> None:
    data = build(tmp_path, network=True)
    one, _ = evaluate(data, tmp_path / "one", envs, "--predictions", "gold")
    two, summary = evaluate(data, tmp_path / "two", envs, "--predictions", "gold", "--workers", "2")
    assert one.returncode == 0 and two.returncode == 0, two.stderr
    assert stable(tmp_path / "two" / "report.json") == stable(tmp_path / "one" / "report.json")
    assert summary["resolved_ids"] == ["acme__calc-1"] and summary["env_failed"] == 1


@pytest.mark.slow
def test_ray_tasks_on_a_local_cluster_report_what_local_processes_do(tmp_path: Path, envs: Path) -> None:
    pytest.importorskip("ray")
    data = build(tmp_path, network=True)
    evaluate(data, tmp_path / "local", envs, "--predictions", "gold")
    on_ray, summary = evaluate(data, tmp_path / "ray", envs, "--predictions", "gold", "--workers", "2", "--ray")
    assert on_ray.returncode == 0, on_ray.stdout + on_ray.stderr
    assert stable(tmp_path / "ray" / "report.json") == stable(tmp_path / "local" / "report.json")
    assert summary["resolved"] == 1


@pytest.mark.slow
@pytest.mark.parametrize("stop", ["ctrl-c", "sigterm"])
def test_ctrl_c_leaves_no_worktree_and_keeps_finished_results(tmp_path: Path, envs: Path, stop: str) -> None:
    data = build(tmp_path)
    data.path.write_text(json.dumps([data.rows[0], _slow(data.rows[0], "acme__calc-slow")]))
    out = tmp_path / "out"
    proc = _eval_in_two_workers(data, out, envs)
    finished = out / "logs" / "acme__calc-1" / "result.json"
    running = out / "logs" / "acme__calc-slow" / "test_output.txt"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None and not (finished.exists() and _tests_started(out)):
        time.sleep(0.2)
    try:
        assert finished.exists(), "the quick instance never finished"
        assert _tests_started(out), "the slow instance's tests never started"  # or Ctrl-C would interrupt less
        if stop == "ctrl-c":
            os.killpg(proc.pid, signal.SIGINT)  # what a terminal does on Ctrl-C: the whole process group
        else:
            proc.terminate()  # what kill and timeout do: SIGTERM to patchgate alone, which stops its workers
        _, stderr = proc.communicate(timeout=90)
    except (AssertionError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)
        raise
    assert proc.returncode == 130 and "interrupted" in stderr, f"exit {proc.returncode}: {stderr[-2000:]}"
    assert worktrees(data.repos / "acme__calc") == [str(data.repos / "acme__calc")]
    report = json.loads((out / "report.json").read_text())
    assert report["resolved_ids"] == ["acme__calc-1"] and report["incomplete_ids"] == ["acme__calc-slow"]
    assert not running.exists() and not (out / "logs" / "acme__calc-slow" / "result.json").exists()


@pytest.mark.slow
def test_ctrl_c_while_a_worker_starts_is_one_line_too(tmp_path: Path, envs: Path) -> None:
    # a worker imports for its first half second or more: a Ctrl-C there printed its traceback on the terminal
    data = build(tmp_path)
    slow = [_slow(data.rows[0], f"acme__calc-slow{n}") for n in range(2)]  # a worker that missed it runs on
    data.path.write_text(json.dumps(slow))
    proc = _eval_in_two_workers(data, tmp_path / "out", envs)
    stderr = ctrl_c_as_a_worker_starts(proc)
    assert proc.returncode == 130 and "Traceback" not in stderr, stderr
    assert stderr.strip().splitlines()[-1] == "error: interrupted"
    assert worktrees(data.repos / "acme__calc") == [str(data.repos / "acme__calc")]


@pytest.mark.slow
def test_a_worker_interrupted_alone_stops_the_run(tmp_path: Path, envs: Path) -> None:
    # what a Ctrl-C that lands while eval solve starts a worker (and ignores it those milliseconds) leaves: only
    # the workers already running took it; the run must stop all the same, not go on without their instances
    data = build(tmp_path)
    data.path.write_text(json.dumps([_slow(data.rows[0], f"acme__calc-slow{n}") for n in range(2)]))
    out = tmp_path / "out"
    proc = _eval_in_two_workers(data, out, envs)
    started = [out / "logs" / f"acme__calc-slow{n}" / "install.txt" for n in range(2)]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None and not all(p.exists() for p in started):
        time.sleep(0.2)
    try:
        assert all(p.exists() for p in started), "the tests never started"
        os.kill(spawned_workers(proc.pid)[0], signal.SIGINT)
        _, stderr = proc.communicate(timeout=90)
    except (AssertionError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)
        raise
    assert proc.returncode == 130 and stderr.strip().splitlines()[-1] == "error: interrupted", stderr
    assert json.loads((out / "report.json").read_text())["incomplete_ids"] == ["acme__calc-slow0", "acme__calc-slow1"]


def _slow(row: dict, instance_id: str) -> dict:
    """``row`` as another instance whose tests sleep two minutes."""
    test_patch = row["test_patch"].replace("assert add(2, 3) == 5", "import time; time.sleep(120)")
    return dict(row, instance_id=instance_id, test_patch=test_patch)


def _eval_in_two_workers(data, out: Path, envs: Path) -> subprocess.Popen[str]:
    """``eval solve`` of the gold patches in two worker processes, started as a terminal starts it."""
    command = [sys.executable, "-P", "-m", "patchgate", "eval", "solve", "--dataset", str(data.path)]
    command += ["--repos", str(data.repos), "--out", str(out), "--envs", str(envs), "--predictions", "gold"]
    return subprocess.Popen(
        [*command, "--workers", "2"],
        env={**os.environ, "NO_COLOR": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _tests_started(out: Path) -> bool:
    """The slow instance's tests are starting: ``install.txt`` is written when its tree is installed over the
    environment, just before the test command runs (and its two minutes of sleep begin)."""
    return (out / "logs" / "acme__calc-slow" / "install.txt").exists()
