"""How often ``select`` picks a resolving candidate on dev-built candidate sets, beside random, today's rule, oracle.

    python benchmarks/select_dev.py --repos DIR --envs DIR [--dataset lite_dev.json] [--instances a,b] [--out F]

For each SWE-bench Lite *dev* instance whose repository is at
``<repos>/<owner>__<name>``, a candidate set is built from its gold patch:
the gold patch; two mutants of its added lines (a flipped comparison or
boolean, the first and the last line that has one); a partial fix (the gold
patch without its last hunk, when it has several); the gold fix with a debug
print; the gold fix that also weakens an existing test (an assertion in an
existing test file the test patch leaves alone becomes ``pass``); and a comment-only edit at the same
place. The order is shuffled per instance (seeded by its id). Truth is
``eval solve``'s own per-patch evaluation (``evaluation.instance.evaluate_patch``:
the instance's FAIL_TO_PASS and PASS_TO_PASS tests in its environment). Then
``select`` ranks the set (related tests in the instance's environment) and
the figures are: select's choice, the choice with each signal left out (the
ablation), today's rule before select (most gates passed, exact textual
agreement, the smaller diff), the expected score of a random choice, and the
oracle. Never run on held-out repositories: the script refuses them.
"""

from __future__ import annotations

import argparse
import difflib
import json
import random
import re
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from agent.gating import passed_count
from agent.selection import SIGNALS, select
from core.settings import resolve
from evaluation.dataset import Instance, load_instances
from evaluation.environment import build_environment, checkout_at
from evaluation.instance import Task, evaluate_patch
from tools.envbuild import EnvironmentBuildError

DEFAULT_DATASET = Path("/work/shared/swebench/lite_dev.json")
HELD_OUT = (
    "sympy",
    "pytest",
    "sphinx",
    "astropy",
    "requests",
    "pylint-dev/pylint",
    "xarray",
    "seaborn",
    "flask",
    "django",
    "scikit-learn",
    "matplotlib",
)
SWAPS = [
    (" == ", " != "),
    (" != ", " == "),
    (" <= ", " < "),
    (" >= ", " > "),
    (" < ", " <= "),
    (" > ", " >= "),
    (" and ", " or "),
    (" or ", " and "),
    (" is None", " is not None"),
    (" is not None", " is None"),
    ("if not ", "if "),
    ("True", "False"),
    ("False", "True"),
    (" + 1", " - 1"),
    (" - 1", " + 1"),
]


def mutate(line: str) -> str | None:
    for old, new in SWAPS:
        if old in line:
            return line.replace(old, new, 1)
    return None


def added_lines(diff: str) -> list[int]:
    lines = diff.splitlines()
    return [
        n
        for n, x in enumerate(lines)
        if x.startswith("+") and not x.startswith("+++") and x[1:].strip() and not x[1:].lstrip().startswith("#")
    ]


def mutants(diff: str) -> list[str]:
    lines = diff.splitlines(keepends=True)
    made = []
    spots = [n for n in added_lines(diff) if mutate(lines[n])]
    for n in dict.fromkeys([spots[0], spots[-1]] if spots else []):
        copy = list(lines)
        copy[n] = "+" + (mutate(lines[n][1:]) or lines[n][1:])
        made.append("".join(copy))
    return made


def hunks(diff: str) -> list[tuple[str, list[str]]]:
    """(file header, [hunk texts]) per file."""
    files = re.split(r"(?m)^(?=diff --git )", diff)
    out = []
    for part in filter(None, files):
        pieces = re.split(r"(?m)^(?=@@ )", part)
        out.append((pieces[0], pieces[1:]))
    return out


def partial(diff: str) -> str | None:
    parsed = hunks(diff)
    if sum(len(h) for _, h in parsed) < 2:
        return None
    header, last = parsed[-1]
    parsed[-1] = (header, last[:-1])
    return "".join(h + "".join(hs) for h, hs in parsed if hs)


def inserted(diff: str, text: str) -> str | None:
    """``text`` as a new added line before the first added line that starts a statement, at its indent."""
    lines = diff.splitlines(keepends=True)
    for n in added_lines(diff):
        body = lines[n][1:]
        prev = lines[n - 1][1:].rstrip() if n else ""
        if re.match(r"\s*(else|elif|except|finally|[)\]}.])", body) or prev.endswith((",", "(", "\\", "[", "{")):
            continue
        indent = body[: len(body) - len(body.lstrip())]
        return "".join([*lines[:n], f"+{indent}{text}\n", *lines[n:]])
    return None


def test_weakened(repo: Path, instance: Instance, diff: str) -> str | None:
    """The gold diff plus an assertion of an existing test file (the changed module's first) turned into ``pass``."""
    touched = set(re.findall(r"(?m)^\+\+\+ b/(\S+)", instance.test_patch))
    stems = {Path(p).stem for p in re.findall(r"(?m)^\+\+\+ b/(\S+)", diff)}
    listed = subprocess.run(
        ["git", "ls-tree", "-r", "--name-only", instance.base_commit],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    tests = [f for f in listed if Path(f).name.startswith("test_") and f.endswith(".py") and f not in touched]
    tests.sort(key=lambda f: (Path(f).stem.removeprefix("test_") not in stems, f))  # the changed module's first
    for path in tests[:20]:
        show = subprocess.run(
            ["git", "show", f"{instance.base_commit}:{path}"], cwd=repo, capture_output=True, text=True, check=False
        )
        if show.returncode:
            continue
        old = show.stdout.splitlines(keepends=True)
        for n, line in enumerate(old):
            if line.lstrip().startswith("assert ") and not line.rstrip().endswith(("(", ",", "\\")):
                new = [*old[:n], line[: len(line) - len(line.lstrip())] + "pass\n", *old[n + 1 :]]
                weakened = "".join(difflib.unified_diff(old, new, f"a/{path}", f"b/{path}"))
                return diff + f"diff --git a/{path} b/{path}\n" + weakened
    return None


_HUNK = re.compile(r"^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@(.*)$")


def recount(diff: str) -> str:
    """Hunk headers that match their lines again after lines were added or dropped (starts kept)."""
    lines, out, n = diff.splitlines(keepends=True), [], 0
    while n < len(lines):
        match = _HUNK.match(lines[n])
        if not match:
            out.append(lines[n])
            n += 1
            continue
        body, n = [], n + 1
        while n < len(lines) and lines[n][:1] in (" ", "-", "+", "\\") and not lines[n].startswith(("--- ", "+++ ")):
            body.append(lines[n])
            n += 1
        old = sum(1 for x in body if x[:1] in (" ", "-"))
        new = sum(1 for x in body if x[:1] in (" ", "+"))
        out.append(f"@@ -{match[1]},{old} +{match[2]},{new} @@{match[3]}\n")
        out.extend(body)
    return "".join(out)


def candidates(repo: Path, instance: Instance) -> list[tuple[str, str]]:
    gold = instance.patch if instance.patch.endswith("\n") else instance.patch + "\n"
    made = [("gold", gold)] + [(f"mutant{k}", m) for k, m in enumerate(mutants(gold))]
    for name, diff in (
        ("partial", partial(gold)),
        ("debug-print", inserted(gold, 'print("debug: here")')),
        ("test-edit", test_weakened(repo, instance, gold)),
        ("comment-only", _comment_only(gold)),
    ):
        if diff:
            made.append((name, recount(diff)))
    random.Random(instance.instance_id).shuffle(made)
    return made


def _comment_only(gold: str) -> str | None:
    """Only a comment where the gold patch changes code: touches the right place and does nothing."""
    one = inserted(gold, "# handle this case")
    if one is None:
        return None
    lines, out = one.splitlines(keepends=True), []
    for line in lines:  # the gold's own changes undone: its removed lines stay, its added lines go
        if line.startswith("-") and not line.startswith("---"):
            out.append(" " + line[1:])
        elif line.startswith("+") and not line.startswith("+++") and "# handle this case" not in line:
            continue
        else:
            out.append(line)
    return "".join(out)


def today(reviews: dict, diffs: list[str]) -> int:
    """The rule select replaced: most gates passed, then exact textual agreement, then the smaller diff."""

    def normal(d: str) -> str:
        return "\n".join(x.rstrip() for x in d.splitlines() if not x.startswith(("diff --git", "index ")))

    def key(k: int) -> tuple:
        agree = sum(1 for o in range(len(diffs)) if o != k and normal(diffs[o]) == normal(diffs[k]))
        return (-passed_count(reviews.get(k)), -agree, len(diffs[k]), k)

    return min(range(len(diffs)), key=key)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=DEFAULT_DATASET)
    parser.add_argument("--repos", type=Path, required=True)
    parser.add_argument("--envs", type=Path, required=True)
    parser.add_argument("--instances", default="")
    parser.add_argument("--out", type=Path, help="Append one JSON line per instance here.")
    args = parser.parse_args()
    wanted = [i for i in args.instances.split(",") if i] or None
    rows: list[dict[str, Any]] = []
    for instance in load_instances(args.dataset, wanted):
        if any(h in instance.repo for h in HELD_OUT):
            raise SystemExit(f"refused: {instance.repo} is held out")
        repo = args.repos / instance.repo_key
        if not repo.exists():
            continue
        try:
            env = build_environment(instance, repo, args.envs)
        except EnvironmentBuildError as exc:
            print(f"{instance.instance_id}: environment not built: {exc}", flush=True)
            continue
        made = candidates(repo, instance)
        names, diffs = [n for n, _ in made], [d for _, d in made]
        with tempfile.TemporaryDirectory() as out, checkout_at(repo, instance.base_commit) as tree:
            task = Task(instance, None, args.repos, Path(out), args.envs, 900.0)
            truth = [evaluate_patch(task, tree, env, d, sample=k).status == "resolved" for k, d in enumerate(diffs)]
        started = time.perf_counter()
        selection = select(
            repo,
            instance.problem_statement,
            diffs,
            settings=resolve(
                repo, base=instance.base_commit, review={"tests": "related"}, tests={"python": env.built.python}
            ),
        )
        seconds = time.perf_counter() - started
        picks = {"select": selection.best, "today": today(selection.reviews, diffs)}
        picks |= {f"without-{s}": selection.best_with(frozenset(SIGNALS) - {s}) for s in SIGNALS if s != "judge"}
        row = {
            "instance": instance.instance_id,
            "candidates": names,
            "resolved": truth,
            "picked": {k: (names[v] if v is not None else None) for k, v in picks.items()},
            "right": {k: bool(v is not None and truth[v]) for k, v in picks.items()},
            "random": round(sum(truth) / len(truth), 3),
            "oracle": any(truth),
            "select_seconds": round(seconds, 1),
            "ranking": [(names[r.index], r.reason) for r in selection.ranking],
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
        if args.out:
            with args.out.open("a") as handle:
                handle.write(json.dumps(row) + "\n")
    summary = {
        "instances": len(rows),
        "oracle": sum(r["oracle"] for r in rows),
        "random": round(sum(r["random"] for r in rows), 2),
    }
    for key in rows[0]["right"] if rows else {}:
        summary[key] = sum(r["right"][key] for r in rows)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
