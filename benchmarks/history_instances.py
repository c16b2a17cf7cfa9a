"""Build SWE-bench-format instances from a repository's own history, to check ``eval solve`` runs its tests
the way the harness does (issue 18's one exception to the held-out rule: the evaluator only).

    python benchmarks/history_instances.py --git-dir /work/.mirror/psf+requests/repo --repo psf/requests \
        --count 2 --data /work/i18h-data

A commit qualifies when it is not a merge, changes 1-3 library ``.py`` files (at most ``--max-lines`` lines)
and at least one test file whose change adds a ``def test_`` function, and its parent's version (read the
way ``swebench.versioning`` reads it: the repository's version file and patterns, else the last tag) has a
spec in swebench's ``MAP_REPO_VERSION_TO_SPECS``. The newest version with ``--count`` qualifying commits is
used, its newest commits taken; the newest of them is the environment's commit, as the harness builds one
environment per version. The commit is split into ``patch`` (everything but test files) and ``test_patch``.

FAIL_TO_PASS and PASS_TO_PASS come from running the harness's test command: ``patchgate eval solve
--predictions gold`` and ``--predictions empty`` on the instances with no tests listed; each log is read with
the repository's harness parser. FAIL_TO_PASS: passed with the fix, not without it; PASS_TO_PASS: passed in
both. It prints, per instance, how many of the test functions the commit added were found among
FAIL_TO_PASS (an added test that is not there is a sign of an id the harness would not match). An instance
whose gold run gives no FAIL_TO_PASS is dropped (up to ``--tries`` commits are run to find ``--count``).

Output: ``<data>/<owner>__<name>.json`` (a SWE-bench dataset) and clones in ``<data>/repos``. Never commit
the output: it holds the repository's code.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from evaluation.harness import parse_log

TEST_PATH = re.compile(r"(^|/)(tests?|testing)/|(^|/)test_[^/]*\.py$|_tests?\.py$|(^|/)conftest\.py$")
ADDED_TEST = re.compile(r"^\+\s*(?:async\s+)?def (test\w*)\(", re.M)
SKIP = re.compile(r"^\s*(bump|release|prepare|version|revert|merge|\[pre-commit|pre-commit)\b", re.I)
PASSING = {"PASSED", "XFAIL"}


def git(git_dir: Path, *args: str) -> str:
    return subprocess.run(
        ["git", f"--git-dir={git_dir}", *args], check=True, capture_output=True, text=True, errors="replace"
    ).stdout


def version_at(git_dir: Path, repo: str, commit: str) -> str:
    """The harness's version of ``repo`` at ``commit`` (major.minor), or ''."""
    from swebench.versioning.constants import MAP_REPO_TO_VERSION_PATHS, MAP_REPO_TO_VERSION_PATTERNS

    for path in MAP_REPO_TO_VERSION_PATHS.get(repo, []):
        try:
            text = git(git_dir, "show", f"{commit}:{path}")
        except subprocess.CalledProcessError:
            continue
        text = re.sub(r'""".*?"""', "", text, flags=re.DOTALL)
        for pattern in MAP_REPO_TO_VERSION_PATTERNS.get(repo, []):
            if match := re.search(pattern, text):
                found = match.group(1).replace(" ", "")
                parts = re.split(r"[.,]", found)
                return re.sub(r"[^0-9.]", "", ".".join(parts[:2]))
    try:  # a generated version file (setuptools_scm): the last tag
        tag = git(git_dir, "describe", "--tags", "--abbrev=0", commit).strip()
    except subprocess.CalledProcessError:
        return ""
    numbers = re.findall(r"\d+", tag)
    return ".".join(numbers[:2]) if len(numbers) >= 2 else ""


def candidates(git_dir: Path, window: int, max_lines: int) -> list[tuple[str, str, list[str], list[str]]]:
    """(commit, subject, library files, test files) of qualifying commits, newest first.

    Paths come from ``--name-status --no-renames``, which reads trees only; the lines a commit changes are counted for the
    commits that qualify otherwise, one by one, as a fetched snapshot may lack a blob (a commit that needs
    one is passed over, where a whole ``--numstat`` log would stop at it)."""
    log = git(
        git_dir,
        "log",
        f"-n{window}",
        "--no-merges",
        "--format=%x00%H%x01%s%x01",
        "--name-status",
        "--no-renames",
        "HEAD",
    )
    found = []
    for record in log.split("\x00")[1:]:
        sha, subject, status = record.split("\x01")
        rows = [line.split("\t") for line in status.strip().splitlines()]
        paths = [row[-1] for row in rows]
        tests = [p for p in paths if TEST_PATH.search(p)]
        library = [p for p in paths if p.endswith(".py") and not TEST_PATH.search(p)]
        # a rename, without the blobs to tell: a module deleted (and added)
        renamed = any(row[0] == "D" and row[-1].endswith(".py") for row in rows)
        if not tests or not 1 <= len(library) <= 3 or SKIP.match(subject) or renamed:
            continue
        if not all(p.endswith(".py") for p in tests):
            continue
        try:
            _, _, lines = _split(git(git_dir, "show", "--format=", "--numstat", sha, "--", *library))
        except subprocess.CalledProcessError:
            continue
        if lines <= max_lines:
            found.append((sha, subject, library, tests))
    return found


def _split(numstat: str) -> tuple[list[str], list[str], int]:
    """(library ``.py`` files, test files, lines the library files change) of a commit's ``--numstat``."""
    rows = [line.split("\t") for line in numstat.strip().splitlines() if line.count("\t") == 2]
    library = [(a, d, p) for a, d, p in rows if p.endswith(".py") and not TEST_PATH.search(p)]
    lines = sum(int(a) + int(d) for a, d, _ in library if a.isdigit() and d.isdigit())
    return [p for *_, p in library], [p for _, _, p in rows if TEST_PATH.search(p)], lines


def given(git_dir: Path, commits: list[str]) -> list[tuple[str, str, list[str], list[str]]]:
    """``--commits`` as they are, unfiltered: (commit, subject, library files, test files)."""
    found = []
    for commit in commits:
        record = git(git_dir, "show", "--format=%H%x01%s%x01", "--numstat", "--no-renames", commit)
        sha, subject, stat = record.split("\x01")
        library, tests, _ = _split(stat)
        found.append((sha, subject, library, tests))
    return found


def _lines(git_dir: Path, commit: str, path: str) -> int:
    try:
        return git(git_dir, "show", f"{commit}:{path}").count("\n")
    except subprocess.CalledProcessError:
        return 0


def instance_row(git_dir: Path, repo: str, sha: str, version: str, tests: list[str]) -> dict:
    base = git(git_dir, "rev-parse", f"{sha}^").strip()
    test_patch = git(git_dir, "diff", "--no-color", "--no-renames", base, sha, "--", *tests)
    excluded = [f":(exclude){t}" for t in tests]
    patch = git(git_dir, "diff", "--no-color", "--no-renames", base, sha, "--", ".", *excluded)
    owner_name = repo.replace("/", "__")
    return {
        "instance_id": f"{owner_name}-history-{sha[:10]}",
        "repo": repo,
        "base_commit": base,
        "patch": patch,
        "test_patch": test_patch,
        "version": version,
        "FAIL_TO_PASS": [],
        "PASS_TO_PASS": [],
        "environment_setup_commit": "",
        "problem_statement": git(git_dir, "log", "-1", "--format=%B", sha),
        "created_at": git(git_dir, "log", "-1", "--format=%cI", sha).strip(),
    }


def eval_solve(dataset: Path, repos: Path, out: Path, predictions: str, envs: Path | None, timeout: int) -> dict:
    cmd = [
        str(Path(sys.executable).parent / "patchgate"),
        "eval",
        "solve",
        "--dataset",
        str(dataset),
        "--repos",
        str(repos),
        "--out",
        str(out),
        "--predictions",
        predictions,
        "--workers",
        "1",
        "--timeout",
        str(timeout),
    ]
    cmd += ["--envs", str(envs)] if envs else []
    subprocess.run(["nice", *cmd], check=False, stdout=subprocess.DEVNULL)
    return json.loads((out / "report.json").read_text(encoding="utf-8"))


def test_function(test_id: str) -> str:
    """The function a log's test id names: ``test_x`` of ``a.py::C::test_x[p.q]``, django's ``test_x (m.C.test_x)``
    and sympy's bare ``test_x``."""
    return re.split(r"[\[ (]", test_id.split("::")[-1])[0].split(".")[-1]


def log_status(out: Path, row: dict) -> dict[str, str]:
    log = out / "logs" / row["instance_id"] / "test_output.txt"
    return parse_log(row["repo"], log.read_text(encoding="utf-8", errors="replace")) if log.is_file() else {}


def main() -> int:
    from swebench.harness.constants import MAP_REPO_VERSION_TO_SPECS

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--git-dir", type=Path, required=True, help="a bare git directory (the fetch tool's)")
    parser.add_argument("--repo", required=True, help="owner/name, as the harness names it")
    parser.add_argument("--data", type=Path, required=True, help="output folder (outside any repository)")
    parser.add_argument("--count", type=int, default=2)
    parser.add_argument("--tries", type=int, default=6, help="commits tried to find --count with FAIL_TO_PASS")
    parser.add_argument("--window", type=int, default=3000, help="newest commits considered")
    parser.add_argument("--max-lines", type=int, default=60)
    parser.add_argument(
        "--version", default="", help="use this harness version (default: the newest that has --count commits)"
    )
    parser.add_argument("--envs", type=Path, default=None)
    parser.add_argument(
        "--max-test-lines",
        type=int,
        default=0,
        help="skip commits whose test files are longer "
        "(0: no limit); sympy's own runner takes over 10 minutes on its largest test files",
    )
    parser.add_argument("--exclude", default="", help="comma-separated commit prefixes not to use")
    parser.add_argument(
        "--commits",
        default="",
        help="comma-separated commits to use as they are, unfiltered (a history rebuilt from releases, "
        "where the repository's own is beyond reach)",
    )
    parser.add_argument("--timeout", type=int, default=900, help="seconds one instance's tests may take")
    args = parser.parse_args()
    started = time.perf_counter()
    specs = MAP_REPO_VERSION_TO_SPECS.get(args.repo, {})
    picked: dict[str, list[tuple[str, list[str]]]] = {}
    pool = (
        given(args.git_dir, args.commits.split(","))
        if args.commits
        else candidates(args.git_dir, args.window, args.max_lines)
    )
    for sha, _subject, _library, tests in pool:
        if any(sha.startswith(prefix) for prefix in args.exclude.split(",") if prefix):
            continue
        if args.max_test_lines and any(_lines(args.git_dir, f"{sha}^", t) > args.max_test_lines for t in tests):
            continue
        diff = git(args.git_dir, "diff", "--no-color", f"{sha}^", sha, "--", *tests)
        if not ADDED_TEST.search(diff):
            continue
        version = version_at(args.git_dir, args.repo, f"{sha}^")
        if version not in specs or (args.version and version != args.version):
            continue
        picked.setdefault(version, []).append((sha, tests))
        if len(picked[version]) >= args.tries:
            break
    full = [v for v, commits in picked.items() if len(commits) >= args.count]
    if not full:
        print(
            f"error: no version of {args.repo} with {args.count} qualifying commits "
            f"(found: { {v: len(c) for v, c in picked.items()} })"
        )
        return 2
    version = max(full, key=lambda v: tuple(int(x) for x in v.split(".")))
    chosen = picked[version][: args.tries]
    print(f"{args.repo}: version {version}; commits {', '.join(s[:10] for s, _ in chosen)}")
    key = args.repo.replace("/", "__")
    repos = args.data / "repos"
    clone = repos / key
    if not clone.exists():
        repos.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "clone", "-q", "--no-checkout", str(args.git_dir), str(clone)], check=True)
    rows = [instance_row(args.git_dir, args.repo, sha, version, tests) for sha, tests in chosen]
    newest = max(rows, key=lambda r: r["created_at"])["base_commit"]
    for row in rows:
        row["environment_setup_commit"] = newest
    draft = args.data / f"{key}.draft.json"
    draft.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    runs = args.data / "derive" / key
    reports = {p: eval_solve(draft, repos, runs / p, p, args.envs, args.timeout) for p in ("gold", "empty")}
    kept: list[dict] = []
    for row in rows:
        iid = row["instance_id"]
        gold, empty = log_status(runs / "gold", row), log_status(runs / "empty", row)
        f2p = sorted(t for t, s in gold.items() if s in PASSING and empty.get(t) not in PASSING)
        p2p = sorted(t for t, s in gold.items() if s in PASSING and empty.get(t) in PASSING)
        added = set(ADDED_TEST.findall(row["test_patch"]))
        named = {test_function(t) for t in f2p}
        reason = reports["gold"]["reasons"].get(iid, "")
        print(
            f"  {iid}: {len(f2p)} FAIL_TO_PASS, {len(p2p)} PASS_TO_PASS; added tests among FAIL_TO_PASS "
            f"{len(added & named)}/{len(added)}; log tests gold {len(gold)}, empty {len(empty)}"
            + (f"; gold run: {reason}" if reason else "")
        )
        if f2p and len(kept) < args.count:
            kept.append({**row, "FAIL_TO_PASS": f2p, "PASS_TO_PASS": p2p})
    out = args.data / f"{key}.json"
    out.write_text(json.dumps(kept, indent=1), encoding="utf-8")
    print(f"wrote {len(kept)}/{len(rows)} instances to {out} in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
