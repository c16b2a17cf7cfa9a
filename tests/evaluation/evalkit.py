"""A tiny SWE-bench-style dataset built from real git repositories in tmp_path.

``acme/calc`` is a package whose ``add`` subtracts; its instances carry a gold
fix, a test patch adding the FAIL_TO_PASS test, and PASS_TO_PASS ids cut at a
space the way the harness's log parser cuts them. ``acme/broken`` depends on a
package that does not exist, so its environment cannot be built.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PYPROJECT = (
    '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n\n'
    '[project]\nname = "{name}"\nversion = "0.1"\ndependencies = [{deps}]\n\n'
    '[tool.setuptools]\npackages = ["calc"]\n'
)
CALC = "def add(a, b):\n    return a - b\n\n\ndef double(x):\n    return x * 2\n"
TEST_CALC = (
    "import pytest\n\nfrom calc import double\n\n\ndef test_double():\n    assert double(4) == 8\n\n\n"
    "@pytest.mark.parametrize('query', ['select * from t', 'a b'])\ndef test_query(query):\n"
    "    assert ' ' in query\n\n\ndef test_unrelated_and_slow():\n    raise AssertionError('never selected')\n"
)
# What the test patches add to tests/test_calc.py (the harness runs the files a test patch touches)
TEST_ADD = TEST_CALC + "\n\ndef test_add():\n    from calc import add\n\n    assert add(2, 3) == 5\n"
TEST_NETWORK = TEST_CALC + (
    "\n\ndef test_add_online():\n    import socket\n\n    socket.getaddrinfo('patchgate-eval.invalid', 80)\n"
)
TEST_TRIPLE = TEST_CALC + "\nfrom calc import triple\n\n\ndef test_triple():\n    assert triple(2) == 6\n"
GOLD_FIX = {"calc/__init__.py": CALC.replace("a - b", "a + b")}
TRIPLE_FIX = {"calc/__init__.py": CALC + "\n\ndef triple(x):\n    return x * 3\n"}
# a test that needs a package the environment lacks: nothing any prediction does can make it run
TEST_UNINSTALLED = TEST_CALC + "\nimport hypothesis_is_not_installed\n\n\ndef test_triple():\n    assert True\n"
P2P = ["tests/test_calc.py::test_double", "tests/test_calc.py::test_query[select", "tests/test_calc.py::test_query[a"]
ISSUE = "add() returns the wrong result: add(2, 3) gives -1 instead of 5"


def git(cwd: Path, *args: str, data: str | None = None, when: str | None = None) -> str:
    """git in ``cwd``; ``when`` (ISO date) is the author and committer date of what it commits."""
    env = {
        "GIT_AUTHOR_NAME": "T",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "T",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "PATH": "/usr/bin:/bin",
        "HOME": str(cwd),
    }
    if when:
        env.update(GIT_AUTHOR_DATE=when, GIT_COMMITTER_DATE=when)
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True, input=data
    ).stdout


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")


def diff_for(root: Path, files: dict[str, str]) -> str:
    """The diff writing ``files`` makes on the committed tree (which is left as it was)."""
    write(root, files)
    git(root, "add", "-A")
    diff = git(root, "diff", "--cached")
    git(root, "reset", "-q", "--hard")
    return diff


@dataclass
class Dataset:
    path: Path
    repos: Path
    rows: list[dict]

    def ids(self) -> list[str]:
        return [r["instance_id"] for r in self.rows]


def published(work: Path, sources: dict[str, Path], rows: list[dict]) -> Dataset:
    """The dataset of ``rows`` in ``work``: each source repository cloned bare to ``work/repos/<key>`` (what
    ``--repos`` reads) and the rows written to ``work/dataset.json``."""
    repos = work / "repos"
    repos.mkdir()
    for key, source in sources.items():
        git(work, "clone", "-q", "--bare", str(source), str(repos / key))
    path = work / "dataset.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    return Dataset(path, repos, rows)


def make_repo(work: Path, owner_name: str, deps: str = "") -> tuple[Path, str]:
    """A working repository (for making diffs) and its base commit; a bare clone goes under work/repos."""
    files = {
        "pyproject.toml": PYPROJECT.format(name=owner_name.split("/")[1], deps=deps),
        "calc/__init__.py": CALC,
        "tests/test_calc.py": TEST_CALC,
        ".patchgate.toml": '[index]\ndense = "none"\n',
    }
    return base_repo(work, owner_name.replace("/", "__"), files)


def base_repo(
    work: Path, key: str, files: Mapping[str, str | bytes], *, when: str | None = None, executable: tuple[str, ...] = ()
) -> tuple[Path, str]:
    """``work/src/<key>``, a git repository whose one commit (dated ``when``) holds ``files``; and that commit."""
    root = work / "src" / key
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    for rel, content in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(content if isinstance(content, bytes) else content.encode())
    for rel in executable:
        (root / rel).chmod(0o755)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base", when=when)
    return root, git(root, "rev-parse", "HEAD").strip()


def instance(iid: str, repo: str, base: str, patch: str, test_patch: str, f2p: list[str], p2p: list[str]) -> dict:
    return {
        "instance_id": iid,
        "repo": repo,
        "base_commit": base,
        "patch": patch,
        "test_patch": test_patch,
        "problem_statement": ISSUE,
        "FAIL_TO_PASS": json.dumps(f2p),
        "PASS_TO_PASS": p2p,
        "version": "0.1",
        "environment_setup_commit": base,
        "created_at": "2024-01-01T00:00:00Z",
    }


def build(work: Path, *, broken: bool = False, network: bool = False, new_name: bool = False) -> Dataset:
    """The dataset: acme__calc-1 always; on request acme__calc-2 (needs the network), acme__calc-3 (its test
    imports a function the fix adds) with acme__calc-4 (its test imports a package nobody installed), and
    acme__broken-1 (a dependency that does not exist)."""
    calc, base = make_repo(work, "acme/calc")
    gold = diff_for(calc, GOLD_FIX)
    rows = [
        instance(
            "acme__calc-1",
            "acme/calc",
            base,
            gold,
            diff_for(calc, {"tests/test_calc.py": TEST_ADD}),
            ["tests/test_calc.py::test_add"],
            P2P,
        )
    ]
    if network:
        rows.append(
            instance(
                "acme__calc-2",
                "acme/calc",
                base,
                gold,
                diff_for(calc, {"tests/test_calc.py": TEST_NETWORK}),
                ["tests/test_calc.py::test_add_online"],
                P2P[:1],
            )
        )
    if new_name:
        rows.append(
            instance(
                "acme__calc-3",
                "acme/calc",
                base,
                diff_for(calc, TRIPLE_FIX),
                diff_for(calc, {"tests/test_calc.py": TEST_TRIPLE}),
                ["tests/test_calc.py::test_triple"],
                P2P[:1],
            )
        )
        rows.append(
            instance(
                "acme__calc-4",
                "acme/calc",
                base,
                diff_for(calc, TRIPLE_FIX),
                diff_for(calc, {"tests/test_calc.py": TEST_UNINSTALLED}),
                ["tests/test_calc.py::test_triple"],
                P2P[:1],
            )
        )
    sources = {"acme__calc": calc}
    if broken:
        other, other_base = make_repo(work, "acme/broken", deps='"patchgate-no-such-package-4f2a9e"')
        rows.append(
            instance(
                "acme__broken-1",
                "acme/broken",
                other_base,
                diff_for(other, GOLD_FIX),
                diff_for(other, {"tests/test_calc.py": TEST_ADD}),
                ["tests/test_calc.py::test_add"],
                P2P,
            )
        )
        sources["acme__broken"] = other
    return published(work, sources, rows)


def worktrees(bare: Path) -> list[str]:
    out = git(bare, "worktree", "list", "--porcelain")
    return [line.split(" ", 1)[1] for line in out.splitlines() if line.startswith("worktree ")]
