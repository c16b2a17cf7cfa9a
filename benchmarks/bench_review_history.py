"""Does ``patchgate review`` let through the commits a project's maintainers made, and say why when it does not?

    nice .venv/bin/python benchmarks/bench_review_history.py GIT_DIR [GIT_DIR ...] [--commits 12] [--tests related]
        [--changing library|dependencies]

For each repository (a git directory, e.g. one fetched with the ``fetch`` tool; never a held-out one) a clone
is made and its ``--commits`` newest first-parent, non-merge commits that change a library ``.py`` file (not a
test), or with ``--changing dependencies`` a file its built environment is made of (``pyproject.toml``,
``setup.py``, ``setup.cfg``, a requirement file), are each reviewed as a user reviews one commit: ``python -P -m
patchgate review SHA --json --tests related --tests-env build`` in a fresh process, on the commit's parent's
rules. These are changes a project accepted, most of them after its own CI passed, so a block is a claim to check
by hand: the commit broke a test (a later commit fixed it) or a policy the project does not hold, or the gate is
wrong.

Printed: each commit's verdict, wall time and what its tests gate ran, with the gates' error findings under a
block and the reason under a verdict whose tests judged nothing (they cannot run on the base either: a
"passed" that checked nothing is the other way a verdict is wrong); per repository, how many passed, were
blocked, or were refused as bad input (exit 2), in how many tests ran and in how many they could not run, and
the median wall time; then the whole run's counts.
The machine is shared: ``uptime`` is printed before and after; quote medians with it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tools.commandfiles import is_command_file
from tools.environments import DEPENDENCY_FILES, shapes_environment
from tools.policy import Policies
from tools.selection import is_test_file

TEST_GLOBS = Policies().default.scope.tests.paths
OUTSIDE_LIBRARY = ("docs/", "doc/", "examples/", "benchmarks/", "scripts/", "tools/", "ci/", ".github/")


@dataclass
class Verdict:
    sha: str
    subject: str
    exit_code: int
    seconds: float
    errors: list[str] = field(default_factory=list)
    checked: str = ""
    unchecked: str = ""  # why the tests judged nothing (they cannot run on the base either), when so
    warnings: Counter[str] = field(default_factory=Counter)  # rule -> how many warnings a person would read


def git(tree: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=tree, capture_output=True, text=True, check=True).stdout


def library_file(path: str) -> bool:
    """A library ``.py`` file: not a test, nor outside the library (docs, examples, scripts)."""
    return path.endswith(".py") and not path.startswith(OUTSIDE_LIBRARY) and not is_test_file(path, TEST_GLOBS)


def dependency_file(path: str) -> bool:
    """A file the built environment is made of (``tools.environments``), not a command file alone (a CI workflow;
    pyproject.toml is both)."""
    return shapes_environment(path) and (path in DEPENDENCY_FILES or not is_command_file(path))


def commits_changing(tree: Path, count: int, changing: Callable[[str], bool]) -> list[tuple[str, str]]:
    """The newest first-parent, non-merge commits that change a file ``changing`` names, newest first."""
    found: list[tuple[str, str]] = []
    log = git(tree, "log", "--first-parent", "--no-merges", "--format=%H %s", "-n", str(count * 20))
    for line in log.splitlines():
        sha, _, subject = line.partition(" ")
        files = git(tree, "diff-tree", "--no-commit-id", "--name-only", "-r", sha).split()
        if any(changing(f) for f in files):
            found.append((sha, subject))
        if len(found) == count:
            break
    return found


def review(tree: Path, sha: str, subject: str, tests: str, timeout: float) -> Verdict:
    started = time.perf_counter()
    command = [sys.executable, "-P", "-m", "patchgate", "review", sha, "--json", "--tests", tests]
    done = subprocess.run(
        [*command, "--tests-env", "build", "--timeout", str(timeout)],
        cwd=tree,
        capture_output=True,
        text=True,
    )
    verdict = Verdict(sha[:10], subject[:60], done.returncode, time.perf_counter() - started)
    if done.returncode == 2 or not done.stdout.strip():
        verdict.errors.append((done.stderr.strip().splitlines() or ["(no output)"])[-1])
        return verdict
    for gate in json.loads(done.stdout)["gates"]:
        if gate["name"] == "tests":
            verdict.checked = gate["checked"]
            verdict.unchecked = gate["detail"] if gate["skipped"] else ""
        verdict.warnings.update(f["rule"] for f in gate["findings"] if f["severity"] == "warning")
        if not gate["passed"]:
            errors = [f["message"] for f in gate["findings"] if f["severity"] == "error"]
            verdict.errors.append(f"{gate['name']}: " + ("; ".join(errors) or gate["detail"][-300:]))
    return verdict


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repos", nargs="+", type=Path)
    parser.add_argument("--commits", type=int, default=12)
    parser.add_argument("--tests", choices=["related", "all", "none"], default="related")
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument(
        "--changing",
        choices=["library", "dependencies"],
        default="library",
        help="the commits to review: those that change a library .py file, or a dependency file",
    )
    args = parser.parse_args()
    print("load:", subprocess.getoutput("uptime").strip(), flush=True)
    changing = dependency_file if args.changing == "dependencies" else library_file
    totals = dict.fromkeys(["passed", "blocked", "refused", "tests ran", "tests not checked"], 0)
    for repo in args.repos:
        name = repo.name if repo.name not in {".git", "repo"} else repo.parent.name
        with tempfile.TemporaryDirectory(prefix="bench-review-") as scratch:
            tree = Path(scratch) / "tree"
            cloned = subprocess.run(["git", "clone", "-q", str(repo), str(tree)], capture_output=True, text=True)
            if cloned.returncode != 0:  # a fetched snapshot can lack blobs: say so and go on with the next
                print(f"{name}: cannot be cloned: {cloned.stderr.strip().splitlines()[0][:200]}", flush=True)
                continue
            verdicts = []
            for sha, subject in commits_changing(tree, args.commits, changing):
                verdict = review(tree, sha, subject, args.tests, args.timeout)
                verdicts.append(verdict)
                state = {0: "passed", 1: "BLOCKED"}.get(verdict.exit_code, f"exit {verdict.exit_code}")
                ran = verdict.checked.partition(":")[0] or "no test ran"
                print(f"  {name} {verdict.sha} {state} {verdict.seconds:.1f} s ({ran})  {verdict.subject}", flush=True)
                if verdict.unchecked:
                    print(f"      not checked: {verdict.unchecked[-300:]}", flush=True)
                if verdict.warnings:  # mistune's 1,045 "no longer collected" warnings were wrong, and unseen here
                    said = ", ".join(f"{rule} {count}" for rule, count in verdict.warnings.most_common())
                    print(f"      warnings: {said}", flush=True)
                for error in verdict.errors:
                    print(f"      {error[:400]}", flush=True)
        counts = {
            "passed": sum(v.exit_code == 0 for v in verdicts),
            "blocked": sum(v.exit_code == 1 for v in verdicts),
            "refused": sum(v.exit_code not in (0, 1) for v in verdicts),
            "tests ran": sum(" ran from " in v.checked for v in verdicts),
            "tests not checked": sum(bool(v.unchecked) for v in verdicts),
        }
        for key, value in counts.items():
            totals[key] += value
        median = statistics.median(v.seconds for v in verdicts) if verdicts else 0.0
        print(f"{name}: {len(verdicts)} commits, {counts} median {median:.1f} s", flush=True)
    print(f"all: {totals}")
    print("load:", subprocess.getoutput("uptime").strip())


if __name__ == "__main__":
    main()
