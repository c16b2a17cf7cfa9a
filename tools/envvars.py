"""What a project's own configuration may set for its tests' processes, read the same way from tox and hatch."""

from __future__ import annotations

import re
from pathlib import Path

_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OURS = ("PATH", "HOME", "TMPDIR", "PYTHON", "PYTEST_")  # variables a test run's own setup decides (prefixes)


def project_may_set(name: str, value: str) -> bool:
    """Whether the project's ``name=value`` reaches its tests: a variable's name, not one Python, pytest and the
    sandbox read (PATH, HOME, TMPDIR, ``PYTHON*``, ``PYTEST_*``: ``PYTHONPATH`` is read apart, as ``path_folders``),
    and no substitution left in the value for a tool we are not (``{env:X}``, ``{root:uri}``)."""
    return bool(_VARIABLE.fullmatch(name)) and "{" not in value and not name.startswith(_OURS)


def path_folders(tree: Path, value: str) -> list[Path]:
    """The folders of ``tree`` a ``PYTHONPATH`` value names, relative to the tree (not the tree itself, already
    first on the path, nor a folder outside it or one with a substitution left in)."""
    root = tree.resolve()
    found = []
    for part in value.split(":"):
        named = part.strip()
        folder = (tree / named).resolve()
        if named and "{" not in named and folder.is_dir() and folder.is_relative_to(root) and folder != root:
            found.append(folder)
    return list(dict.fromkeys(found))
