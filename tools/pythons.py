"""Which Python interpreters this machine has, and which of them a project's tests run on.

A built environment runs the project's tests on this Python unless the
project's own ``requires-python`` rules it out and the machine has one it
admits (on PATH, or installed with pyenv): a 2026 pint requires 3.12, and on
3.11 every test file failed to import, on the base commit too, so nothing was
checked. Nothing is downloaded; without an admitted Python, this one is used and
its tests say why they cannot run.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import sys
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from core.tables import ini_file, pyproject_of, table_at

# the minor versions looked for, newest first: a project that admits several runs on the newest this machine has
MINORS = ("3.14", "3.13", "3.12", "3.11", "3.10", "3.9", "3.8")
_NAMED = re.compile(r"python(\d+\.\d+)$")


def find_python(version: str) -> str | None:
    """An interpreter of ``version`` ("X.Y") on PATH or installed with pyenv; None when this machine has none."""
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates = [shutil.which(f"python{version}"), *sorted(pyenv.glob(f"{version}.*/bin/python{version}"))]
    for candidate in filter(None, candidates):
        try:
            probe = subprocess.run(
                [str(candidate), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        if probe.returncode == 0 and probe.stdout.strip() == version:
            return str(candidate)
    return None


def version_of(python: str) -> str:
    """``python``'s "X.Y": this interpreter's, the one its name says (``python3.12``), else the one it reports."""
    if python == sys.executable:
        return f"{sys.version_info[0]}.{sys.version_info[1]}"
    if named := _NAMED.search(Path(python).name):
        return named[1]
    try:
        probe = subprocess.run(
            [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return probe.stdout.strip()


def admitted_python(tree: Path) -> str:
    """The interpreter the tests of the project in ``tree`` run on: this one, unless the project's
    ``requires-python`` excludes it and this machine has one it admits (the newest such)."""
    spec = _requires_python(tree)
    if spec is None or spec.contains(platform.python_version(), prereleases=True):
        return sys.executable
    for minor in MINORS:
        if _admits(spec, minor) and (found := find_python(minor)) is not None:
            return found
    return sys.executable


def _admits(spec: SpecifierSet, minor: str) -> bool:
    """Whether ``spec`` admits some release of ``minor`` (its first or a late one: ``>=3.12.1``, ``<3.13``)."""
    return any(spec.contains(f"{minor}.{patch}", prereleases=True) for patch in (0, 99))


def _requires_python(tree: Path) -> SpecifierSet | None:
    """The project's ``requires-python`` (pyproject.toml's ``[project]``, else setup.cfg's ``python_requires``)."""
    stated = table_at(pyproject_of(tree), "project").get("requires-python")
    if not isinstance(stated, str) and (setup_cfg := ini_file(tree / "setup.cfg")) is not None:
        stated = setup_cfg.get("options", "python_requires", fallback=None)
    if not isinstance(stated, str):
        return None
    try:
        return SpecifierSet(stated)
    except InvalidSpecifier:
        return None
