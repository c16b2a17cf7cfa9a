"""The SWE-bench harness as a library: specs, test directives, log parsers and grading, read from ``swebench``.

``swebench`` 4.x (a dependency of patchgate) carries, for each repository and
version, the install spec and the test command (``bin/test`` for sympy,
``tests/runtests.py`` for django, pytest with the spec's options elsewhere), the
directive logic that turns a test patch into what that command runs, a log
parser per repository, and the grading rules. Using them, rather than a copy,
is what makes ``eval solve`` give the harness's verdict. 5.x dropped the specs
(it builds Docker images instead), so it cannot serve.

A repository the package does not know gets the harness's defaults: ``pytest
-rA`` over the test files the test patch touches, read with the pytest parser.
Nothing here is per repository: every rule is the package's data.
"""

from __future__ import annotations

import logging
import re
import shlex
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from core.errors import ConfigError
from evaluation.conda import conda_requirements
from evaluation.dataset import Instance

SUPPORTED = "swebench>=4.0,<5"
DEFAULT_TEST_CMD = "pytest -rA"
# Spec commands that only change the tree (a version pin in setup.py, -rA into tox.ini): they run on the
# checkout; everything else in pre_install/eval_commands sets up the harness's Docker image and is not run.
TREE_EDIT = re.compile(r"^sed -i (?:'[^']*'|\"[^\"]*\") [\w./-]+$")
EXPORT = re.compile(r"^export (\w+)=(\S+)$")


class HarnessMissing(ConfigError):
    """The SWE-bench harness package is not importable: verdicts would not be the harness's."""


@dataclass(frozen=True)
class HarnessSpec:
    """What the harness installs and runs for one repository and version."""

    known: bool  # the package has a spec for this repository/version (else the harness's defaults)
    python: str = ""  # "X.Y" the spec asks for; "" means patchgate's own
    packages: tuple[str, ...] = ()  # pip requirement specifiers
    requirement_files: tuple[str, ...] = ()  # tree-relative
    conda_packages: tuple[str, ...] = ()  # the spec's environment.yml as pip requirements, each installed if it can
    extras: str = ""  # e.g. "[test]" from ``pip install -e .[test]``
    test_cmd: str = DEFAULT_TEST_CMD
    tree_edits: tuple[str, ...] = ()  # sed -i commands on the tree's own files
    exports: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    # False where the spec installs the project with --no-build-isolation (scikit-learn, matplotlib 3.8+): its
    # build imports numpy and Cython from the environment, and fails in an isolated one ("numpy is not installed")
    build_isolation: bool = True
    develop: bool = False  # the spec installs with --no-use-pep517: pip runs setup.py develop (scikit-learn)

    def describe(self) -> str:
        return (
            f"spec: {'swebench' if self.known else 'harness defaults'}; python {self.python or 'ours'}; "
            f"packages: {' '.join(self.packages) or '-'}; requirements: {', '.join(self.requirement_files) or '-'}"
            + (f"; conda environment: {len(self.conda_packages)} package(s)" if self.conda_packages else "")
            + f"; project extras: {self.extras or '-'}"
            + ("" if self.build_isolation else ", built without isolation")
            + (", installed with setup.py develop" if self.develop else "")
            + f"; tests: {self.test_cmd}"
            + "".join(f"\nnote: {n}" for n in self.notes)
        )


def swebench() -> ModuleType:
    """The harness package's constants module; HarnessMissing (said once, up front) when it cannot be had."""
    return _modules()[0]


@cache
def _modules() -> tuple[ModuleType, ModuleType, ModuleType, ModuleType]:
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    try:
        import swebench as package
        from swebench.harness import constants, grading, log_parsers
        from swebench.harness.test_spec import python as directives
    except ImportError as exc:
        raise HarnessMissing(
            f"eval solve needs the SWE-bench harness package ({SUPPORTED}) for the harness's "
            f"test commands and log parsers, and it cannot be imported ({exc}); reinstall patchgate "
            f"or run: pip install '{SUPPORTED}'"
        ) from None
    finally:  # importing swebench configures the root logger (basicConfig); keep our stderr ours
        root.setLevel(level)
        root.handlers[:] = handlers
    if not hasattr(constants, "MAP_REPO_VERSION_TO_SPECS"):
        raise HarnessMissing(
            f"swebench {getattr(package, '__version__', '?')} has no install specs; eval solve needs {SUPPORTED}"
        )
    return constants, grading, log_parsers, directives


def harness_spec(repo: str, version: str, checkout: Path) -> HarnessSpec:
    """The spec for ``repo`` at ``version``; ``checkout`` is the tree at the environment's commit."""
    constants = _modules()[0]
    spec: dict[str, Any] | None = constants.MAP_REPO_VERSION_TO_SPECS.get(repo, {}).get(version)
    if spec is None:
        return HarnessSpec(
            known=False,
            notes=(
                f"the harness has no spec for {repo} {version or '(no version)'}: "
                "its defaults (the project's test extras, pytest -rA)",
            ),
        )
    packages: list[str] = list(spec.get("pip_packages") or [])
    requirement_files: list[str] = []
    conda: tuple[str, ...] = ()
    notes: list[str] = []
    listed = str(spec.get("packages") or "")
    if listed == "requirements.txt":
        found = [p for p in constants.MAP_REPO_TO_REQS_PATHS.get(repo, []) if (checkout / p).is_file()]
        requirement_files = found[:1]
    elif listed == "environment.yml":
        found = [p for p in constants.MAP_REPO_TO_ENV_YML_PATHS.get(repo, []) if (checkout / p).is_file()]
        conda, unread = conda_requirements(checkout / found[0]) if found else ((), ())
        if not found:
            notes.append("the spec's conda environment file is not in the tree; the project's dependencies only")
        if unread:
            notes.append(f"not pip requirements, left out of {found[0]}: {', '.join(unread)[:300]}")
    elif listed:
        packages += shlex.split(listed)
    install = str(spec.get("install") or "")
    commands = [*(spec.get("pre_install") or []), *(spec.get("eval_commands") or [])]
    edits = tuple(c for c in commands if TREE_EDIT.match(c.strip()))
    exports = {m[1]: m[2].strip("'\"") for c in commands if (m := EXPORT.match(c.strip()))}
    if skipped := [c for c in commands if c not in edits and not EXPORT.match(c.strip())]:
        notes.append(f"{len(skipped)} command(s) for the harness's Docker image not run (e.g. {skipped[0][:80]})")
    return HarnessSpec(
        True,
        str(spec.get("python") or ""),
        tuple(packages),
        tuple(requirement_files),
        conda,
        _extras(install),
        str(spec.get("test_cmd") or DEFAULT_TEST_CMD),
        edits,
        exports,
        tuple(notes),
        "--no-build-isolation" not in install,
        "--no-use-pep517" in install,
    )


def _extras(install: str) -> str:
    """``[test]`` of ``pip install -e .[test]``; '' for any other install command."""
    match = re.search(r"(?:^|\s)['\"]?\.(\[[\w,-]+\])", install)
    return match.group(1) if match else ""


def directives_of(instance: Instance) -> list[str]:
    """What the test command runs: the harness's directives from the test patch (dotted modules for django)."""
    return list(_modules()[3].get_test_directives({"repo": instance.repo, "test_patch": instance.test_patch}))


def parse_log(repo: str, log: str) -> dict[str, str]:
    """Test name -> PASSED/FAILED/SKIPPED/ERROR/XFAIL, read with the repository's parser (pytest's by default)."""
    parsers = _modules()[2].MAP_REPO_TO_PARSER
    parser = parsers.get(repo) or parsers["pytest-dev/pytest"]
    return dict(parser(log, None))


def grade(instance: Instance, status: dict[str, str]) -> tuple[bool, list[str], list[str]]:
    """(resolved, FAIL_TO_PASS ids that failed, PASS_TO_PASS ids that failed), by the harness's rules."""
    constants, grading = _modules()[0], _modules()[1]
    gold = {constants.FAIL_TO_PASS: instance.FAIL_TO_PASS, constants.PASS_TO_PASS: instance.PASS_TO_PASS}
    report = grading.get_eval_tests_report(status, gold)
    resolved = grading.get_resolution_status(report) == constants.ResolvedStatus.FULL.value
    return (resolved, list(report[constants.FAIL_TO_PASS]["failure"]), list(report[constants.PASS_TO_PASS]["failure"]))
