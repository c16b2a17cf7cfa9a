"""The project's own virtual environments: where a developer's tests already run, if pytest is there.

A developer's ``.venv`` is the best place for a review's tests: it holds what the project needs, as its author
installed it. But not every such environment can run them: a ``uv sync`` that stopped half-way (here the disk
filled) left jinja's ``.venv`` with no packages, and ``uv sync`` installs only the default groups, which need not
hold the tests' (uv's default is ``dev``). With no pytest there, every review said the tests were not checked, and
the hook committed a filter that upper-cased to lower case. One whose files show no pytest is passed over
(``tools.environments`` then builds one); nothing of it is run to find out.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tools.generated import has_module


def own_venvs(root: Path, project: str = "") -> list[tuple[Path, str]]:
    """The interpreters of the repository's own environments, first choice first, and what each is: .venv/, venv/
    (the ``project`` folder's first, where the project is in one: ``core.projects``), an active VIRTUAL_ENV, or
    poetry's or hatch's (asked only when the tool is installed); those that exist."""
    names = (".venv", "venv")
    candidates = [(root / project / name, f"the repository's {project}/{name}/") for name in names if project]
    candidates += [(root / name, f"the repository's {name}/") for name in names]
    active = os.environ.get("VIRTUAL_ENV")
    if active and Path(active).resolve() != Path(sys.prefix).resolve():
        candidates.append((Path(active), f"the active virtualenv (VIRTUAL_ENV={active})"))
    candidates.extend(_tool_environments(root / project))
    return [
        (prefix / "bin" / "python", why) for prefix, why in candidates if os.access(prefix / "bin" / "python", os.X_OK)
    ]


def lacks_pytest(python: Path, *, django: bool = False) -> bool:
    """Whether the virtual environment of ``python`` surely has no pytest (or, for a Django app whose tests run
    under pytest-django, no pytest-django: ``tools.djangotests``): none in its site-packages, and no system packages
    seen through it. False where it has them, or where this cannot tell (not a venv; system packages)."""
    config = python.parent.parent / "pyvenv.cfg"
    try:
        settings = config.read_text(encoding="utf-8", errors="replace").lower()
    except OSError:
        return False
    if "include-system-site-packages = true" in settings.replace("\t", " "):
        return False
    return not has_module(python, "pytest") or (django and not has_module(python, "pytest_django"))


def venv_vars(python: Path) -> dict[str, str]:
    """VIRTUAL_ENV and its bin/ first on PATH, so tools the tests call (console scripts) are the venv's."""
    prefix = python.parent.parent
    if not (prefix / "pyvenv.cfg").is_file():
        return {}
    return {"VIRTUAL_ENV": str(prefix), "PATH": os.pathsep.join([str(python.parent), os.environ.get("PATH", "")])}


def _tool_environments(root: Path) -> list[tuple[Path, str]]:
    """Environments a project manager keeps outside the repository (asked only when the tool is installed)."""
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8", errors="replace") if pyproject.is_file() else ""
    found = []
    for tool, args in (("poetry", ["env", "info", "--path"]), ("hatch", ["env", "find"])):
        if f"[tool.{tool}" not in text or shutil.which(tool) is None:
            continue
        try:
            proc = subprocess.run([tool, *args], cwd=root, capture_output=True, text=True, timeout=30, check=False)
        except (OSError, subprocess.TimeoutExpired):
            continue
        lines = proc.stdout.strip().splitlines()
        if proc.returncode == 0 and lines:
            found.append((Path(lines[0].strip()), f"the {tool} project's environment"))
    return found
