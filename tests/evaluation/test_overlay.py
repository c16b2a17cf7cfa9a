"""The Python the tests of an instance run on: a prefix of its own over the base installation, not a venv."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from buildkit import SETUPTOOLS_BACKEND

from tools import envbuild
from tools.envbuild import Built, Recipe
from tools.overlay import _prefix, overlay

DEVELOP_SETUP = """from pathlib import Path

from setuptools import setup
from setuptools.command.develop import develop


class Marked(develop):
    def run(self):
        Path("calc/_installed_by.py").write_text("HOW = 'develop'\\n")
        super().run()


setup(name="devcalc", version="0.1", packages=["calc"], cmdclass={"develop": Marked})
"""


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


def project(tmp_path: Path) -> tuple[Path, Built]:
    """A tree whose develop command leaves a mark, and an environment (setuptools) to install it over."""
    tree = tmp_path / "tree"
    (tree / "calc").mkdir(parents=True)
    (tree / "calc" / "__init__.py").write_text("", encoding="utf-8")
    (tree / "setup.py").write_text(DEVELOP_SETUP, encoding="utf-8")
    (tree / "pyproject.toml").write_text(SETUPTOOLS_BACKEND, encoding="utf-8")
    recipe = Recipe(tree, sys.executable, ((("setuptools>=64,<80",),),), identity="develop", label="develop")
    return tree, envbuild.build(recipe, tmp_path / "envs", lambda _line: None)


@pytest.mark.slow
def test_a_spec_that_installs_with_setup_py_develop_gets_it(tmp_path: Path) -> None:
    """pip's ``--no-use-pep517 -e`` (scikit-learn's spec) runs ``setup.py develop``, whose command a project may
    extend (scikit-learn's builds its extensions in place); the build backend's editable install does not run it."""
    tree, built = project(tmp_path)
    marker = tree / "calc" / "_installed_by.py"
    for develop, how in ((True, "HOW = 'develop'\n"), (False, None)):
        marker.unlink(missing_ok=True)
        made = overlay(built, tree, tmp_path / f"overlay-{develop}", readable=[], exclude_newer=None, develop=develop)
        assert made.installed, made.note
        assert (marker.read_text() if marker.exists() else None) == how, made.note


@pytest.mark.slow
def test_where_the_standard_library_cannot_be_linked_a_venv_is_made_and_said(tmp_path: Path) -> None:
    """A prefix hard-links the base's standard library, which fails across file systems: the overlay falls back
    to a virtual environment, still installs the tree and still finds the environment's packages, and says so."""
    shm = Path("/dev/shm")
    if not shm.is_dir() or os.stat(shm).st_dev == os.stat(Path(sys.base_prefix).resolve()).st_dev:
        pytest.skip("no second file system to put the overlay on")
    tree, built = project(tmp_path)
    with tempfile.TemporaryDirectory(dir=shm) as elsewhere:
        made = overlay(built, tree, Path(elsewhere) / "overlay", readable=[], exclude_newer=None)
        assert made.installed and made.venv, made.note
        assert "a virtual environment, not a prefix: its standard library cannot be linked here" in made.note
        code = "import calc, setuptools; print(calc.__file__)"
        assert run(made.python, code) == str(tree / "calc" / "__init__.py")
