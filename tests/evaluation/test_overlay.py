"""The Python the tests of an instance run on: a prefix of its own over the base installation, not a venv."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tools.overlay import _prefix


def run(python: Path, code: str) -> str:
    return subprocess.run([str(python), "-I", "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def test_a_link_to_the_interpreter_still_finds_its_packages(tmp_path: Path) -> None:
    """tox-current-env runs the tests through ``.tox/<env>/bin/python``, a link to ``sys.executable``: a venv's
    packages are lost that way, a prefix's are not."""
    base = str(Path(sys.executable).resolve())
    where = tmp_path / "overlay"
    where.mkdir()
    layout = _prefix(base, where)
    assert layout.error == "" and layout.base == Path(sys.base_prefix).resolve()
    (site,) = where.glob("lib/python*/site-packages")
    (site / "marker_of_the_overlay.py").write_text("FOUND = True\n", encoding="utf-8")
    link = tmp_path / "tree" / ".tox" / "py39" / "bin" / "python"
    link.parent.mkdir(parents=True)
    link.symlink_to(where / "bin" / "python")
    assert run(link, "import marker_of_the_overlay, sys; print(marker_of_the_overlay.FOUND, sys.prefix)") == (
        f"True {where}"
    )


def test_the_interpreter_is_a_copy_and_the_headers_are_offered(tmp_path: Path) -> None:
    """The tree's build code runs with the overlay writable: a hard link would let it write the base's interpreter.
    Builds that read sysconfig's include path (meson, CMake) find Python.h under the prefix."""
    base = Path(sys.executable).resolve()
    where = tmp_path / "overlay"
    where.mkdir()
    assert _prefix(str(base), where).error == ""
    python = where / "bin" / "python"
    assert os.stat(python).st_ino != os.stat(base).st_ino and not python.resolve().is_relative_to(base.parent)
    include = Path(run(python, "import sysconfig; print(sysconfig.get_path('include'))"))
    assert include.is_relative_to(where) and (include / "Python.h").is_file()


def test_a_standard_module_s_real_path_is_inside_the_prefix(tmp_path: Path) -> None:
    """astroid's is_standard_module compares a module's real path with sysconfig's stdlib: with the standard
    library symlinked, hashlib was "not standard" and astroid's own tests failed on its gold fix."""
    where = tmp_path / "overlay"
    where.mkdir()
    assert _prefix(str(Path(sys.executable).resolve()), where).error == ""
    code = (
        "import hashlib, os, sysconfig; "
        "print(os.path.realpath(hashlib.__file__).startswith(os.path.realpath(sysconfig.get_path('stdlib'))))"
    )
    assert run(where / "bin" / "python", code) == "True"
