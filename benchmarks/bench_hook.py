"""How long the pre-commit hook takes on a one-file change, and where the seconds go.

    nice .venv/bin/python benchmarks/bench_hook.py GIT_DIR [GIT_DIR ...] [--repeat 5] [--tests none related]

For each repository (a git directory, e.g. fetched with the ``fetch`` tool; never a held-out one) a clone is
made, a docstring-only change to one library module is staged, and ``patchgate review --staged`` runs as
the hook runs it (a fresh process, ``python -P -m patchgate``), ``--repeat`` times per tests mode. Printed:
the median wall time per mode, then one profiled in-process review with tests off, broken down into the
stages that cost: worktree checkout and removal, the sandbox start-ups, the import check and test
collection. The machine is shared: ``uptime`` is printed before and after; quote medians with it.
"""

from __future__ import annotations

import argparse
import ast
import cProfile
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from core.git import open_repo, staged_diff
from core.settings import resolve
from tools.gates import review

STAGES = {  # (module file, function) in the profile -> what a reader calls it
    ("core/worktrees.py", "kept_worktree"): "worktree (kept: checkout of what differs, reset, clean)",
    ("core/git.py", "worktree"): "fresh worktree checkout + removal (git worktree add/remove)",
    ("tools/importcheck.py", "import_check"): "import check of the changed modules (sandboxed)",
    ("tools/pytestrun.py", "collect_ids"): "test collection for the weakening check (sandboxed)",
    ("tools/pytestrun.py", "run_pytest"): "pytest runs (sandboxed)",
    ("tools/sandbox.py", "run"): "all sandboxed processes (bubblewrap start-up included)",
    ("tools/environments.py", "resolve_environment"): "finding the project's environment",
    ("tools/security.py", "run"): "security gate (secret scan)",
    ("tools/parsers.py", "run"): "parse gate",
}


def sh(*args: str, cwd: Path) -> str:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=True).stdout


def stage_docstring_change(tree: Path) -> str:
    """Add a docstring line to the first function of the largest library module; return its path."""
    files = [
        f
        for f in sh("git", "ls-files", "*.py", cwd=tree).split()
        if "test" not in f and "/" in f and not f.startswith(("docs/", "examples/"))
    ]
    for path in sorted(files, key=lambda f: -(tree / f).stat().st_size):
        text = (tree / path).read_text(encoding="utf-8")
        try:
            func = next(n for n in ast.walk(ast.parse(text)) if isinstance(n, ast.FunctionDef) and n.body)
        except (StopIteration, SyntaxError):
            continue
        lines = text.splitlines(keepends=True)
        first = lines[func.body[0].lineno - 1]
        indent = first[: len(first) - len(first.lstrip())]
        lines.insert(func.body[0].lineno - 1, f"{indent}# benchmark: a comment-only change\n")
        (tree / path).write_text("".join(lines), encoding="utf-8")
        sh("git", "add", path, cwd=tree)
        return path
    raise SystemExit(f"no library module with a function in {tree}")


def startup_seconds(tree: Path) -> float:
    """A process that imports what a review imports and stops: the interpreter and import cost of a hook."""
    code = "import patchgate.cli, tools.gates, tools.testing, tools.scope, tools.security, tools.parsers"
    started = time.perf_counter()
    subprocess.run([sys.executable, "-P", "-c", code], cwd=tree, check=True)
    return time.perf_counter() - started


def hook_seconds(tree: Path, tests: str) -> tuple[float, int]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-P", "-m", "patchgate", "review", "--staged", "--tests", tests],
        cwd=tree,
        capture_output=True,
        text=True,
    )
    return time.perf_counter() - started, done.returncode


def profile(tree: Path) -> list[tuple[str, float]]:
    diff = staged_diff(open_repo(tree))
    settings = resolve(tree, base="HEAD", review={"tests": "none", "origin": "human"})
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.runcall(review, tree, diff, options=settings.review, tests=settings.tests)
    total = time.perf_counter() - started
    stats = pstats.Stats(profiler)
    found = [("whole review (in process, after imports)", total)]
    for (file, _line, name), row in stats.stats.items():  # type: ignore[attr-defined]
        for (suffix, function), label in STAGES.items():
            if name == function and file.endswith(suffix):
                found.append((label, row[3]))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repos", nargs="+", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--tests", nargs="+", default=["none", "related"])
    args = parser.parse_args()
    print("load:", sh("uptime", cwd=Path.cwd()).strip())
    for repo in args.repos:
        with tempfile.TemporaryDirectory(prefix="bench-hook-") as scratch:
            tree = Path(scratch) / "tree"
            subprocess.run(["git", "clone", "-q", str(repo), str(tree)], check=True)
            files = len(sh("git", "ls-files", "*.py", cwd=tree).split())
            path = stage_docstring_change(tree)
            print(f"{repo.parent.name}: {files} Python files, change in {path}")
            for tests in args.tests:
                hook_seconds(tree, tests)  # the first run may build the environment: not counted
                runs = [hook_seconds(tree, tests) for _ in range(args.repeat)]
                print(
                    f"  hook --tests {tests}: median {statistics.median(s for s, _ in runs):.2f} s "
                    f"(min {min(s for s, _ in runs):.2f}, exit {sorted({c for _, c in runs})})",
                    flush=True,
                )
            starts = [startup_seconds(tree) for _ in range(args.repeat)]
            print(f"  start-up and imports alone: median {statistics.median(starts):.2f} s")
            for label, seconds in profile(tree):
                print(f"    {label}: {seconds:.2f} s")
    print("load:", sh("uptime", cwd=Path.cwd()).strip())


if __name__ == "__main__":
    main()
