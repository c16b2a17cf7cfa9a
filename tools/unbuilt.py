"""What no build here made, so the tests that need it judge nothing.

The tests gate runs a change's tests in an environment built once from the
project's metadata (``tools.environments``), with the worktree first on the
path. Two things a build makes are then not the change's to answer for:

- the change's compiled code: a change to a C or Rust source runs against the
  extension modules built before it, or against none (``tests.native-not-rebuilt``);
- the project itself, where its environment could not install it (its build
  needs a toolchain or a download this machine lacks, so the environment holds
  the project's dependencies only): a test that reads the project's installed
  metadata, ``importlib.metadata.version("pkg")``, fails there on every commit
  (``tests.project-not-installed``).

A failure these explain is a warning that says so, never the change's break. The one thing a build here did
make and the change broke is the change's: its package installs without a module of its own tree that the
installed package then needs, where the base's installs and runs (``left_out``).
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from packaging.utils import canonicalize_name

from core.console import first_few
from core.pymodules import SOURCE_ROOTS
from core.tables import ini_file, pyproject_of, table_at
from tools.candidate import Candidate
from tools.environments import TestEnvironment
from tools.findings import Finding
from tools.generated import NATIVE_SOURCES, built_extensions, packages, site_packages

UNBUILT = ("tests.native-not-rebuilt", "tests.project-not-installed")  # failures no build here could let pass
_BREAKS = ("tests.new-failure", "tests.import-error")  # what a missing build can explain
_MISSING_MODULE = re.compile(r"No module named '([\w.]+)'")
# importlib.metadata (3.10 on: "No package metadata was found for x"; before: the name alone), pkg_resources
_NO_METADATA = re.compile(
    r"PackageNotFoundError: (?:No package metadata was found for )?([\w.-]+)"
    r"|DistributionNotFound: The '([\w.-]+)' distribution was not found"
)


def native_sources(candidate: Candidate) -> list[str]:
    """The files ``candidate`` edits or adds that a build compiles into an extension module."""
    return [f.path for f in candidate.files if not f.deleted and PurePosixPath(f.path).suffix in NATIVE_SOURCES]


def built_by_the_change(findings: list[Finding], candidate: Candidate, tree: Path) -> list[Finding]:
    """A new failure that cannot import a module of the project no file in the tree provides, from a change that
    edits code a build compiles, is a warning: the module is the change's compiled code, which no build here made
    (pipdeptree's "replace the Python engine with a Rust extension": ``No module named 'pipdeptree._rust'``)."""
    if not native_sources(candidate):
        return findings
    ours = _top_packages(tree)
    reshaped = []
    for finding in findings:
        missing = _MISSING_MODULE.search(finding.message) if finding.rule in _BREAKS else None
        if missing and missing[1].split(".")[0] in ours and not _provided(tree, missing[1]):
            said = f"{finding.message}: a module the change's compiled code would make, which no build here ran"
            finding = finding.model_copy(
                update={"rule": "tests.native-not-rebuilt", "severity": "warning", "message": said}
            )
        reshaped.append(finding)
    return reshaped


def not_installed(findings: list[Finding], tree: Path, environment: TestEnvironment) -> list[Finding]:
    """A new failure for want of the project's own installed metadata, in an environment that could not install
    the project, is a warning: the same test fails so on every commit here, whatever it changes. pipdeptree's
    switch to a Rust build (which cannot run offline) added tests that ask ``importlib.metadata`` for pipdeptree's
    version, and was blocked for the environment's failure. Another distribution's metadata still judges."""
    if not environment.project_failed:
        return findings
    ours = _project_names(tree)
    reshaped = []
    for finding in findings:
        missing = _NO_METADATA.search(finding.message) if finding.rule in _BREAKS else None
        if missing and canonicalize_name(missing[1] or missing[2]) in ours:
            why = environment.project_failed
            said = (
                f"{finding.message}: the project could not be installed in its test environment, so its metadata "
                f"is missing on every commit here (its build said: {why if len(why) < 300 else '...' + why[-240:]})"
            )
            finding = finding.model_copy(
                update={"rule": "tests.project-not-installed", "severity": "warning", "message": said}
            )
        reshaped.append(finding)
    return reshaped


def left_out(tree: Path, environment: TestEnvironment, base: TestEnvironment) -> list[Finding]:
    """An error when the change's environment installed the project but pytest could not start with it, for want of
    a module of the project that the tree has, where the base's installed and ran: the package the change builds
    leaves that module out. requests-mock's move from pbr to setup.cfg named ``packages = requests_mock`` only, so
    its wheel lost ``requests_mock.contrib``, where its pytest plugin lives (its entry point), and every pytest
    with it installed stopped at start; its review said only that its own tests' fixture was missing. A build that
    failed (a toolchain, a download) names no module of the tree, and stays ``not_installed``'s warning."""
    if environment is base or not environment.project_failed or base.project_failed:
        return []
    missing = _MISSING_MODULE.search(environment.project_failed)
    ours = _top_packages(tree)
    if not (missing and missing[1].split(".")[0] in ours and _provided(tree, missing[1])):
        return []
    said = (
        f"the package the change builds leaves out {missing[1]}, which the tree has: installed, it stops pytest "
        f"({missing[0]}); the base's package installs and runs"
    )
    return [Finding(rule="tests.package-incomplete", message=said)]


def native_not_rebuilt(candidate: Candidate, tree: Path, environment: TestEnvironment) -> list[Finding]:
    """A warning when the change edits code a build compiles (``NATIVE_SOURCES``) and the project's extension
    modules were built before it (in the user's tree or the environment, ``tools.generated``): the tests import
    those, so that code is not checked."""
    native = native_sources(candidate)
    site = site_packages(environment.python) if environment.python is not None else []
    if not native or not built_extensions(tree, [environment.root] if environment.root else [], site):
        return []
    shown = first_few(native)
    said = (
        f"the change edits compiled code ({shown}); the tests ran with the extension modules built from the "
        "environment's source, not the change's, so that code is not checked"
    )
    return [Finding(rule="tests.native-not-rebuilt", severity="warning", path=native[0], message=said)]


def _provided(tree: Path, module: str) -> bool:
    """Whether a file of ``tree`` (at its root or under a source root) is the Python module or package ``module``."""
    relative = module.replace(".", "/")
    return any(
        (tree / base / f"{relative}.py").is_file() or (tree / base / relative / "__init__.py").is_file()
        for base in ("", *SOURCE_ROOTS)
    )


def _top_packages(tree: Path) -> set[str]:
    """The names of the project's packages (``tools.generated.packages``), as a module's first dotted part reads."""
    return {PurePosixPath(p).name for p in packages(tree)}


def _project_names(tree: Path) -> set[str]:
    """The names the project's metadata is asked for under, canonical: its distribution's name (pyproject.toml's
    ``[project]``, setup.cfg's ``[metadata]``) and its top-level packages (most projects' distribution names)."""
    names = _top_packages(tree)
    if isinstance(name := table_at(pyproject_of(tree), "project").get("name"), str):
        names.add(name)
    if (setup_cfg := ini_file(tree / "setup.cfg")) is not None:
        names.add(setup_cfg.get("metadata", "name", fallback=""))
    return {canonicalize_name(n) for n in names if n}
