"""The environment builder's last step for a spec's conda environment: each package added where it fits."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tools import envbuild
from tools.envbuild import Recipe


@pytest.mark.slow
def test_packages_are_added_where_they_fit_and_the_others_are_listed(tmp_path: Path) -> None:
    """What the spec and the project resolved stays (six==1.16.0 is not replaced by the conda file's 1.15.0); a
    package that fits is added; one the index does not have (a conda-only system library) is left out, said in
    the log, and the environment is still built."""
    tree = tmp_path / "tree"
    tree.mkdir()
    recipe = Recipe(
        tree,
        sys.executable,
        ((("six==1.16.0",),),),
        identity="where they fit",
        best_effort=("six==1.15.0", "iniconfig", "patchgate-no-such-project"),
        label="fit",
    )
    built = envbuild.build(recipe, tmp_path / "envs", lambda _line: None)
    frozen = subprocess.run(
        [str(built.python), "-c", "import importlib.metadata as m; print(m.version('six'), m.version('iniconfig'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert frozen[0] == "1.16.0" and frozen[1]
    assert "installed where they fit: 1 of 3; left out: six==1.15.0, patchgate-no-such-project" in built.log
