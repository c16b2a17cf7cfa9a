"""The environment builder: its attempts, what it leaves out of them, and its last step for a spec's conda
environment (each package added where it fits)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

import pytest

from tools import envbuild
from tools.envbuild import Recipe
from tools.envfit import Fitting


def versions(python: Path, *names: str) -> list[str]:
    """The installed versions of the distributions ``names`` in the environment of ``python``."""
    code = f"import importlib.metadata as m; print(*map(m.version, {list(names)!r}))"
    return subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True).stdout.split()


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
    frozen = versions(built.python, "six", "iniconfig")
    assert frozen[0] == "1.16.0" and frozen[1]
    assert "installed where they fit: 1 of 3; left out: six==1.15.0, patchgate-no-such-project" in built.log


@pytest.mark.slow
def test_what_the_tests_import_is_added_where_it_fits_after_a_richer_attempt_failed(tmp_path: Path) -> None:
    """A 2019 prettyprinter lists the IPython and numpy its tests import only in a requirements_dev.txt that also
    pins pip 9 and a numpy 1.16.1 that does not build on Python 3.11: every attempt with those lines failed, the
    environment was built without them, and its IPython test was never checked. Each is now added where it fits
    (the pinned version of the era, else any of today's: no numpy of 2019 builds on Python 3.11); the
    environment's own choices stay (six)."""
    tree = tmp_path / "tree"
    (tree / "tests").mkdir(parents=True)
    (tree / "tests" / "test_it.py").write_text("import iniconfig\nimport six\nimport tomli\n")
    recipe = Recipe(
        tree,
        sys.executable,
        ((("patchgate-no-such-project", envbuild.IMPORTED_BY_TESTS),), (("six==1.12.0",),)),
        exclude_newer="2019-06-30",  # before any tomli, and any iniconfig but 0.1
        identity="imported where they fit",
        label="imported",
        imported=("iniconfig==99.0", "six==1.11.0", "tomli", "patchgate-no-such-project"),
    )
    built = envbuild.build(recipe, tmp_path / "envs", lambda _line: None)
    six, iniconfig = versions(built.python, "six", "iniconfig")
    assert six == "1.12.0" and iniconfig.split(".")[0] >= "2"  # today's
    assert "installed where they fit: 2 of 2; left out: none" in built.log  # iniconfig, and tomli


OLD_PLUGINS = {  # a plugin module, and the project's pytest.ini (None: none)
    "at import": ("from collections import Sequence\n", None),
    "under the project's settings": (
        "def pytest_addoption(parser):\n    parser.addini('old_settings', 'settings')\n\n\n"
        "def pytest_configure(config):\n    if config.getini('old_settings'):\n"
        "        from collections import Sequence\n",
        "[pytest]\nold_settings = project.settings\npython_files = check_*.py\n",  # not the check's file name
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("when", OLD_PLUGINS)
def test_a_package_added_where_it_fits_that_stops_pytest_is_removed_again(tmp_path: Path, when: str) -> None:
    """prettyprinter's file pins a Hypothesis of 2017, which installed where it fitted, and whose pytest plugin
    (``from collections import Sequence``) then kept pytest from starting on Python 3.11: every test of every
    commit was "not checked". Its Django 1.10 did the same only under the project's setup.cfg, where pytest-django
    reads its settings. A package after which pytest cannot run a trivial test, under the project's configuration
    where that ran before, is removed again."""
    from tools.environments import PYTEST_WORKS

    plugin_code, ini = OLD_PLUGINS[when]
    tree = tmp_path / "tree"
    (tree / "vendor").mkdir(parents=True)
    if ini is not None:
        (tree / "pytest.ini").write_text(ini)
    plugin = tree / "vendor" / "oldplugin-1.0-py3-none-any.whl"  # where the build's sandbox can read it
    info = "oldplugin-1.0.dist-info"
    with zipfile.ZipFile(plugin, "w") as wheel:
        wheel.writestr("oldplugin/__init__.py", plugin_code)
        wheel.writestr(f"{info}/METADATA", "Metadata-Version: 2.1\nName: oldplugin\nVersion: 1.0\n")
        wheel.writestr(
            f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        )
        wheel.writestr(f"{info}/entry_points.txt", "[pytest11]\noldplugin = oldplugin\n")
        wheel.writestr(f"{info}/RECORD", "")
    (tree / "tests").mkdir(parents=True)
    (tree / "tests" / "test_it.py").write_text("import oldplugin\nimport six\n")
    recipe = Recipe(
        tree,
        sys.executable,
        ((("patchgate-no-such-project", envbuild.IMPORTED_BY_TESTS),), (("pytest",),)),
        identity="a plugin that stops pytest",
        label="plugin",
        imported=(f"oldplugin @ {plugin.as_uri()}", "six"),
        works=PYTEST_WORKS,
    )
    built = envbuild.build(recipe, tmp_path / "envs", lambda _line: None)
    assert f"installed where they fit: 1 of 2; left out: oldplugin @ {plugin.as_uri()}" in built.log
    assert "cannot import name 'Sequence' from 'collections'" in built.log  # it installed, and pytest failed
    test = ["-m", "pytest", "-q", "tests/test_it.py"]
    done = subprocess.run([str(built.python), *test], cwd=tree, capture_output=True, text=True)
    assert "No module named 'oldplugin'" in done.stdout, done.stdout  # pytest starts in the project; the test fails


def test_a_spec_s_exact_pins_are_widened_to_their_series_only_after_they_failed(tmp_path: Path) -> None:
    """scikit-learn 1.3's spec pins numpy==1.19.2 and scipy==1.5.2 on Python 3.9, where PyPI has neither as a
    wheel and their sources no longer build (the harness's conda channel has builds): the environment fell back
    to the project alone, with today's numpy and no Cython. Now the pins as given are tried first, then the
    later bugfix releases of the same series, before anything the spec asks for is left out."""
    from evaluation.dataset import Instance
    from evaluation.environment import instance_recipe
    from evaluation.harness import HarnessSpec

    spec = HarnessSpec(known=True, packages=("numpy==1.19.2", "cython", "six==1.16"))
    instance = Instance(
        instance_id="a__b-1", repo="a/b", base_commit="c", problem_statement="", patch="", FAIL_TO_PASS=[]
    )
    recipe, _date = instance_recipe(instance, spec, tmp_path, "2023-09-20")
    packages = [[a for a in step if "numpy" in a or "six" in a] for attempt in recipe.attempts for step in attempt]
    assert [p for p in packages if p][:4] == [
        ["numpy==1.19.2", "six==1.16"],
        ["numpy==1.19.2", "six==1.16"],
        ["numpy==1.19.*,>=1.19.2", "six==1.16"],
        ["numpy==1.19.*,>=1.19.2", "six==1.16"],
    ]


@pytest.mark.slow
def test_the_attempt_with_todays_packages_carries_no_cap_of_the_era(tmp_path: Path) -> None:
    """A 2018 webob: pytest was capped at Python 3.11's release for the era's attempt, and the cap stayed in the
    attempt with today's packages, where today's pytest-cov needs pytest 8: pytest would not start, and the review
    checked nothing. Needs the registry (iniconfig 2 is of 2023)."""
    tree = tmp_path / "tree"
    tree.mkdir()
    recipe = Recipe(
        tree,
        sys.executable,
        ((("iniconfig>=2",),),),
        exclude_newer="2018-10-31",
        or_today=True,
        uv_args=("--exclude-newer-package", "iniconfig=2019-01-01T23:59:59Z"),
        identity="era caps",
        label="caps",
    )
    built = envbuild.build(recipe, tmp_path / "envs", lambda _line: None)
    era, today = built.log.split("attempt 1 failed")
    assert "--exclude-newer-package iniconfig" in era and "--exclude-newer-package iniconfig" not in today


_BUILD = """
import sys
from pathlib import Path
from tools.envbuild import Recipe, build
cache, *names = sys.argv[1:]
for name in names:
    tree = Path(cache).parent / name
    tree.mkdir(exist_ok=True)
    build(Recipe(tree, sys.executable, ((("iniconfig",),),), identity=name, label=name), Path(cache), lambda _: None)
print("built", flush=True)
sys.stdin.read()  # in use until told
"""


@pytest.mark.slow
def test_a_new_environment_past_the_budget_removes_the_least_recently_used(tmp_path: Path) -> None:
    """Environments piled up to 559 folders and 21 GB, and the disk filled: with a budget, building a new one
    removes the least recently used (used: built, or reused since) until the rest fit. Never one a running process
    uses, however long ago it began (one removed under a 12-minute review blocked its commit: its tests "could not
    run"), nor the one just built; a build folder never finished goes; a removed one is built again when wanted."""
    cache, said = tmp_path / "envs", []

    def recipe(name: str) -> Recipe:
        (tmp_path / name).mkdir(exist_ok=True)
        return Recipe(tmp_path / name, sys.executable, ((("iniconfig",),),), identity=name, label=name)

    command = [sys.executable, "-c", _BUILD, str(cache)]
    subprocess.run([*command, "old", "used", "now"], input="", text=True, check=True, capture_output=True)
    with subprocess.Popen([*command, "held"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as review:
        assert review.stdout is not None and review.stdin is not None
        assert "built" in review.stdout.read(len("built"))  # another review, running its tests there for hours
        old, used, held, now = (envbuild.home_of(recipe(n), cache) for n in ("old", "used", "held", "now"))
        for hours, home in enumerate((now, held, used, old)):  # used an hour apart, "now" a minute ago
            os.utime(home / "ready", (time.time() - 3600 * hours - 60,) * 2)
        envbuild.build(recipe("used"), cache, said.append)  # reused here: the most recent but for the new one
        stopped = cache / "project-stopped"  # a build stopped by Ctrl-C: its folder and lock, nothing else
        stopped.mkdir()
        (stopped / "lock").touch()
        one = sum(f.stat().st_blocks * 512 for f in used.rglob("*") if f.is_file() and not f.is_symlink())
        new = envbuild.build(recipe("new"), cache, said.append, kept_bytes=int(2.5 * one))  # room for two
        assert not old.exists() and not now.exists() and not stopped.exists()
        assert new.python.exists() and (used / "ready").exists() and (held / "ready").exists()
        assert "measuring 4 environment(s) made before their sizes were recorded (once)" in said  # built unbudgeted
        assert [line for line in said if line.startswith("removed")] == [
            f"removed 3 environment(s) not used lately, to keep {cache} under {2.5 * one / 2**30:.3g} GB"
        ]
        review.stdin.close()
    again = envbuild.build(recipe("old"), cache, said.append, kept_bytes=int(2.5 * one))  # built again
    assert again.home == old and again.python.exists()
    assert not held.exists() and (used / "ready").exists()  # that review ended; this process still uses "used"


@pytest.mark.slow
def test_a_build_that_found_the_disk_full_is_tried_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failed build is remembered and reported without retrying; one that failed because the disk was full was
    remembered too, and beartype's reviews said "No space left on device" long after space was freed."""
    (tmp_path / "tree").mkdir()
    recipe = Recipe(tmp_path / "tree", sys.executable, ((("iniconfig",),),), identity="full", label="full")
    real = envbuild._build

    def unbuildable(*args: object) -> None:
        raise envbuild.EnvironmentBuildError("uv pip install failed: error: Failed to build `lxml==3.0.2`")

    def disk_full(*args: object) -> None:
        raise envbuild.EnvironmentBuildError("uv pip install failed: No space left on device (os error 28)")

    for fails, remembered in ((disk_full, False), (unbuildable, True)):
        monkeypatch.setattr(envbuild, "_build", fails)
        with pytest.raises(envbuild.EnvironmentBuildError):
            envbuild.build(recipe, tmp_path / "envs", lambda _line: None)
        assert (envbuild.home_of(recipe, tmp_path / "envs") / "failed").exists() == remembered
        if not remembered:
            monkeypatch.setattr(envbuild, "_build", real)
            assert envbuild.build(recipe, tmp_path / "envs", lambda _line: None).python.exists()
            shutil.rmtree(tmp_path / "envs")


@pytest.mark.slow
def test_a_full_disk_is_not_a_reason_for_a_smaller_attempt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """branca's first attempt (the project and its requirements) found the disk full, the next, smaller one fitted,
    and that environment, without jinja2, was cached as ready: every test failed to import on both sides."""
    (tmp_path / "tree").mkdir()
    attempts = ((("iniconfig",),), (("six",),))  # the project with its dependencies; then less
    recipe = Recipe(tmp_path / "tree", sys.executable, attempts, identity="smaller", label="smaller")
    real = envbuild.Uv.run

    def full_for_the_first(uv: envbuild.Uv, args: list[str], *rest: object, **named: object) -> str:
        if "iniconfig" in args:
            raise envbuild.EnvironmentBuildError("uv pip install failed: No space left on device (os error 28)")
        return real(uv, args, *rest, **named)

    monkeypatch.setattr(envbuild.Uv, "run", full_for_the_first)
    with pytest.raises(envbuild.EnvironmentBuildError, match="No space left on device"):
        envbuild.build(recipe, tmp_path / "envs", lambda _line: None)
    home = envbuild.home_of(recipe, tmp_path / "envs")
    assert not (home / "ready").exists() and not (home / "failed").exists()


def test_a_pin_that_failed_to_build_in_an_attempt_is_not_built_again(tmp_path: Path) -> None:
    """numpy 1.16.1 failed to build in three of prettyprinter's attempts, minutes each, and then once more as the
    first try of "where it fits": a pin uv said it failed to build goes straight to today's versions."""
    installs: list[str] = []

    def uv(args: list[str]) -> str:
        if args[:2] == ["pip", "install"]:
            installs.append(args[-1])
        return "six==1.16.0\n"

    fitting = Fitting(uv, tmp_path / "python", tmp_path / "constraints.txt", [])
    errors = "uv pip install failed: error: Failed to build `numpy==1.16.1` cause: The build backend returned an error"
    fitting.add(("numpy==1.16.1", "PyYAML==3.11"), ["--exclude-newer", "2019-06-30"], any_version=True, unbuilt=errors)
    assert installs == ["numpy", "PyYAML==3.11"]


@pytest.mark.slow
def test_a_package_that_does_not_build_here_is_left_out_not_the_attempt(tmp_path: Path) -> None:
    """django-auditlog's tox installs psycopg2-binary beside mysqlclient, which does not build without MySQL's C
    library: its attempt failed at every date, the next one lacked the psycopg2 its settings import, and none of its
    tests could run. The attempt is tried again without the package that did not build, at the era's date."""
    tree = tmp_path / "tree"
    (tree / "vendor").mkdir(parents=True)
    sdist = tree / "vendor" / "brokenpkg-1.0.tar.gz"  # on the builder's own index (UV_FIND_LINKS), as mysqlclient is
    with tarfile.open(sdist, "w:gz") as archive:
        for name, text in (("setup.py", "raise SystemExit('no MySQL C library here')\n"), ("PKG-INFO", "Name: x\n")):
            (tmp_path / name).write_text(text)
            archive.add(tmp_path / name, arcname=f"brokenpkg-1.0/{name}")
    recipe = Recipe(
        tree,
        sys.executable,
        ((("iniconfig", "brokenpkg"),), (("six",),)),  # the project's test packages; then less
        exclude_newer="2024-06-30",
        or_today=True,
        identity="a package that does not build",
        label="unbuildable",
        env={"UV_FIND_LINKS": str(tree / "vendor")},
    )
    built = envbuild.build(recipe, tmp_path / "envs", lambda _line: None)
    assert versions(built.python, "iniconfig")
    assert "attempt 3: the same packages again, without brokenpkg, which did not build here" in built.log
    done = subprocess.run([str(built.python), "-c", "import six"], capture_output=True, text=True)
    assert done.returncode != 0  # the smaller attempt was not needed
