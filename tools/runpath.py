"""The folders of a project its tests import from besides its root, read once for the runs and the selection.

A test run has the tree on its path, and beside it the folders the build declares (``core.pymodules.import_roots``:
``src/``), those tox puts on ``PYTHONPATH`` (``tools.toxconfig.tox_pythonpath``: microdot's ``libs/common``), and
the folder of the script that starts Django's test runner (``tools.djangotests``): django-mptt's ``tests/manage.py``
has its test app ``tests/myapp`` imported as ``myapp``. The related-test selection reads imports against the same
folders: a test importing ``bookapp.models`` reaches ``tests/bookapp/models.py`` and what it imports, where before a
change to the library that model uses selected no test, and a break passed.
"""

from __future__ import annotations

from pathlib import Path

from core.pymodules import import_roots
from tools.djangotests import settings_module
from tools.hatchenvs import hatch_pythonpath
from tools.toxconfig import tox_pythonpath


def run_path(tree: Path) -> list[Path]:
    """The folders of ``tree`` a test run puts on the path after ``tree`` itself, in order, each once."""
    roots = [*import_roots(tree), *tox_pythonpath(tree), *hatch_pythonpath(tree)]
    if (django := settings_module(tree)) and django.folder:
        roots.append(tree / django.folder)
    return list(dict.fromkeys(roots))


def relative_roots(tree: Path) -> tuple[str, ...]:
    """``run_path`` as repository-relative folder prefixes (``tests/``), as ``core.pymodules.module_names`` takes them."""
    root = tree.resolve()
    inside = [folder.resolve() for folder in run_path(tree) if folder.resolve().is_relative_to(root)]
    return tuple(dict.fromkeys(f"{folder.relative_to(root).as_posix()}/" for folder in inside if folder != root))
