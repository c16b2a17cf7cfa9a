"""Acceptance check of the gates on real patches: SWE-bench lite dev gold patches, clean and with planted defects.

    python benchmarks/gold_patches.py [--dataset /work/shared/swebench/lite_dev.json] [--repos /tmp/swe-repos]

For every instance whose bare repository is at ``<repos>/<owner>__<name>``:
the gold patch, applied to its base commit, must pass apply + parse + scope +
security + license (tests off). Then six defects are planted on top of the
gold patch (a syntax error, a deleted assertion, an added skip, a token, an
f-string SQL query, an edit under .github/workflows/, and what model patches
leave behind: a scratch file, a root script, a stray test, build output, a
patch of only new files, a packaging edit, a debug print, a breakpoint) and
each must be caught by the rule named for it, at its severity (a warning
finding for packaging edits and pickle of a literal); planted near misses (a
skip in a new test file) must draw no finding of that rule. Clones are made with ``git clone --shared`` under a
temporary directory, never inside this repository. Prints one table and one
JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mirrors import complete_commit, git

from core.settings import TestSettings
from tools.gate import gate_names, load_gate
from tools.gates import ReviewOptions, review

OPTIONS = ReviewOptions(tests="none")
TOKEN = "ghp_" + "Zq8Xr2Lm5Vt9Wk3Np7Hs1Jd4Fb6Gc0Ye8Ua2Ri5"  # built, so this file holds no literal token


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


def add_file(rel: str, text: str | bytes) -> Callable[[Path, dict], bool]:
    """A planter that writes a new file ``rel`` (``{dir}`` is the folder of the first file the gold patch changes)."""

    def plant(clone: Path, inst: dict) -> bool:
        files = changed_py(inst["patch"])
        if "{dir}" in rel and not files:
            return False
        path = clone / rel.format(dir=str(Path(files[0]).parent) if files else "", first=files[0] if files else "")
        if path.exists():
            return False
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
        return True

    return plant


def only_new_files(clone: Path, inst: dict) -> bool:
    """The gold patch dropped: the candidate only adds a helper module next to the code that has the bug."""
    files = changed_py(inst["patch"])
    if not files:
        return False
    git(clone, "checkout", "-q", "--", ".")
    git(clone, "clean", "-qfd")
    return add_file("{dir}/fix_helper.py", "def fixed(value):\n    return value\n")(clone, inst)


def edit_packaging(clone: Path, inst: dict) -> bool:
    for name in ("setup.cfg", "setup.py", "tox.ini"):
        if (clone / name).is_file():
            with (clone / name).open("a", encoding="utf-8") as handle:
                handle.write("\n# pinned\n")
            return True
    return add_file("requirements.txt", "numpy<2\n")(clone, inst)


def edit_workflow(clone: Path, inst: dict) -> bool:
    path = clone / ".github" / "workflows" / "ci.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    old = path.read_text(encoding="utf-8") if path.is_file() else ""
    path.write_text(old + "\n# run fewer checks\n", encoding="utf-8")
    return True


# defect name -> (how to plant it, gate, rule prefix, expected: "error" fails the gate with the rule,
# "warning" reports the rule without failing, "absent" must not report the rule at all)
DEFECTS: dict[str, tuple[Callable[[Path, dict], bool], str, str, str]] = {
    "syntax-error": (append_to_first_py("\n\ndef planted(:\n    return 1\n"), "parse", "parse.syntax", "error"),
    "deleted-assertion": (delete_assertion, "scope", "scope.removed-assertion", "error"),
    "added-skip": (add_skip, "scope", "scope.added-skip", "error"),
    "token": (append_to_first_py(f'\n\nGITHUB_TOKEN = "{TOKEN}"\n'), "security", "security.secret", "error"),
    "sql-fstring": (
        append_to_first_py(
            "\n\ndef planted_lookup(cursor, name):\n    return cursor.execute(f\"SELECT * FROM users WHERE name = '{name}'\")\n"
        ),
        "security",
        "security.sql-injection",
        "error",
    ),
    "workflow-edit": (edit_workflow, "scope", "scope.protected-path", "error"),
    "scratch-file": (add_file("reproduce_bug.py", "print('reproduced')\n"), "scope", "scope.scratch-file", "error"),
    "root-script": (add_file("check_fix.py", "import sys\n"), "scope", "scope.root-script", "error"),
    "stray-test": (
        add_file("test_module_1.py", "def test_fix():\n    assert True\n"),
        "scope",
        "scope.stray-test",
        "error",
    ),
    "build-output": (add_file("build/lib/{first}", "x = 1\n"), "scope", "scope.build-output", "error"),
    "pycache": (
        add_file("{dir}/__pycache__/planted.cpython-311.pyc", b"\xa7\r\r\n\x00\x00\x00\x00"),
        "scope",
        "scope.build-output",
        "error",
    ),
    "only-new-files": (only_new_files, "scope", "scope.only-new-files", "error"),
    "packaging": (edit_packaging, "scope", "scope.packaging", "warning"),
    "debug-print": (
        append_to_first_py('\n\nprint("Debug: planted =", 1)\n'),
        "scope",
        "scope.debug-statement",
        "error",
    ),
    "breakpoint": (
        append_to_first_py("\n\ndef planted_debug():\n    breakpoint()\n"),
        "scope",
        "scope.debug-statement",
        "error",
    ),
    "pickle-literal": (
        append_to_first_py("\n\nimport pickle\n\n_PLANTED = pickle.loads(b'\\x80\\x04K\\x01.')\n"),
        "security",
        "security.pickle-loads",
        "warning",
    ),
    "skip-in-new-test": (
        add_file(
            "{dir}/tests/test_planted_new.py",
            "import pytest\n\n\n@pytest.mark.skip(reason='later')\ndef test_new():\n    assert True\n",
        ),
        "scope",
        "scope.added-skip",
        "absent",
    ),
}


def as_expected(report, rule: str, expected: str) -> bool:
    """Whether ``report`` says what it should about ``rule``: fail with it, warn with it, or not mention it."""
    hits = [f for f in report.findings if f.rule.startswith(rule)]
    if expected == "absent":
        return not hits
    if expected == "warning":
        return bool(hits) and all(f.severity == "warning" for f in hits)
    return not report.passed and any(f.severity == "error" for f in hits)


def gate_of(result, name: str):
    return next(g for g in result.gates if g.name == name)


def clone_at_base(inst: dict, bare: Path, scratch: Path) -> tuple[Path, dict]:
    clone = scratch / inst["instance_id"]
    subprocess.run(["git", "clone", "--shared", "-q", "--no-checkout", str(bare), str(clone)], check=True)
    inst = {**inst, "base_commit": complete_commit(clone, inst["base_commit"])}
    git(clone, "checkout", "-q", inst["base_commit"])
    return clone, inst


def check_with_tests(inst: dict, bare: Path, scratch: Path, cache: Path) -> dict:
    """The gold fix with its own tests (patch + test_patch), tests on, in an environment built with uv.

    What ``patchgate review --tests-env build`` does; built environments go to ``cache`` (once per
    dependency-file hash).
    """
    clone, inst = clone_at_base(inst, bare, scratch)
    os.environ["PATCHGATE_CACHE"] = str(cache)
    started = time.perf_counter()
    result = review(
        clone,
        inst["patch"] + inst["test_patch"],
        base=inst["base_commit"],
        options=ReviewOptions(tests="related"),
        tests=TestSettings(timeout=600, env="build"),
    )
    tests = gate_of(result, "tests")
    return {
        "id": inst["instance_id"],
        "gold_passed": result.passed,
        "seconds": time.perf_counter() - started,
        "tests_detail": tests.detail[-200:] if tests.passed else "",
        "gold_failures": [f"{g.name}:{f.rule}:{f.message[:160]}" for g in result.failed() for f in g.findings[:3]],
        "planted": {},
    }


def check_instance(inst: dict, bare: Path, scratch: Path) -> dict:
    clone, inst = clone_at_base(inst, bare, scratch)
    started = time.perf_counter()
    result = review(clone, inst["patch"], base=inst["base_commit"], options=OPTIONS)
    row = {
        "id": inst["instance_id"],
        "gold_passed": result.passed,
        "seconds": time.perf_counter() - started,
        "gold_failures": [f"{g.name}:{f.rule}:{f.path}" for g in result.failed() for f in g.findings],
        "planted": {},
    }
    for name, (plant, gate, rule, expected) in DEFECTS.items():
        git(clone, "apply", input=inst["patch"])
        if not plant(clone, inst):
            row["planted"][name] = "n/a"
        else:
            git(clone, "add", "-A", "--force")  # planted build output is usually git-ignored; a model's diff has it
            diff = git(clone, "diff", "--cached", "--binary")
            planted = review(clone, diff, base=inst["base_commit"], options=OPTIONS)
            row["planted"][name] = "caught" if as_expected(gate_of(planted, gate), rule, expected) else "missed"
        git(clone, "reset", "-q", "--hard", inst["base_commit"])
        git(clone, "clean", "-qfdx")
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=Path("/work/shared/swebench/lite_dev.json"))
    parser.add_argument("--repos", type=Path, default=Path("/tmp/swe-repos"))
    parser.add_argument(
        "--tests-env",
        choices=["build"],
        default=None,
        help="Instead: gold fix + its tests, tests on, in environments built with uv.",
    )
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path("/tmp/patchgate-bench-envs"),
        help="Where --tests-env build keeps the environments it builds.",
    )
    args = parser.parse_args()
    instances = json.loads(args.dataset.read_text(encoding="utf-8"))
    for name in gate_names():  # import every gate now: a long run must not pick up code edited meanwhile
        load_gate(name)
    rows, skipped = [], []
    with tempfile.TemporaryDirectory(prefix="patchgate-gold-") as scratch:
        for inst in instances:
            bare = args.repos / inst["repo"].replace("/", "__")
            if not bare.is_dir():
                skipped.append(inst["instance_id"])
                continue
            rows.append(
                check_with_tests(inst, bare, Path(scratch), args.cache)
                if args.tests_env
                else check_instance(inst, bare, Path(scratch))
            )
            row = rows[-1]
            print(
                f"{row['id']:40} gold={'pass' if row['gold_passed'] else 'FAIL'} {row['seconds']:.2f}s "
                + " ".join(f"{k}={v}" for k, v in row["planted"].items())
                + (f"  {row['gold_failures']}" if row["gold_failures"] else ""),
                flush=True,
            )
    passed = sum(r["gold_passed"] for r in rows)
    planted = [v for r in rows for v in r["planted"].values() if v != "n/a"]
    summary = {
        "instances": len(rows),
        "skipped": skipped,
        "gold_pass_rate": round(passed / max(len(rows), 1), 4),
        "planted": len(planted),
        "planted_caught": planted.count("caught"),
        "median_review_s": round(sorted(r["seconds"] for r in rows)[len(rows) // 2], 3) if rows else None,
        "by_defect": {name: [r["planted"][name] for r in rows].count("caught") for name in DEFECTS},
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
