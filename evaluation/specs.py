"""What to install for an instance's repository and version.

The SWE-bench package (``pip install patchgate[swebench]``, 4.x) carries the
harness's per-repository/version install specifications; when it is installed
they are used, read as data: the pip packages, the requirement files and the
extras of the project install. Shell commands in them (``pre_install``, conda
set-up) are written for the harness's Docker images and are never run here.
Without the package, or for a repository it does not know, a generic spec
installs the project with its usual test extras, its development requirement
files and pytest: what a contributor would do.

The spec's Python version is used when this machine has that interpreter
(environment.py says where it looks); otherwise patchgate's own Python.
"""

from __future__ import annotations

import logging
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

GENERIC_REQUIREMENTS = ("requirements_dev.txt", "requirements-dev.txt", "requirements_test.txt",
                        "requirements-test.txt", "test-requirements.txt", "requirements/test.txt",
                        "requirements/dev.txt", "requirements/testing.txt")
GENERIC_EXTRAS = ("test", "tests", "testing")


@dataclass(frozen=True)
class InstallSpec:
    """Packages, requirement files (relative to the checkout) and the project install, as uv arguments."""

    source: str  # "swebench" or "generic"
    packages: tuple[str, ...] = ()
    requirement_files: tuple[str, ...] = ()
    project: tuple[str, ...] = (".",)  # e.g. (".[all]",); "" means: do not install the project
    python: str = ""  # the version the spec asks for (informative)
    notes: tuple[str, ...] = field(default=())

    def describe(self) -> str:
        return (f"spec: {self.source}; python asked: {self.python or '-'}; project: {' '.join(self.project) or '-'}; "
                f"requirements: {', '.join(self.requirement_files) or '-'}; packages: {' '.join(self.packages) or '-'}"
                + "".join(f"\nnote: {n}" for n in self.notes))


def install_spec(repo: str, version: str, checkout: Path) -> InstallSpec:
    """The spec for ``repo`` at ``version``; ``checkout`` is the tree it will be installed from."""
    found = _swebench_spec(repo, version)
    if found is None:
        return _generic(checkout)
    spec, requirement_paths = found
    return _from_swebench(spec, requirement_paths, checkout)


def _swebench_spec(repo: str, version: str) -> tuple[dict[str, Any], list[str]] | None:
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    try:
        from swebench.harness.constants import MAP_REPO_TO_REQS_PATHS, MAP_REPO_VERSION_TO_SPECS
    except ImportError:  # not installed, or a release without the specs (5.x builds images instead)
        return None
    finally:  # importing swebench configures the root logger (basicConfig); keep our stderr ours
        root.setLevel(level)
        root.handlers[:] = handlers
    spec = MAP_REPO_VERSION_TO_SPECS.get(repo, {}).get(version)
    return (spec, list(MAP_REPO_TO_REQS_PATHS.get(repo, []))) if spec else None


def _from_swebench(spec: dict[str, Any], requirement_paths: list[str], checkout: Path) -> InstallSpec:
    packages: list[str] = list(spec.get("pip_packages") or [])
    files: list[str] = []
    notes: list[str] = []
    listed = str(spec.get("packages") or "")
    if listed == "requirements.txt":
        files = [p for p in requirement_paths if (checkout / p).is_file()][:1]
    elif listed == "environment.yml":
        notes.append("the spec asks for a conda environment.yml; installed the project alone")
    elif listed:
        packages += listed.split()
    project = _project_args(str(spec.get("install") or ""))
    if spec.get("pre_install"):
        notes.append("pre_install commands are for the harness's Docker image and were not run")
    return InstallSpec("swebench", tuple(packages), tuple(files), project, str(spec.get("python", "")), tuple(notes))


def _project_args(install: str) -> tuple[str, ...]:
    """The targets of ``pip install [-e] TARGET...``; anything else (``setup.py develop``) means ``.``."""
    try:
        words = shlex.split(install)
    except ValueError:
        return (".",)
    if "install" not in words or "pip" not in " ".join(words[: words.index("install")]):
        return (".",)
    targets = [w for w in words[words.index("install") + 1:] if w not in ("-e", "--editable") and not w.startswith("-")]
    return tuple(targets) or (".",)


def _generic(checkout: Path) -> InstallSpec:
    files = tuple(p for p in GENERIC_REQUIREMENTS if (checkout / p).is_file())
    return InstallSpec("generic", (), files, (f".[{','.join(GENERIC_EXTRAS)}]",))
