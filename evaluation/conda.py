"""A conda environment file's packages as pip requirements, for the harness specs that install one.

The harness builds xarray's and matplotlib's environments from the repository's
``environment.yml`` (their test dependencies: hypothesis, pytest plugins,
optional backends); patchgate builds with uv from the package index, so each
conda package becomes the PyPI requirement of the same name and version. conda
pins a version prefix with one ``=`` (``numpy=1.23`` is ``numpy==1.23.*``) and
may add a build string; channel prefixes are dropped. A few conda-forge packages
are split or named apart from their PyPI project (``dask-core`` is ``dask``):
those names are mapped; the rest are tried as they are, and what the index does
not have is left out by the builder and listed in the environment's log.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from packaging.requirements import InvalidRequirement, Requirement

# conda-forge packages whose PyPI project has another name (the conda-forge feedstocks' own renames)
PYPI_NAMES = {
    "dask-core": "dask",
    "iris": "scitools-iris",  # PyPI's "iris" is a placeholder whose import raises: worse than none
    "matplotlib-base": "matplotlib",
    "msgpack-python": "msgpack",
    "pytables": "tables",
    "python-graphviz": "graphviz",
}
NOT_PACKAGES = {"python", "pip"}  # the interpreter and the installer: the spec's Python, and uv
CONDA_SPEC = re.compile(r"^(?P<name>[A-Za-z0-9_.\-]+)\s*(?P<version>.*)$")


def conda_requirements(path: Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(pip requirements, entries that are not one) of the conda environment file at ``path``."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        return (), (f"{path.name}: {exc}",)
    entries = document.get("dependencies") if isinstance(document, dict) else None
    requirements: list[str] = []
    skipped: list[str] = []
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict):  # {"pip": [...]}: pip's own requirement lines
            lines = [str(line) for line in entry.get("pip") or []]
            requirements += [line for line in lines if not line.startswith("-")]
            skipped += [line for line in lines if line.startswith("-")]
        elif (requirement := _pip_requirement(str(entry))) is None:
            skipped.append(str(entry))
        elif requirement:
            requirements.append(requirement)
    return tuple(dict.fromkeys(requirements)), tuple(skipped)


def _pip_requirement(entry: str) -> str | None:
    """``numpy=1.23`` (or ``numpy 1.23``) → ``numpy==1.23.*``; '' for the interpreter and pip (nothing to add);
    None for what is no requirement."""
    text = entry.split("::")[-1].strip()
    parts = text.split()
    if len(parts) > 1 and parts[1][:1].isdigit():  # "h5py 3.7.0 nompi_h2": name, version prefix, build
        text = f"{parts[0]}={parts[1]}"
    match = CONDA_SPEC.match(text.replace(" ", ""))
    if not match:
        return None
    if match["name"].lower() in NOT_PACKAGES:
        return ""
    name = PYPI_NAMES.get(match["name"].lower(), match["name"])
    version = match["version"]
    if version.startswith("=") and not version.startswith("=="):
        prefix = version[1:].split("=")[0]  # a build string after a second "=" says nothing to pip
        version = f"=={prefix}" if prefix.endswith("*") else f"=={prefix}.*"
    try:
        return str(Requirement(f"{name}{version}"))
    except InvalidRequirement:
        return None
