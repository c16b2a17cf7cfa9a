"""An instance's environment: its harness spec turned into a recipe for the one builder (``tools.envbuild``).

SWE-bench builds one environment per (repository, version) from the instance's
``environment_setup_commit``; so do we. The recipe is the harness's spec
(``evaluation.harness``): its Python, packages, requirement files and the
project's extras. A repository the harness does not know gets the recipe the
gates use for a project (``tools.environments.project_recipe``). The spec's
Python is looked for on PATH and in pyenv (nothing is downloaded); when this
machine has none of that version, the instance is ``env_failed`` and says
which Python it needs.

Packages are resolved as they were when the environment's commit was made
(uv's ``--exclude-newer``): today's releases break yesterday's code, and the
harness's images were built close to the instances' time. The date is never
earlier than the first months in which that Python had wheels for the common
packages, since older releases would have to be compiled and mostly fail to.
A package the spec pins exactly (``mpmath==1.3.0``) is exempt from the date:
the harness installs that release whenever it was published, and a cap that
hides it would make the whole spec unsatisfiable.

The project itself is installed to bring its dependencies, then removed: each
tree under test is installed over the environment (``tools.overlay``), as the
harness's per-instance image installs the instance's own checkout.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from git import GitCommandError
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from core.errors import PatchgateError
from core.git import open_repo
from core.settings import CachePaths, cache_root
from core.worktrees import worktree
from evaluation.dataset import Instance
from evaluation.harness import HarnessSpec, harness_spec
from tools import envbuild
from tools.envbuild import Built, EnvironmentBuildError, Recipe
from tools.environments import BASE_PACKAGES, project_recipe
from tools.envtries import Attempt
from tools.pythons import find_python

# The first date by which each Python had wheels of numpy, pandas, scipy and their like (3.11.0: 2022-10-24).
WHEELS_SINCE = {
    "3.6": "2017-03-01",
    "3.7": "2018-09-01",
    "3.8": "2020-01-01",
    "3.9": "2021-01-01",
    "3.10": "2022-01-01",
    "3.11": "2023-01-01",
    "3.12": "2024-01-01",
    "3.13": "2025-01-01",
}
KEY_FILES = ("setup.py", "setup.cfg", "pyproject.toml", "tox.ini")
NO_ISOLATION = ("--no-build-isolation",)  # uv's flag for a spec's pip install --no-build-isolation
NO_DATE_CAP = "2099-12-31T23:59:59Z"  # uv's per-package cap for an exact pin (older uv reads no "false")


@dataclasses.dataclass(frozen=True)
class InstanceEnvironment:
    """The built environment of an instance, with the spec it follows, the date it was resolved as of and the
    packages exempt from that date (``exact_pins_uncapped``): the tree under test is installed by the same rules."""

    built: Built
    spec: HarnessSpec
    exclude_newer: str
    uv_args: tuple[str, ...] = ()

    @property
    def tree_uv_args(self) -> tuple[str, ...]:
        """How the tree under test is installed over it: by its date rules, and built without isolation where
        the spec builds the project so."""
        return (*self.uv_args, *(() if self.spec.build_isolation else NO_ISOLATION))

    @property
    def log(self) -> str:
        return f"{self.spec.describe()}\n{self.built.log}"


def default_cache() -> Path:
    """The ``envs`` folder of the one cache (``core.settings``): environments outlive runs."""
    return CachePaths(root=cache_root()).environments


def build_environment(instance: Instance, repo_dir: Path, cache: Path) -> InstanceEnvironment:
    """The environment for ``instance``: reused when cached, built otherwise; raises EnvironmentBuildError."""
    try:
        committed = open_repo(repo_dir).git.show("-s", "--format=%cI", instance.env_commit)
    except (PatchgateError, GitCommandError):
        raise EnvironmentBuildError(f"{repo_dir} has no commit {instance.env_commit}") from None
    with checkout_at(repo_dir, instance.env_commit) as checkout:
        spec = harness_spec(instance.repo, instance.version, checkout)
        recipe, date = instance_recipe(instance, spec, checkout, committed[:10])
        if spec.tree_edits:
            from evaluation.testrun import edit_tree

            edit_tree(spec, checkout)
        built = envbuild.build(recipe, cache, lambda _line: None)
    return InstanceEnvironment(built, spec, date, recipe.uv_args)


def instance_recipe(instance: Instance, spec: HarnessSpec, checkout: Path, committed: str) -> tuple[Recipe, str]:
    """The builder's recipe for ``instance`` and the date its packages are resolved as of."""
    if spec.python:
        python = find_python(spec.python)
        if python is None:
            raise EnvironmentBuildError(
                f"needs Python {spec.python} (the harness's spec for {instance.repo} "
                f"{instance.version}); none on PATH or in pyenv, and none is downloaded"
            )
        version = spec.python
    else:
        python, version = sys.executable, f"{sys.version_info[0]}.{sys.version_info[1]}"
    date = max(committed, WHEELS_SINCE.get(version, ""))
    label = f"{instance.repo_key}-{instance.version or 'any'}"
    pretend = envbuild.scm_version_override()
    if not spec.known:
        generic = project_recipe(checkout, python)
        # the project must install with its dependencies: an environment without them would judge nothing
        with_project = tuple(filter(envbuild.installs_project, generic.attempts)) or generic.attempts
        return dataclasses.replace(
            generic, attempts=with_project, exclude_newer=date, deps_only=True, label=label, uv_args=()
        ), date
    project = "{source}" + spec.extras
    requirements = tuple(a for f in spec.requirement_files for a in ("-r", f))
    # The harness installs in steps, each over the last: the requirement files, the spec's packages, then the
    # project, whose install replaces a pin it cannot use (sphinx 8.1's Jinja2==3.0.3). One resolve of all of
    # them is tried first (it finds versions that suit every step); where it has no solution, the harness's
    # steps, before anything the spec asks for is left out. A project the spec builds without isolation is
    # built so in its step, on what the steps before installed (with wheel, which a conda environment has).
    # Where the spec's exact pins cannot be installed at all (numpy==1.19.2 has no wheel for Python 3.9 and its
    # source no longer builds), the same again with each pin widened to later releases of its series.
    first = (*BASE_PACKAGES, *(() if spec.build_isolation else ("wheel",)), *requirements)
    last = (project, *(() if spec.build_isolation else NO_ISOLATION))

    def whole_and_in_steps(packages: tuple[str, ...]) -> tuple[Attempt, ...]:
        together = ((*BASE_PACKAGES, *packages, *requirements, project),)
        return together, tuple(step for step in (first, packages, last) if step)

    widened = pins_widened(spec.packages)
    attempts = (
        *whole_and_in_steps(spec.packages),
        *(whole_and_in_steps(widened) if widened != spec.packages else ()),
        ((*BASE_PACKAGES, *spec.packages, project),),
        ((*BASE_PACKAGES, project),),
        ((*BASE_PACKAGES, *spec.packages, *requirements),),
    )
    recipe = Recipe(
        checkout,
        python,
        attempts,
        identity=f"swebench\0{instance.repo}\0{instance.version}\0{spec!r}",
        key_files=(*KEY_FILES, *spec.requirement_files),
        exclude_newer=date,
        deps_only=True,
        best_effort=spec.conda_packages,
        env=pretend,
        label=label,
        uv_args=exact_pins_uncapped(spec.packages),
    )
    return recipe, date


def exact_pins_uncapped(packages: tuple[str, ...]) -> tuple[str, ...]:
    """uv flags that lift the date cap from each package the spec pins to one release (``name==X``)."""
    return tuple(
        flag
        for text in packages
        if (pinned := _exact_pin(text))
        for flag in ("--exclude-newer-package", f"{pinned[0].name}={NO_DATE_CAP}")
    )


def pins_widened(packages: tuple[str, ...]) -> tuple[str, ...]:
    """The spec's packages with each exact pin of a bugfix release widened to the later ones of its series
    (``numpy==1.19.2`` becomes ``numpy>=1.19.2,==1.19.*``, which resolves to 1.19.5).

    The harness's conda channel has builds for the spec's Python that PyPI lacks: numpy 1.19.2 and scipy 1.5.2
    have no wheel for Python 3.9 (scikit-learn 1.3's spec), and their sources need the Cython of their day. The
    same series' later bugfix release is the nearest PyPI has; the builder's log says which attempt was used."""
    widened = []
    for text in packages:
        pinned = _exact_pin(text)
        release = pinned[1].release if pinned else ()
        if pinned and len(release) >= 3:
            requirement, version = pinned
            requirement.specifier = SpecifierSet(f">={version},=={release[0]}.{release[1]}.*")
            text = str(requirement)
        widened.append(text)
    return tuple(widened)


def _exact_pin(text: str) -> tuple[Requirement, Version] | None:
    """``text`` as a requirement and the one release it pins (``name==X``), or None."""
    try:
        requirement = Requirement(text)
    except InvalidRequirement:
        return None
    pins = list(requirement.specifier)
    if len(pins) != 1 or pins[0].operator not in ("==", "===") or "*" in pins[0].version:
        return None
    try:
        return requirement, Version(pins[0].version)
    except InvalidVersion:
        return None


@contextmanager
def checkout_at(repo_dir: Path, commit: str) -> Iterator[Path]:
    """A throw-away worktree at ``commit``; one that cannot be made (a partial clone) is an EnvironmentBuildError."""
    with ExitStack() as stack:
        try:
            tree = stack.enter_context(worktree(open_repo(repo_dir), commit))
        except PatchgateError as exc:
            raise EnvironmentBuildError(str(exc)) from None
        yield tree
