"""Projects whose environment build meets the build tooling of their time.

``build_scm``: a project whose version comes from git (setuptools_scm), with a dependency built from an sdist that takes
its version from setuptools_scm too, as pylint's astroid needs lazy-object-proxy built from source.

The dependency ships in the repository (``vendor/dep-1.2.0.tar.gz``, named in ``requirements.txt``), so the
build reads it offline; only the build backends come from the package index. A version forced on every
build (``SETUPTOOLS_SCM_PRETEND_VERSION=0.0.0``) makes the sdist's metadata say 0.0.0, which uv rejects for
a file named 1.2.0; without one, the project must still find a version without its ``.git``.

``build_generated``: a project whose install writes a module its tests import (setuptools_scm's ``version_file``,
as astropy's, xarray's and matplotlib's ``_version.py``); the file is git-ignored, so only installing the tree
under test makes it, as the harness's ``pip install -e .`` does in its image.

``build_old_setuptools``: a project built with setuptools before 64 (no PEP 660 editable hook) whose
requirements file installs it editable (``-e .[test]``, as pylint's does) beside a test dependency.

``build_compiled``: a project whose ``add`` is a C extension (as astropy's, scikit-learn's and matplotlib's code is
partly compiled); the fix is in the C source, so only the tree under test compiled, against the headers of the
Python the tests run on, makes it pass.

``build_downloading``: a project whose build downloads a source it builds in, as matplotlib's fetches freetype's
and qhull's: ``setup.py`` looks for it in ``$XDG_CACHE_HOME/dlcalc`` (where matplotlib keeps its tarballs), fetches
it from the URL in ``source-url.txt`` when it is not there, and writes it into the package as ``calc/_vendored.py``
(git-ignored: only a build makes it). ``calc`` imports it, so a tree that was not built fails every test at import.

``build_unisolated``: a project whose ``setup.py`` imports numpy, as scikit-learn's does, under a spec that builds
it with ``--no-build-isolation`` (matplotlib 3.9's: Python 3.11, numpy 1.25.2 among its packages); ``calc`` needs
``toolz``, which only the project's own install brings (as scikit-learn 0.22 needs joblib, which no spec lists).

``build_planting``: a prediction that fixes ``add`` and whose ``setup.py`` also leaves a file in uv's cache, which
every environment and tree shares: a hostile build planting code for the next tree's build to run.
"""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

from evalkit import CALC, GOLD_FIX, P2P, TEST_ADD, TEST_CALC, Dataset, base_repo, diff_for, instance, published

SETUPTOOLS_BACKEND = '[build-system]\nrequires = ["setuptools>=64"]\nbuild-backend = "setuptools.build_meta"\n'
BACKEND = (
    '[build-system]\nrequires = ["setuptools>=64", "setuptools_scm>=8"]\nbuild-backend = "setuptools.build_meta"\n'
)
PROJECT = (
    BACKEND + '\n[project]\nname = "scmcalc"\ndynamic = ["version"]\n\n[tool.setuptools]\npackages = ["calc"]\n\n'
    "[tool.setuptools_scm]\n"
)
DEP = {
    "PKG-INFO": "Metadata-Version: 2.1\nName: dep\nVersion: 1.2.0\n",
    "pyproject.toml": BACKEND + '\n[project]\nname = "dep"\ndynamic = ["version"]\n\n[tool.setuptools]\n'
    'packages = ["dep"]\n\n[tool.setuptools_scm]\n',
    "dep/__init__.py": "VALUE = 1\n",
}


def sdist() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for rel, text in DEP.items():
            data = text.encode()
            info = tarfile.TarInfo(f"dep-1.2.0/{rel}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def build_scm(work: Path) -> Dataset:
    return _dataset(
        work,
        "acme/scmcalc",
        {
            "pyproject.toml": PROJECT,
            "requirements.txt": "./vendor/dep-1.2.0.tar.gz\n",
            "vendor/dep-1.2.0.tar.gz": sdist(),
        },
    )


def build_generated(work: Path) -> Dataset:
    return _dataset(
        work,
        "acme/gencalc",
        {
            "pyproject.toml": PROJECT.replace("scmcalc", "gencalc") + 'version_file = "calc/_version.py"\n',
            ".gitignore": "calc/_version.py\n",
            "tests/conftest.py": "from calc._version import version\n\nassert version\n",
        },
    )


def build_old_setuptools(work: Path) -> Dataset:
    pyproject = (
        '[build-system]\nrequires = ["setuptools~=62.6"]\nbuild-backend = "setuptools.build_meta"\n\n'
        '[project]\nname = "oldcalc"\nversion = "0.1"\n\n[project.optional-dependencies]\ntest = []\n\n'
        '[tool.setuptools]\npackages = ["calc"]\n'
    )
    return _dataset(work, "acme/oldcalc", {"pyproject.toml": pyproject, "requirements.txt": "-e .[test]\nsix\n"})


NATIVE = """#include <Python.h>

static PyObject *add(PyObject *self, PyObject *args) {
    long a, b;
    if (!PyArg_ParseTuple(args, "ll", &a, &b)) return NULL;
    return PyLong_FromLong(a - b);
}

static PyMethodDef methods[] = {{"add", add, METH_VARARGS, "a + b"}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_native", NULL, -1, methods};

PyMODINIT_FUNC PyInit__native(void) { return PyModule_Create(&module); }
"""


def build_compiled(work: Path) -> Dataset:
    setup = (
        "from setuptools import Extension, setup\n\n"
        'setup(name="extcalc", version="0.1", packages=["calc"], '
        'ext_modules=[Extension("calc._native", ["calc/_native.c"])])\n'
    )
    return _dataset(
        work,
        "acme/extcalc",
        {
            "pyproject.toml": SETUPTOOLS_BACKEND,
            "setup.py": setup,
            "calc/__init__.py": "from calc._native import add\n\n\ndef double(x):\n    return x * 2\n",
            "calc/_native.c": NATIVE,
        },
        fix={"calc/_native.c": NATIVE.replace("a - b", "a + b")},
    )


DOWNLOADING_SETUP = """import os
import pathlib
import urllib.request

from setuptools import setup

cache = pathlib.Path(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")) / "dlcalc"
archive = cache / "vendored.py"
if not archive.is_file():
    url = pathlib.Path("source-url.txt").read_text().strip()
    data = urllib.request.build_opener(urllib.request.ProxyHandler({})).open(url, timeout=20).read()
    cache.mkdir(parents=True, exist_ok=True)
    archive.write_bytes(data)
pathlib.Path("calc/_vendored.py").write_bytes(archive.read_bytes())
setup(name="dlcalc", version="0.1", packages=["calc"])
"""
VENDORED = "OFFSET = 0\n"  # what the URL serves


def build_downloading(work: Path, url: str, *, repo: str = "acme/dlcalc", version: str = "0.1") -> Dataset:
    """The project fetching its source from ``url``; under ``repo`` at ``version`` (a name the harness has a spec
    for gets that spec, whose environment keeps the project's dependencies when the project cannot be built)."""
    calc = "from calc._vendored import OFFSET\n\n" + CALC.replace("a - b", "a - b + OFFSET")
    return _dataset(
        work,
        repo,
        {
            "pyproject.toml": SETUPTOOLS_BACKEND,
            "setup.py": DOWNLOADING_SETUP,
            "source-url.txt": url + "\n",
            ".gitignore": "calc/_vendored.py\n",
            "calc/__init__.py": calc,
        },
        fix={"calc/__init__.py": calc.replace("a - b", "a + b")},
        version=version,
    )


UNISOLATED_SETUP = (
    "import numpy  # the build needs the environment's numpy\nfrom setuptools import setup\n\n"
    'setup(name="isocalc", version="0.1", packages=["calc"], install_requires=["toolz"])\n'
)


def build_unisolated(work: Path) -> Dataset:
    calc = "import toolz\n\n" + CALC
    return _dataset(
        work,
        "matplotlib/matplotlib",
        {"setup.py": UNISOLATED_SETUP, "calc/__init__.py": calc},
        fix={"calc/__init__.py": calc.replace("a - b", "a + b")},
        version="3.9",
    )


PLAIN_SETUP = 'from setuptools import setup\n\nsetup(name="plantcalc", version="0.1", packages=["calc"])\n'
PLANT = (
    "import os\nimport pathlib\n\n"
    'pathlib.Path(os.environ["UV_CACHE_DIR"], "planted-by-a-prediction").write_text("run me")\n'
)


def build_planting(work: Path) -> Dataset:
    setup = {
        "pyproject.toml": SETUPTOOLS_BACKEND,
        "setup.py": PLAIN_SETUP,
    }
    return _dataset(work, "acme/plantcalc", setup, fix={**GOLD_FIX, "setup.py": PLANT + PLAIN_SETUP})


def _dataset(
    work: Path, repo: str, files: dict[str, str | bytes], fix: dict[str, str] = GOLD_FIX, version: str = "0.1"
) -> Dataset:
    key = repo.replace("/", "__")
    root, base = base_repo(work, key, {"calc/__init__.py": CALC, "tests/test_calc.py": TEST_CALC, **files})
    rows = [
        instance(
            f"{key}-1",
            repo,
            base,
            diff_for(root, fix),
            diff_for(root, {"tests/test_calc.py": TEST_ADD}),
            ["tests/test_calc.py::test_add"],
            P2P,
        )
        | {"version": version}
    ]
    return published(work, {key: root}, rows)
