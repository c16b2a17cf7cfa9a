"""Acceptance check of the gates on real patches: SWE-bench lite dev gold patches, clean and with planted defects.

    python benchmarks/gold_patches.py [--dataset /work/shared/swebench/lite_dev.json] [--repos /tmp/swe-repos]

For every instance whose bare repository is at ``<repos>/<owner>__<name>``:
the gold patch, applied to its base commit, must pass apply + parse + scope +
security + license (tests off). Then six defects are planted on top of the
gold patch (a syntax error, a deleted assertion, an added skip, a token, an
f-string SQL query, an edit under .github/workflows/) and each must be caught
by the gate named for it. Clones are made with ``git clone --shared`` under a
temporary directory, never inside this repository. Prints one table and one
JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from patchgate.tools.gates import ReviewOptions, review

OPTIONS = ReviewOptions(tests="none")
TOKEN = "ghp_" + "Zq8Xr2Lm5Vt9Wk3Np7Hs1Jd4Fb6Gc0Ye8Ua2Ri5"  # built, so this file holds no literal token


def git(cwd: Path, *args: str, input: str | None = None) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True, input=input).stdout


def changed_py(diff: str) -> list[str]:
    return [p for p in re.findall(r"^\+\+\+ b/(\S+)", diff, flags=re.M) if p.endswith(".py")]


def test_file_with_assert(clone: Path, test_patch: str) -> Path | None:
    """A test file with an assert statement at the base: one the instance's test patch touches if possible."""
    tracked = [p for p in git(clone, "ls-files", "*.py").split() if re.search(r"(^|/)(test_[^/]*|[^/]*_test)\.py$", p)]
    for rel in [*changed_py(test_patch), *tracked]:  # the instance's own tests first, else any test file
        path = clone / rel
        if path.is_file() and re.search(r"^\s+assert\b", path.read_text(encoding="utf-8"), flags=re.M):
            return path
    return None


def append_to_first_py(text: str) -> Callable[[Path, dict], bool]:
    def plant(clone: Path, inst: dict) -> bool:
        files = changed_py(inst["patch"])
        if not files:
            return False
        with (clone / files[0]).open("a", encoding="utf-8") as handle:
            handle.write(text)
        return True
    return plant


def rewrite_test(pattern: str, replacement: str):
    """A planter that rewrites the first match of ``pattern`` in a test file the gold tests touch."""
    def plant(clone: Path, inst: dict) -> bool:
        path = test_file_with_assert(clone, inst["test_patch"])
        if path is None:
            return False
        text = path.read_text(encoding="utf-8")
        new = re.sub(pattern, replacement, text, count=1, flags=re.M)
        path.write_text(new, encoding="utf-8")
        return new != text
    return plant


delete_assertion = rewrite_test(r"^(\s+)assert\b.*$", r"\1pass")
add_skip = rewrite_test(r"^(\s*)(def test_)", r'\1@pytest.mark.skip(reason="flaky")\n\1\2')


def edit_workflow(clone: Path, inst: dict) -> bool:
    path = clone / ".github" / "workflows" / "ci.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    old = path.read_text(encoding="utf-8") if path.is_file() else ""
    path.write_text(old + "\n# run fewer checks\n", encoding="utf-8")
    return True


# defect name -> (how to plant it, gate that must fail, rule prefix it must report)
DEFECTS: dict[str, tuple[Callable[[Path, dict], bool], str, str]] = {
    "syntax-error": (append_to_first_py("\n\ndef planted(:\n    return 1\n"), "parse", "parse.syntax"),
    "deleted-assertion": (delete_assertion, "scope", "scope.removed-assertion"),
    "added-skip": (add_skip, "scope", "scope.added-skip"),
    "token": (append_to_first_py(f'\n\nGITHUB_TOKEN = "{TOKEN}"\n'), "security", "security.secret"),
    "sql-fstring": (append_to_first_py(
        '\n\ndef planted_lookup(cursor, name):\n    return cursor.execute(f"SELECT * FROM users WHERE name = \'{name}\'")\n'),
        "security", "security.sql-injection"),
    "workflow-edit": (edit_workflow, "scope", "scope.protected-path"),
}


def gate_of(result, name: str):
    return next(g for g in result.gates if g.name == name)


def usable_base(clone: Path, commit: str) -> str:
    """``commit``, or a copy of it whose blobs missing from the mirror (large data files) are empty.

    The stored mirrors leave out their largest files, which makes a checkout fail;
    the gold patches never touch them, so an empty stand-in changes nothing we measure.
    """
    entries = git(clone, "ls-tree", "-r", "--full-tree", commit).splitlines()
    blobs = "\n".join(e.split()[2] for e in entries if e.split()[1] == "blob") + "\n"
    status = git(clone, "cat-file", "--batch-check", input=blobs).splitlines()
    missing = {line.split()[0] for line in status if line.endswith("missing")}
    if not missing:
        return commit
    empty = git(clone, "hash-object", "-w", "--stdin", input="").strip()
    index = clone / ".git" / "bench-index"
    env_index = {"GIT_INDEX_FILE": str(index)}
    info = "\n".join(e.replace(e.split()[2], empty) if e.split()[2] in missing else e for e in entries) + "\n"
    subprocess.run(["git", "update-index", "--index-info"], cwd=clone, input=info, text=True, check=True,
                   env={**os.environ, **env_index})
    tree = subprocess.run(["git", "write-tree"], cwd=clone, capture_output=True, text=True, check=True,
                          env={**os.environ, **env_index}).stdout.strip()
    return git(clone, "-c", "user.name=bench", "-c", "user.email=bench@example.com", "commit-tree", tree,
               "-p", commit, "-m", "base without missing blobs").strip()


def check_instance(inst: dict, bare: Path, scratch: Path) -> dict:
    clone = scratch / inst["instance_id"]
    subprocess.run(["git", "clone", "--shared", "-q", "--no-checkout", str(bare), str(clone)], check=True)
    inst = {**inst, "base_commit": usable_base(clone, inst["base_commit"])}
    git(clone, "checkout", "-q", inst["base_commit"])
    started = time.perf_counter()
    result = review(clone, inst["patch"], base=inst["base_commit"], options=OPTIONS)
    row = {"id": inst["instance_id"], "gold_passed": result.passed, "seconds": time.perf_counter() - started,
           "gold_failures": [f"{g.name}:{f.rule}:{f.path}" for g in result.failed() for f in g.findings], "planted": {}}
    for name, (plant, gate, rule) in DEFECTS.items():
        git(clone, "apply", input=inst["patch"])
        if not plant(clone, inst):
            row["planted"][name] = "n/a"
        else:
            git(clone, "add", "-A")
            diff = git(clone, "diff", "--cached", "--binary")
            planted = review(clone, diff, base=inst["base_commit"], options=OPTIONS)
            report = gate_of(planted, gate)
            caught = not report.passed and any(f.rule.startswith(rule) for f in report.findings)
            row["planted"][name] = "caught" if caught else "missed"
        git(clone, "reset", "-q", "--hard", inst["base_commit"])
        git(clone, "clean", "-qfdx")
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=Path("/work/shared/swebench/lite_dev.json"))
    parser.add_argument("--repos", type=Path, default=Path("/tmp/swe-repos"))
    args = parser.parse_args()
    instances = json.loads(args.dataset.read_text(encoding="utf-8"))
    rows, skipped = [], []
    with tempfile.TemporaryDirectory(prefix="patchgate-gold-") as scratch:
        for inst in instances:
            bare = args.repos / inst["repo"].replace("/", "__")
            if not bare.is_dir():
                skipped.append(inst["instance_id"])
                continue
            rows.append(check_instance(inst, bare, Path(scratch)))
            row = rows[-1]
            print(f"{row['id']:40} gold={'pass' if row['gold_passed'] else 'FAIL'} {row['seconds']:.2f}s "
                  + " ".join(f"{k}={v}" for k, v in row["planted"].items())
                  + (f"  {row['gold_failures']}" if row["gold_failures"] else ""), flush=True)
    passed = sum(r["gold_passed"] for r in rows)
    planted = [v for r in rows for v in r["planted"].values() if v != "n/a"]
    summary = {"instances": len(rows), "skipped": skipped, "gold_pass_rate": round(passed / max(len(rows), 1), 4),
               "planted": len(planted), "planted_caught": planted.count("caught"),
               "median_review_s": round(sorted(r["seconds"] for r in rows)[len(rows) // 2], 3) if rows else None,
               "by_defect": {name: [r["planted"][name] for r in rows].count("caught") for name in DEFECTS}}
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
