"""Import every library module a candidate changes, in the project's environment.

Parsing proves a file is Python; it does not prove ``from collections.abc import
Mapping, defaultdict`` works. When the tests are off, find nothing related, or
cannot run, this is the cheap check that still executes the change: each
changed module of a package is imported in a fresh interpreter of the
project's environment, with the worktree first on the path. A module that
fails to import on the base too is only a warning; a renamed module is compared
with its old self there (run as a file where its old place was no module).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Collection
from pathlib import Path, PurePosixPath

import git

from core.console import first_few
from core.worktrees import worktree
from tools.candidate import Candidate
from tools.environments import TestEnvironment, execute
from tools.findings import Finding

# An argument of _SCRIPT that names a file to run (a base file that was no module), not a module to import.
_FILE = "file:"
# Runs in the project's interpreter: import each module (or run each file from its folder, as a script of it
# would be, under a name that skips its ``__main__`` block), report the last line of each failure as JSON.
_SCRIPT = f"""
import importlib, json, os, runpy, sys, traceback
def load(entry):
    if not entry.startswith({_FILE!r}):
        return importlib.import_module(entry)
    path = entry[{len(_FILE)}:]
    folder = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, folder)
    try:
        runpy.run_path(path, run_name="__patchgate_import_check__")
    finally:
        if folder in sys.path:
            sys.path.remove(folder)
failed = {{}}
for entry in sys.argv[1:]:
    try:
        load(entry)
    except BaseException as exc:  # SystemExit and KeyboardInterrupt from module code count as failures too
        last = "".join(traceback.format_exception_only(type(exc), exc)).strip().splitlines()[-1]
        owner = type(exc).__module__ + "."  # a class of the module itself is named by where it ran from
        failed[entry] = (last[len(owner):] if last.startswith(owner) else last)[:300]
print("PATCHGATE-IMPORTS " + json.dumps(failed))
"""
_MARK = "PATCHGATE-IMPORTS "
IMPORT_TIMEOUT = 120.0


def import_check(
    repo: git.Repo,
    base: str,
    candidate: Candidate,
    tree: Path,
    is_test: Callable[[str], bool],
    environment: TestEnvironment,
    timeout: float,
    pass_env: list[str] | tuple[str, ...] = (),
) -> tuple[list[Finding], str]:
    """Findings for changed modules that do not import (base failures only warn), and a one-line summary."""
    modules = importable_modules(tree, candidate, is_test)
    timeout = min(timeout, IMPORT_TIMEOUT)
    failed = check_imports(tree, list(modules), environment, timeout, pass_env)
    if isinstance(failed, str):
        return [Finding(rule="tests.import-check-not-run", severity="warning", message=failed)], ""
    if not failed:
        return [], f"import check: {len(modules)} changed module(s) import" if modules else ""
    with worktree(repo, base) as base_tree:
        was = base_counterparts(base_tree, candidate, {n: modules[n] for n in failed})
        before = check_imports(base_tree, list(was.values()), environment, timeout, pass_env)
    before = before if isinstance(before, dict) else {}
    return import_findings(failed, {n: before[arg] for n, arg in was.items() if arg in before}, modules), ""


def importable_modules(tree: Path, candidate: Candidate, is_test: Callable[[str], bool]) -> dict[str, str]:
    """Dotted name -> path of each changed library module: inside a package, not a test, not ``__main__``."""
    modules: dict[str, str] = {}
    for changed in candidate.files:
        path = PurePosixPath(changed.path)
        if (
            changed.deleted
            or path.suffix != ".py"
            or path.name in ("__main__.py", "setup.py", "conftest.py")
            or is_test(changed.path)
        ):
            continue
        name = _module_name(tree, path)
        if name:
            modules[name] = changed.path
    return dict(sorted(modules.items()))


def _module_name(tree: Path, path: PurePosixPath) -> str | None:
    """The name ``path`` is imported as: its chain of package folders (a ``src/`` root dropped), or None."""
    parts = [path.stem] if path.name != "__init__.py" else []
    folder = path.parent
    while folder != PurePosixPath(".") and (tree / folder / "__init__.py").is_file():
        parts.insert(0, folder.name)
        folder = folder.parent
    if not parts or (path.name != "__init__.py" and len(parts) == 1):
        return None  # a top-level script, not a module of a package
    if folder not in (PurePosixPath("."), PurePosixPath("src")):
        return None  # a package below some other folder (examples/, docs/): not importable as the project
    return ".".join(parts)


def base_counterparts(base_tree: Path, candidate: Candidate, modules: dict[str, str]) -> dict[str, str]:
    """Module name -> what it was on the base, as an argument of ``_SCRIPT``; none where it had no file there.

    A failure only counts as old if the same code failed the same way before, so a renamed module is
    compared with its old path, not with the new one (absent on the base): by its old dotted name where
    that was a module, else by running the old file (attrs moved type-checker examples, which raise when
    run, from ``typing-examples/`` into a package).
    """
    renamed = {f.path: f.old_path for f in candidate.files if f.status == "renamed" and f.old_path}
    found: dict[str, str] = {}
    for name, path in modules.items():
        old = renamed.get(path)
        if not (base_tree / (old or path)).is_file():
            continue
        found[name] = name if old is None else (_module_name(base_tree, PurePosixPath(old)) or _FILE + old)
    return found


def check_imports(
    tree: Path,
    entries: Collection[str],
    environment: TestEnvironment,
    timeout: float,
    pass_env: list[str] | tuple[str, ...] = (),
) -> dict[str, str] | str:
    """Failures by argument (a module name, or ``_FILE`` and a path), or a string saying why the check could not run."""
    if not entries:
        return {}
    if environment.python is None:
        return "no interpreter is known for the configured test command (set [tool.patchgate.tests] python)"
    if not os.access(environment.python, os.X_OK):
        return f"import check skipped: {environment.how}"
    with tempfile.TemporaryDirectory(prefix="patchgate-imports-") as scratch:
        done = execute(
            [str(environment.python), "-c", _SCRIPT, *entries],
            cwd=tree,
            env=environment.prepare(tree, Path(scratch), pass_env),
            timeout=timeout,
            confine=environment.confine,
        )
    if done.timed_out:
        return f"importing the changed modules took longer than {timeout:g} s"
    line = next((x for x in reversed(done.output.splitlines()) if x.startswith(_MARK)), None)
    if line is None:
        return f"the import check did not finish (exit {done.returncode}): {done.output.strip()[-300:]}"
    return json.loads(line[len(_MARK) :])


def import_findings(
    candidate_failures: dict[str, str], base_failures: dict[str, str], modules: dict[str, str]
) -> list[Finding]:
    """One error per module the change breaks; modules that failed the same way on the base, one warning."""
    findings, old = [], []
    for name, why in candidate_failures.items():
        if base_failures.get(name) == why:
            old.append(f"{name}: {why}")
        else:
            findings.append(
                Finding(rule="tests.import-error", path=modules[name], message=f"import {name} fails: {why}")
            )
    if old:
        shown = first_few(old, 2, sep="; ")
        findings.append(
            Finding(
                rule="tests.import-error",
                severity="warning",
                message=f"{len(old)} changed module(s) do not import on the base either ({shown})",
            )
        )
    return findings
