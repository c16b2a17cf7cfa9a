"""What a change does to the packages the project's built environment holds.

A change to the dependencies (``attrs>=22`` pinned to ``attrs==20.3.0``, a requirement file's new line) changes no
module, so no test was related to it and the review said "all gates passed" while the package no longer imported.
The environment is built from each tree's own metadata (``tools.environments``), so the truth of what changed is
the difference between the two environments' installed distributions, however the project declares them: a
version bump or a reworded comment changes the files, and the environment's key, but none of the packages, and
selects nothing more.

The project itself is left out of the comparison: its version is the tree's, and it is installed from a folder
(PEP 610's ``direct_url.json`` with ``dir_info``), as every dependency is not.
"""

from __future__ import annotations

import json
from importlib.metadata import Distribution, distributions

from packaging.utils import canonicalize_name

from tools.environments import TestEnvironment
from tools.generated import site_packages


def installed(environment: TestEnvironment) -> dict[str, str]:
    """The distributions ``environment`` holds (normalized name -> version), less those installed from a folder
    (the project, and any tree of its own it installs so); {} where it has no interpreter of its own."""
    if environment.python is None:
        return {}
    found: dict[str, str] = {}
    for dist in distributions(path=[str(p) for p in site_packages(environment.python)]):
        name = dist.metadata["Name"]
        if name and not _from_a_folder(dist):
            found[canonicalize_name(name)] = dist.version
    return found


def _from_a_folder(dist: Distribution) -> bool:
    try:
        direct = json.loads(dist.read_text("direct_url.json") or "{}")
    except ValueError:  # a broken record is no folder's
        return False
    return isinstance(direct, dict) and "dir_info" in direct


def changes(before: TestEnvironment, after: TestEnvironment) -> list[str]:
    """What the packages of ``after`` differ by from ``before``'s, one phrase each, sorted by name:
    ``attrs 23.2.0 → 20.3.0``, ``cattrs 23.1.2 added``, ``six 1.16.0 removed``; [] where they hold the same."""
    was, now = installed(before), installed(after)
    said = []
    for name in sorted(was.keys() | now.keys()):
        old, new = was.get(name), now.get(name)
        if old == new:
            continue
        said.append(
            f"{name} {new} added"
            if old is None
            else f"{name} {old} removed"
            if new is None
            else f"{name} {old} → {new}"
        )
    return said
