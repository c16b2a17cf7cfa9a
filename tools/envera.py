"""The date a built environment's packages are held to: the project's era, as its own CI installed them.

A commit of 2020 met today's packages, and its tests failed on what changed since (a 2020 jinja's markupsafe,
a 2018 webob's setuptools): a built environment takes the packages of the commit's month first (``era``), with
pytest and the build tools never older than the interpreter they run on (``pytest_cutoff``).
"""

from __future__ import annotations

import calendar
import datetime
from pathlib import Path

from core.git import run_git

# When each Python was released: the oldest pytest a built environment gets for it (see pytest_cutoff).
PYTHON_RELEASED = {
    "3.10": "2021-10-04",
    "3.11": "2022-10-24",
    "3.12": "2023-10-02",
    "3.13": "2024-10-07",
    "3.14": "2025-10-07",
}
# pytest and the packages only it needs share its date: a 2020 jinja held py at 1.8.1, which made uv choose pytest
# 5.4, which fails on Python 3.11, so the attempt with the era's packages never counted (markupsafe 3, installed
# with today's, has no soft_unicode). attrs too: the pytest of Python 3.11's day needs attrs 19.2 (of October
# 2019), so a 2018 webob's era held pytest at 3.x.
PYTEST_OWN = ("pytest", "pluggy", "py", "iniconfig", "attrs")
# The build tools run on this Python too: a 2018 webob's build met setuptools 40.5 (uv's legacy build needs
# 40.8) and older ones call HTMLParser.unescape, gone since Python 3.9.
BUILD_TOOLS = ("setuptools", "wheel")


def era(tree: Path) -> str | None:
    """The last day of the month of ``tree``'s commit (YYYY-MM-DD): packages as they were when it was written, as
    its own CI installed them (a July 2026 nox meets a python-discovery that parses "3.14t" as its tests expect);
    None (today's) for a commit of this month, so an environment for current work is what installs today.
    By month, so the commits of one month share their environment."""
    proc = run_git(tree, "log", "-1", "--format=%cs", "HEAD", check=False)
    try:
        day = datetime.date.fromisoformat(proc.stdout.decode().strip())
    except ValueError:
        return None
    last = day.replace(day=calendar.monthrange(day.year, day.month)[1])
    return None if last >= datetime.date.today() else last.isoformat()


def last_changed(tree: Path, names: list[str]) -> str | None:
    """When the dependency files last changed in git (YYYY-MM-DD), or None outside git: the project's era."""
    if not names:
        return None
    proc = run_git(tree, "log", "-1", "--format=%cs", "--", *names, check=False)
    return proc.stdout.decode().strip() or None if proc.returncode == 0 else None


def pytest_cutoff(version: str, as_of: str | None, own: tuple[str, ...] = PYTEST_OWN) -> list[str]:
    """uv flags for the pytest of the project's era (its config is read the way the project wrote it), but
    never one older than the interpreter (a pytest that predates the Python it runs on may not run); nor build
    tools older than it (a commit newer than the Python keeps its era's)."""
    if as_of is None:
        return []
    floor = PYTHON_RELEASED.get(version, "")
    capped = [(name, max(as_of, floor)) for name in own] + [(name, floor) for name in BUILD_TOOLS if floor > as_of]
    return [a for name, date in capped for a in ("--exclude-newer-package", f"{name}={date}T23:59:59Z")]
