"""Import every library module a candidate changes, in the project's environment.

Parsing proves a file is Python; it does not prove ``from collections.abc import
Mapping, defaultdict`` works. When the tests are off, find nothing related, or
cannot run, this is the cheap check that still executes the change: each
changed module of a package is imported in a fresh interpreter of the
project's environment, with the worktree first on the path. A module that
fails to import on the base too is only a warning; a renamed module is compared
with its old self there (run as a file where its old place was no module), a new
one with its package. Where the environment lacks a package the module imports on
both sides, or one its package declares in a requirement file of its own that
nothing installs (a task runner's), the import says nothing of the change: a
warning that the module went unchecked.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import git
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from core.console import first_few
from core.worktrees import worktree
from tools.candidate import Candidate
from tools.environments import TestEnvironment, execute
from tools.findings import Finding
from tools.reqfiles import requirement_lines

# An argument of _SCRIPT that names a file to run (a base file that was no module), not a module to import.
_FILE = "file:"
# Runs in the project's interpreter: import each module (or run each file from its folder, as a script of it
# would be, under a name that skips its ``__main__`` block), report the last line of each failure as JSON, and
# the top-level name of a module that no folder of the path holds (a package the environment lacks); where one
# is, the distributions installed (what a requirement file names that the environment does not have).
_SCRIPT = f"""
import importlib, importlib.metadata, importlib.util, json, os, runpy, sys, traceback
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
def lacking(exc):
    top = (getattr(exc, "name", None) or "").partition(".")[0] if isinstance(exc, ModuleNotFoundError) else ""
    try:
        return top if top and importlib.util.find_spec(top) is None else None
    except Exception:
        return None
failed = {{}}
for entry in sys.argv[1:]:
    try:
        load(entry)
    except BaseException as exc:  # SystemExit and KeyboardInterrupt from module code count as failures too
        last = "".join(traceback.format_exception_only(type(exc), exc)).strip().splitlines()[-1]
        owner = type(exc).__module__ + "."  # a class of the module itself is named by where it ran from
        failed[entry] = [(last[len(owner):] if last.startswith(owner) else last)[:300], lacking(exc)]
lacks = any(lacked for _, lacked in failed.values())
installed = sorted(set(d.metadata["Name"] or "" for d in importlib.metadata.distributions())) if lacks else []
print("PATCHGATE-IMPORTS " + json.dumps(dict(failed=failed, installed=installed)))
"""
_MARK = "PATCHGATE-IMPORTS "
IMPORT_TIMEOUT = 120.0


@dataclass(frozen=True)
class ImportCheck:
    """The findings, a one-line summary, and whether any changed module imported: where none did (each failed as
    on the base, or went unchecked), the check executed nothing of the change, and a gate it stands in for says so."""

    findings: list[Finding]
    summary: str
    imported: bool


@dataclass(frozen=True)
class ImportFailure:
    """Why a module did not import (the exception's last line), and the package it lacked, if that was why."""

    why: str
    lacks: str | None = None


@dataclass(frozen=True)
class Imports:
    """What one run of ``_SCRIPT`` found: failures by argument, and, where one lacked a package, the canonical names
    of the distributions the environment has (a module's import name need not be its distribution's: ``yaml``
    comes from PyYAML, so a requirement file that names a distribution not installed may be what provides it)."""

    failed: dict[str, ImportFailure]
    installed: frozenset[str] = frozenset()


def import_check(
    repo: git.Repo,
    base: str,
    candidate: Candidate,
    tree: Path,
    is_test: Callable[[str], bool],
    environment: TestEnvironment,
    timeout: float,
    pass_env: list[str] | tuple[str, ...] = (),
) -> ImportCheck:
    """Findings for changed modules that do not import (base failures only warn), and a summary that says how
    many imported: a warning alone leaves the verdict passed, so the summary says what was not shown."""
    modules = importable_modules(tree, candidate, is_test)
    timeout = min(timeout, IMPORT_TIMEOUT)
    run = check_imports(tree, list(modules), environment, timeout, pass_env)
    if isinstance(run, str):
        return ImportCheck([Finding(rule="tests.import-check-not-run", severity="warning", message=run)], "", False)
    failed = run.failed
    if not failed:
        return ImportCheck([], f"import check: {len(modules)} changed module(s) import" if modules else "", True)
    with worktree(repo, base) as base_tree:
        was = base_counterparts(base_tree, candidate, {n: modules[n] for n in failed})
        ran_before = check_imports(base_tree, list(was.values()), environment, timeout, pass_env)
    before = ran_before.failed if isinstance(ran_before, Imports) else {}
    aside = {
        n: why
        for n, fail in failed.items()
        if fail.lacks and (why := declared_aside(tree, modules[n], fail.lacks, run.installed))
    }
    findings = import_findings(failed, {n: before[arg] for n, arg in was.items() if arg in before}, modules, aside)
    imported = len(modules) - len(failed)
    return ImportCheck(findings, f"import check: {imported} of {len(modules)} changed module(s) import", imported > 0)


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
    """Module name -> what it was on the base, as an argument of ``_SCRIPT``; none where nothing was there.

    A failure only counts as old if the same code failed the same way before, so a renamed module is
    compared with its old path, not with the new one (absent on the base): by its old dotted name where
    that was a module, else by running the old file (attrs moved type-checker examples, which raise when
    run, from ``typing-examples/`` into a package). A new module is compared with the nearest package
    above it that the base had: importing it imports that first (parse_type's new ``tasks/_path.py``,
    whose package never imported here).
    """
    renamed = {f.path: f.old_path for f in candidate.files if f.status == "renamed" and f.old_path}
    found: dict[str, str] = {}
    for name, path in modules.items():
        old = renamed.get(path)
        if (base_tree / (old or path)).is_file():
            found[name] = name if old is None else (_module_name(base_tree, PurePosixPath(old)) or _FILE + old)
        elif old is None and (package := _package_on(base_tree, PurePosixPath(path))):
            found[name] = package
    return found


def _package_on(base_tree: Path, path: PurePosixPath) -> str | None:
    """The dotted name of the nearest package above ``path`` that ``base_tree`` has, or None."""
    for folder in path.parents:
        if folder == PurePosixPath("."):
            return None
        if (base_tree / folder / "__init__.py").is_file():
            return _module_name(base_tree, folder / "__init__.py")
    return None


def check_imports(
    tree: Path,
    entries: Collection[str],
    environment: TestEnvironment,
    timeout: float,
    pass_env: list[str] | tuple[str, ...] = (),
) -> Imports | str:
    """Failures by argument (a module name, or ``_FILE`` and a path), or a string saying why the check could not run."""
    if not entries:
        return Imports({})
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
    found = json.loads(line[len(_MARK) :])
    return Imports(
        {entry: ImportFailure(why, lacks) for entry, (why, lacks) in found["failed"].items()},
        frozenset(canonicalize_name(name) for name in found["installed"]),
    )


def declared_aside(tree: Path, path: str, lacks: str, installed: Collection[str]) -> str | None:
    """Why the environment, not the change, lacks ``lacks``: a requirement file in the module's own package folders
    (up to its top-level package) names it, or names distributions the environment does not have (``installed``:
    canonical names), one of which may provide it under another name (``yaml``, declared as PyYAML). None where no
    such file is. A package beside the project's (parse_type's invoke ``tasks/``) declares what it needs in a file
    of its own (``tasks/py.requirements.txt``) that no environment here installs; a package the project's library
    lacks is declared, if anywhere, where the environment reads it."""
    wanted = canonicalize_name(lacks)
    folder = PurePosixPath(path).parent
    while folder != PurePosixPath(".") and (tree / folder / "__init__.py").is_file():
        for listed in sorted((tree / folder).glob("*requirements*.txt")):
            named = str(listed.relative_to(tree))
            names = [Requirement(line).name for line in requirement_lines(tree, [named])]
            if any(canonicalize_name(name) == wanted for name in names):
                return f"which {named} declares"
            if absent := [name for name in names if canonicalize_name(name) not in installed]:
                return f"which {named} may provide ({first_few(absent, 2)}, not installed)"
        folder = folder.parent
    return None


def import_findings(
    candidate_failures: dict[str, ImportFailure],
    base_failures: dict[str, ImportFailure],
    modules: dict[str, str],
    aside: dict[str, str] | None = None,
) -> list[Finding]:
    """One error per module the change breaks; one warning for those that failed the same way on the base, and
    one for those the environment cannot import for want of a package: on both sides, or one their package
    declares in a requirement file of its own (``aside``: module -> why, from ``declared_aside``). Unchecked, not
    passed: the import says nothing of the change."""
    findings, old, unchecked = [], [], []
    for name, failure in candidate_failures.items():
        before, declared = base_failures.get(name), (aside or {}).get(name)
        if before is not None and before.why == failure.why:
            old.append(f"{name}: {failure.why}")
        elif declared:
            unchecked.append((name, f"{failure.lacks}, {declared}"))
        elif before is not None and before.lacks and failure.lacks:
            unchecked.append((name, f"{before.lacks} on the base, {failure.lacks} on the change"))
        else:
            findings.append(
                Finding(rule="tests.import-error", path=modules[name], message=f"import {name} fails: {failure.why}")
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
    if unchecked:
        names = first_few([name for name, _ in unchecked], 3)
        lacks = first_few(list(dict.fromkeys(why for _, why in unchecked)), 2, sep="; ")
        findings.append(
            Finding(
                rule="tests.import-unchecked",
                severity="warning",
                message=f"{len(unchecked)} changed module(s) not checked ({names}): the environment lacks "
                f"packages they import ({lacks})",
            )
        )
    return findings
