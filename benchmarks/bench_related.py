"""Does ``--tests related`` catch what ``--tests all`` catches, and at what fraction of its time?

    nice .venv/bin/python benchmarks/bench_related.py GIT_DIR [GIT_DIR ...] [--mutants 12] [--commits 8] [--seed 1]

For each repository (a git directory, e.g. one fetched with the ``fetch`` tool; never a held-out one), the
newest commit is checked out, its test environment built with uv (cached, sandboxed: ``tools.environments``),
and two kinds of breaking change replayed:

- mutants: a random library function's first ``return EXPR`` becomes ``return None``, or its first
  comparison is inverted;
- history: a recent commit that changed library code and tests, with its library change reverted on top of
  the commit (the tests that came with it should notice).

Each change is run once with every test file pytest collects (``all``) and once with the files
``tools.selection`` picks (``related``), in the sandbox. A change counts as *caught* when some test that
passes on the unchanged tree fails. Printed: per repository and overall, how many changes ``all`` caught,
how many of those ``related`` caught (recall), and the summed run time of related over all (time ratio),
with the median selection time. The machine is shared: the script prints ``uptime`` before and after.
"""

from __future__ import annotations

import argparse
import ast
import random
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from core.git import open_repo
from tools.candidate import parse_diff
from tools.environments import TestSettings, build_environment, default_cache_dir, project_recipe
from tools.options import ReviewOptions
from tools.policy import Policies
from tools.pytestrun import run_pytest
from tools.selection import is_test_file, select_tests
from tools.testing import confined

GLOBS = Policies().default.scope.tests.paths
TIMEOUT = 900.0


@dataclass
class Outcome:
    name: str
    caught_all: bool
    caught_related: bool
    seconds_all: float
    seconds_related: float
    selected: int
    test_files: int
    select_s: float


def sh(*args: str, cwd: Path, data: str | None = None) -> str:
    return subprocess.run(args, cwd=cwd, input=data, capture_output=True, text=True, check=True).stdout


def library_files(tree: Path) -> list[str]:
    files = sh("git", "ls-files", "*.py", cwd=tree).split()
    return [
        f
        for f in files
        if not is_test_file(f, GLOBS)
        and "/tests/" not in f
        and not f.startswith(("tests/", "docs/", "examples/", "benchmarks/", "bench/"))
        and "/" in f
        and not f.endswith("conftest.py")
    ]


def mutants(tree: Path, count: int, rng: random.Random) -> list[tuple[str, str, str]]:
    """(name, path, new text) for ``count`` single-line mutants of library functions."""
    found = []
    for path in library_files(tree):
        text = (tree / path).read_text(encoding="utf-8")
        try:
            module = ast.parse(text)
        except SyntaxError:
            continue
        lines = text.splitlines(keepends=True)
        for func in (n for n in ast.walk(module) if isinstance(n, ast.FunctionDef)):
            for node in ast.walk(func):
                line = lines[node.lineno - 1] if hasattr(node, "lineno") else ""
                if (
                    isinstance(node, ast.Return)
                    and node.value is not None
                    and line.strip().startswith("return ")
                    and node.end_lineno == node.lineno
                    and line.strip() != "return None"
                ):
                    indent = line[: len(line) - len(line.lstrip())]
                    new = [*lines[: node.lineno - 1], f"{indent}return None\n", *lines[node.lineno :]]
                    found.append((f"{path}:{func.name}:return", path, "".join(new)))
                    break
                if isinstance(node, ast.Compare) and len(node.ops) == 1 and " == " in line and line.count("==") == 1:
                    new = [*lines[: node.lineno - 1], line.replace(" == ", " != "), *lines[node.lineno :]]
                    found.append((f"{path}:{func.name}:compare", path, "".join(new)))
                    break
    rng.shuffle(found)
    return found[:count]


def history(repo: Path, tree: Path, count: int) -> list[tuple[str, str]]:
    """(name, reverse diff of the library part) of recent commits that changed library code and tests."""
    found = []
    libs = set(library_files(tree))
    for sha in sh("git", "rev-list", "--no-merges", "-n", "300", "HEAD", cwd=tree).split():
        names = sh("git", "diff-tree", "--no-commit-id", "--name-only", "-r", sha, cwd=tree).split()
        lib = [n for n in names if n in libs]
        if lib and any(is_test_file(n, GLOBS) for n in names) and len(lib) <= 3:
            diff = sh("git", "diff", sha, f"{sha}^", "--", *lib, cwd=tree)
            found.append((f"{sha[:10]}", diff))
        if len(found) >= count:
            break
    return found


def failing(run) -> set[str]:
    return set(run.failures)


def measure(repo_dir: Path, n_mutants: int, n_commits: int, rng: random.Random) -> list[Outcome]:
    outcomes: list[Outcome] = []
    with tempfile.TemporaryDirectory(prefix="bench-related-") as scratch:
        tree = Path(scratch) / "tree"
        subprocess.run(["git", "clone", "-q", "--no-hardlinks", str(repo_dir), str(tree)], check=True)
        settings = TestSettings()
        environment = build_environment(
            project_recipe(tree), default_cache_dir(), lambda m: print("  ", m), sandbox_settings=settings
        )
        environment = confined(environment, open_repo(tree), settings)
        tests_all = select_tests(tree, parse_diff(""), ReviewOptions(tests="all"), GLOBS).files
        base_run = run_pytest(tree, tests_all, TIMEOUT, environment)
        print(f"  base: {base_run.passed} passed, {len(base_run.failures)} failing, {len(tests_all)} test files")
        base_fail = failing(base_run)
        changes: list[tuple[str, str]] = []
        for name, path, text in mutants(tree, n_mutants, rng):
            old = (tree / path).read_text(encoding="utf-8")
            (tree / path).write_text(text, encoding="utf-8")
            changes.append((f"mutant {name}", sh("git", "diff", cwd=tree)))
            (tree / path).write_text(old, encoding="utf-8")
        changes += [(f"commit {n}", d) for n, d in history(repo_dir, tree, n_commits)]
        for name, diff in changes:
            sha = sh("git", "rev-parse", "HEAD", cwd=tree).strip()
            if name.startswith("commit "):  # the tests as of that commit, its library change reverted
                sh("git", "checkout", "-q", name.split()[1], cwd=tree)
            try:
                sh("git", "apply", "-", cwd=tree, data=diff)
            except subprocess.CalledProcessError:
                sh("git", "checkout", "-q", sha, cwd=tree)
                continue
            started = time.perf_counter()
            related = select_tests(tree, parse_diff(diff), ReviewOptions(), GLOBS).files
            select_s = time.perf_counter() - started
            every = select_tests(tree, parse_diff(diff), ReviewOptions(tests="all"), GLOBS).files
            before = base_fail
            if name.startswith("commit "):  # the commit's own failures on its unchanged tree
                sh("git", "checkout", "-q", "--", ".", cwd=tree)
                before = failing(run_pytest(tree, every, TIMEOUT, environment))
                sh("git", "apply", "-", cwd=tree, data=diff)
            t0 = time.perf_counter()
            all_run = run_pytest(tree, every, TIMEOUT, environment)
            t1 = time.perf_counter()
            rel_run = run_pytest(tree, related, TIMEOUT, environment) if related else None
            t2 = time.perf_counter()
            outcome = Outcome(
                name,
                bool(failing(all_run) - before),
                bool(rel_run and failing(rel_run) - before),
                t1 - t0,
                t2 - t1,
                len(related),
                len(every),
                select_s,
            )
            outcomes.append(outcome)
            print(
                f"  {name}: all {'caught' if outcome.caught_all else 'missed'} ({outcome.seconds_all:.1f} s), "
                f"related {'caught' if outcome.caught_related else 'missed'} ({outcome.seconds_related:.1f} s, "
                f"{outcome.selected}/{outcome.test_files} files)",
                flush=True,
            )
            sh("git", "checkout", "-q", "--", ".", cwd=tree)
            sh("git", "checkout", "-q", sha, cwd=tree)
    return outcomes


def summary(label: str, outcomes: list[Outcome]) -> None:
    caught = [o for o in outcomes if o.caught_all]
    both = [o for o in caught if o.caught_related]
    extra = [o for o in outcomes if o.caught_related and not o.caught_all]
    ratio = sum(o.seconds_related for o in outcomes) / max(1e-9, sum(o.seconds_all for o in outcomes))
    files = statistics.median(o.selected / max(1, o.test_files) for o in outcomes) if outcomes else 0
    select = statistics.median(o.select_s for o in outcomes) * 1000 if outcomes else 0
    print(
        f"{label}: {len(outcomes)} changes; all caught {len(caught)}, related caught {len(both)} of those "
        f"(recall {len(both) / max(1, len(caught)):.2f}; {len(extra)} caught only by related); "
        f"time related/all {ratio:.2f}; median share of test files selected {files:.2f}; "
        f"median selection {select:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repos", nargs="+", type=Path)
    parser.add_argument("--mutants", type=int, default=12)
    parser.add_argument("--commits", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print("load:", sh("uptime", cwd=Path.cwd()).strip())
    every: list[Outcome] = []
    for repo in args.repos:
        print(f"{repo}:")
        outcomes = measure(repo, args.mutants, args.commits, random.Random(args.seed))
        summary(f"  {repo.parent.name}", outcomes)
        every.extend(outcomes)
    summary("overall", every)
    print("load:", sh("uptime", cwd=Path.cwd()).strip())


if __name__ == "__main__":
    main()
