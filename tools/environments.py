"""Where a project's tests run: the project's own interpreter, found, configured, or built once with uv.

A project's tests import the project's dependencies, which patchgate's own
virtual environment does not have (and should not: its torch would mask a
missing import). So everything that executes candidate code asks this module
for a ``TestEnvironment``, resolved in this order:

1. ``[tool.patchgate.tests]``: ``python = PATH`` or ``command = [...]`` (a pytest invocation prefix);
2. ``env = "build"`` (or ``--tests-env build``): an isolated venv built with uv from the repository's own
   metadata, cached by the hash of those files, so it is built once per dependency change;
3. the repository's own environment (``tools.venvs``): ``.venv/``, ``venv/``, an active ``VIRTUAL_ENV``, a
   poetry/hatch env; not one whose files show no pytest;
4. without one, for a project that declares its dependencies, the environment of 2., built on the first
   review that runs tests (one progress line says so) and reused while the dependency files stay the same;
5. patchgate's own interpreter (a project that declares nothing), said plainly, so a missing module names the
   way out.

Whatever the interpreter, the candidate's worktree comes first on ``PYTHONPATH``
and is the working directory: an editable install that points at the user's
tree never stands in for the candidate. ``execute`` is the one place a project
command is launched (the sandbox wraps it there).
"""

from __future__ import annotations

import dataclasses
import os
import re
import sys
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from core.errors import ConfigError
from core.projects import project_folder
from core.secrets import allowed_env
from core.settings import CachePaths, SandboxSettings, TestSettings, cache_root
from core.tables import pyproject_of, table_at
from tools import envbuild, generated, sandbox
from tools.commandfiles import (
    installed_extras,
    installed_groups,
    installed_requirement_files,
    installs_all_extras,
    is_command_file,
)
from tools.djangotests import settings_module
from tools.envbuild import IMPORTED_BY_TESTS, EnvironmentBuildError, Progress, Recipe
from tools.envcache import KEPT_BYTES
from tools.envera import PYTEST_OWN, PYTHON_RELEASED, era, last_changed, pytest_cutoff
from tools.envtries import Attempt
from tools.generated import site_packages
from tools.hatchenvs import hatch_env_vars
from tools.noxsessions import nox_requirements
from tools.pythons import admitted_python, version_of
from tools.reqfiles import FROM_THE_INDEX, named_files, requirement_lines, takes_from_urls
from tools.runpath import run_path
from tools.sandbox import Confinement
from tools.testdeps import (
    TEST_EXTRAS,
    declared,
    group_requirements,
    hatch_dev,
    pdm_dev,
    pdm_groups,
    pipenv_packages,
    poetry_dev,
    poetry_main,
    project_extras,
    test_groups,
    uv_default_groups,
    uv_dev,
)
from tools.toxconfig import tox_requirements, tox_setenv
from tools.venvs import lacks_pytest, own_venvs, venv_vars

# What a test run may see of the caller's environment without being told: enough to run, no credentials.
HOW_TO_POINT = (
    'point patchgate at the project\'s environment: [tool.patchgate.tests] python = ".venv/bin/python", '
    'or let it build one with --tests-env build (env = "build")'
)
__all__ = ["EnvironmentBuildError", "TestEnvironment", "TestSettings", "execute", "resolve_environment"]


@dataclass(frozen=True)
class TestEnvironment:
    """An interpreter and a command to run a project's tests, and a sentence saying why this one."""

    __test__ = False

    python: Path | None  # None when only a command is known (no import check then)
    argv_prefix: tuple[str, ...]  # the test command before patchgate's options: (python, -m, pytest) or configured
    how: str  # for doctor and for messages: which environment and why
    kind: Literal["configured", "built", "repository", "patchgate"]
    env: Mapping[str, str] = field(default_factory=dict)  # variables the environment itself needs (VIRTUAL_ENV, PATH)
    confine: Confinement = field(default_factory=Confinement)  # the sandbox every command of this environment runs in
    root: Path | None = None  # the user's repository: where an editable install wrote the project's version file
    project_failed: str = ""  # why a built environment holds the project's dependencies without the project
    packages_as_of: str | None = None  # a built environment's packages: as of this date, or envbuild.TODAY
    # the tree-relative folder of the project, where the repository's root holds none (``core.projects``): its tests
    # run from there, as its own ``cd libs/sdk-py && pytest tests`` does (``from tests.streaming import ...``)
    project: str = ""

    def prepare(self, tree: Path, scratch: Path, pass_env: tuple[str, ...] | list[str] = ()) -> dict[str, str]:
        """Ready ``tree`` to run candidate code, and return that process's environment: the worktree first on the
        path, and the version file, the compiled extensions and the modules the project's build generates
        (``tools.generated``) in the worktree.

        Only allow-listed names and ``pass_env`` come from ours (``core.secrets.allowed_env``); HOME is
        the sandbox's to guard (read-only there, and every write to it reported). The tree's tox ``setenv`` gives
        the tests its variables under those (``tools.toxconfig.tox_setenv``), as tox would, and so do hatch's test
        environments (``tools.hatchenvs``).
        """
        # patchgate's own packages are not the project's
        site = site_packages(self.python) if self.python is not None and self.kind != "patchgate" else []
        projects = [self.root] if self.root else []
        generated.complete(tree, projects, site)
        generated.complete_extensions(tree, projects, site)
        generated.complete_modules(tree, site)
        roots = [str(root) for root in run_path(tree)]
        return {
            **hatch_env_vars(tree),  # what hatch and tox give the tests; yours and ours below win
            **tox_setenv(tree),
            **allowed_env(os.environ, pass_env),
            **self.env,
            "PYTHONPATH": os.pathsep.join([str(tree), *roots]),
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONNOUSERSITE": "1",
            "TMPDIR": str(scratch),
        }


@dataclass(frozen=True)
class Completed:
    """What a launched project command did, and what the sandbox kept it from doing."""

    returncode: int | None  # None when it ran past its timeout and was killed
    output: str  # stdout and stderr together, in order
    blocked: tuple[str, ...] = ()
    dialled: tuple[str, ...] = ()  # the tests (pytest node ids) whose network connections the sandbox stopped

    @property
    def timed_out(self) -> bool:
        return self.returncode is None


def execute(argv: list[str], *, cwd: Path, env: dict[str, str], timeout: float, confine: Confinement) -> Completed:
    """Run one project command (tests, an import check) and collect its output; the one launch point.

    It runs in the bubblewrap sandbox ``confine`` describes (``tools.sandbox``):
    only ``cwd`` and the scratch folder ``env["TMPDIR"]`` are writable. Its
    process group is killed on timeout, so a test that forks cannot outlive the
    gate. Raises SandboxUnavailable when the sandbox cannot start.
    """
    writable = [cwd, *([Path(env["TMPDIR"])] if env.get("TMPDIR") else [])]
    done = sandbox.run(
        argv,
        cwd=cwd,
        env=env,
        timeout=timeout,
        writable=writable,
        readable=list(confine.readable),
        settings=confine.settings,
    )
    return Completed(done.returncode, done.output, tuple(done.blocked), tuple(done.dialled))


def resolve_environment(
    root: Path,
    settings: TestSettings,
    *,
    tree: Path | None = None,
    cache_dir: Path | None = None,
    progress: Progress | None = None,
    build: bool = True,
    as_of: str | None = None,
    changed: Collection[str] = (),
) -> TestEnvironment:
    """The environment the tests of the repository at ``root`` run in (see the module docstring for the order).

    ``tree`` is what a build installs from (default ``root``); with ``build=False`` (doctor) nothing is
    built, and a not-yet-built environment is described instead. ``as_of`` builds with the packages of that date
    (``TestEnvironment.packages_as_of`` of another build) instead of the era's. Where the root holds no project,
    the environment is that of the project in a folder (``core.projects``) that ``changed`` (tree-relative paths)
    is in: its own ``.venv``, or one built from its metadata.
    """
    project = project_folder(tree or root, changed)
    found = _resolve(
        root, settings, tree=tree, cache_dir=cache_dir, progress=progress, build=build, as_of=as_of, project=project
    )
    return dataclasses.replace(found, root=root, project=project)


def _resolve(
    root: Path,
    settings: TestSettings,
    *,
    tree: Path | None,
    cache_dir: Path | None,
    progress: Progress | None,
    build: bool,
    as_of: str | None,
    project: str,
) -> TestEnvironment:
    configured = _configured(root, settings)
    if configured is not None:
        return configured
    if settings.env == "build":
        recipe = _as_of(project_recipe((tree or root) / project), as_of)
        cache = cache_dir or default_cache_dir()
        if not build:
            return _described(recipe, cache)
        return build_environment(recipe, cache, progress or (lambda _line: None), sandbox_settings=settings)
    own, django = own_venvs(root, project), settings_module(root) is not None
    runs = [(python, why) for python, why in own if not lacks_pytest(python, django=django)]
    if runs:
        return _repository_environment(*runs[0])
    bare = _repository_environment(*own[0]) if own else None  # the project's own, without pytest: passed over
    missing = "pytest-django, which runs its tests" if own and not lacks_pytest(own[0][0]) else "pytest"
    lacking = "the project has no environment of its own" if bare is None else f"{bare.how}, has no {missing}"
    recipe = _as_of(project_recipe((tree or root) / project), as_of)
    if not declares_dependencies(recipe):
        return bare or own_environment()
    cache = cache_dir or default_cache_dir()  # its imports need them: build the environment once (cached by its key)
    if not build:
        made = _described(recipe, cache)
    else:
        if envbuild.state(recipe, cache) != "ready" and progress is not None:
            progress(f"{lacking}: building one with uv, once (cached; set [tool.patchgate.tests] python to use yours)")
        made = build_environment(recipe, cache, progress or (lambda _line: None), sandbox_settings=settings)
    return made if bare is None else dataclasses.replace(made, how=f"{made.how}; {lacking}")


def own_environment() -> TestEnvironment:
    """patchgate's own interpreter, for a project that declares no dependencies (or none built yet)."""
    python = Path(sys.executable)
    return TestEnvironment(
        python,
        (str(python), "-m", "pytest"),
        kind="patchgate",
        how=f"patchgate's own Python ({python}): the repository has no .venv/ or venv/, no active "
        f"virtualenv and no [tool.patchgate.tests]; {HOW_TO_POINT}",
    )


def declares_dependencies(recipe: Recipe) -> bool:
    """Whether the project names what it needs (a package or requirement files), so that patchgate's own
    interpreter would fail its imports; a pyproject.toml that only holds tool settings names nothing."""
    if set(recipe.key_files) - {"pyproject.toml", "tox.ini"}:
        return True
    if "pyproject.toml" not in recipe.key_files:
        return False
    data = pyproject_of(recipe.tree)
    return "project" in data or "build-system" in data


def _configured(root: Path, settings: TestSettings) -> TestEnvironment | None:
    if settings.env == "build" and (settings.python or settings.command):
        raise ConfigError(
            '[tool.patchgate.tests] env = "build" (--tests-env build) conflicts with python/command; use one of them'
        )
    python = None
    if settings.python is not None:
        python = settings.python if settings.python.is_absolute() else root / settings.python
        if not os.access(python, os.X_OK) or python.is_dir():
            raise ConfigError(
                f"[tool.patchgate.tests] python = {str(settings.python)!r}: {python} is not an executable interpreter"
            )
    if settings.command:
        return TestEnvironment(
            python,
            tuple(settings.command),
            kind="configured",
            how=f"the command in [tool.patchgate.tests]: {' '.join(settings.command)}",
        )
    if python is not None:
        return TestEnvironment(
            python,
            (str(python), "-m", "pytest"),
            kind="configured",
            env=venv_vars(python),
            how=f"{python}, set by [tool.patchgate.tests] python",
        )
    return None


def _repository_environment(python: Path, why: str) -> TestEnvironment:
    """One of the repository's own virtual environments (``tools.venvs``), as a test environment."""
    return TestEnvironment(
        python, (str(python), "-m", "pytest"), kind="repository", how=f"{python}: {why}", env=venv_vars(python)
    )


# --- built environments: the project's metadata as a recipe for tools.envbuild ---------------------------------

DEPENDENCY_FILES = ("pyproject.toml", "setup.py", "setup.cfg", "tox.ini", "tox.toml", "Pipfile")
# Requirement files by name (pyproject-hooks' tests import testpath, which only its dev-requirements.txt lists),
# besides those the project's commands install (``tools.commandfiles``).
REQUIREMENT_FILES = ("requirements*.txt", "*-requirements.txt", "*_requirements.txt", "requirements/*.txt")


def shapes_environment(path: str) -> bool:
    """Whether a change to the repository-relative ``path`` may change what the project's built environment holds:
    a file its recipe reads (dependency and requirement files, hatch's, uv's lock) or a command file (the extras
    and requirement files its commands install). A change to none of them, and to no code, needs no environment."""
    name = PurePosixPath(path).name
    return (
        path in DEPENDENCY_FILES
        or name in ("hatch.toml", "uv.lock")
        or is_command_file(path)
        or (name.endswith(".txt") and "requirements" in path)
    )


# pytest, and the pkg_resources that older projects import at run time (setuptools 81 drops it).
BASE_PACKAGES = ("pytest", "setuptools<81")
DJANGO_PLUGIN = "pytest-django"
# A trivial test the new environment's pytest must pass for an attempt to count: a 2021 jinja pins pytest 6.2,
# which raises at import on Python 3.11, and parso's "pytest<6.0.0" imports and then fails its first assertion
# rewrite ('required field "lineno" missing from alias'). Its cache stays on, in the folder: pytest-ruff, which a 2024
# inflect's test extra installs, keeps its state in the cache's stash and errors without it. It runs in the folder:
# pytest-enabler turns on the plugins the current folder's pyproject.toml names (jaraco's projects: pytest-mypy), and
# pytest-mypy names an item by its path below the current folder, which a file elsewhere is not.
PYTEST_WORKS = (
    "-c",
    "import os, pathlib, sys, tempfile, pytest; d = pathlib.Path(tempfile.mkdtemp()); os.chdir(d); "
    f"(d / 'test_works.py').write_text({envbuild.TRIVIAL_TEST!r}); "
    "sys.exit(pytest.main(['-q', '-o', 'cache_dir=' + str(d / 'cache'), str(d)]))",
)
# A version in a file's name (3.8, 38, py311, python3.12), not inside a longer number: a Python's when it is 2.7
# or 3.5 on (_named_python).
_VERSION_IN_NAME = re.compile(r"(?<![0-9.])([23])\.?([0-9]{1,2})(?![0-9.])")


def project_recipe(tree: Path, python: str | None = None) -> Recipe:
    """The recipe of the project in ``tree`` from its metadata: pyproject/setup.py/setup.cfg/requirements/tox.

    Attempts, smaller each time: the project with its test extras and those its commands install, test dependency
    groups and those its commands (or uv, unasked) install, requirement files and tox's deps (a 2018 itsdangerous
    lists freezegun only there); where those groups take a package from a URL, the same as the index serves them;
    the same with only its test extras; with only the requirement files named for tests or installed by the
    project's commands; with only their lines the tests import; without the requirement files; with tox's deps the
    tests import; without tox's deps; alone; its dependencies and test dependencies without the project; pytest
    only. Each with the packages of the commit's month (``tools.envera``), then with those of the Python's release month (a
    commit older than the Python), then with today's. On a Python its ``requires-python`` admits (``tools.pythons``).
    """
    python = python or admitted_python(tree)
    # a Django app's tests run under pytest-django, as its own runner runs them (tools.djangotests), of pytest's date
    django = settings_module(tree) is not None
    base, own = (
        (*BASE_PACKAGES, DJANGO_PLUGIN) if django else BASE_PACKAGES,
        (*PYTEST_OWN, DJANGO_PLUGIN) if django else PYTEST_OWN,
    )
    files = [name for name in DEPENDENCY_FILES if (tree / name).is_file()]
    named = (p for pattern in REQUIREMENT_FILES for p in tree.glob(pattern) if p.is_file() and "doc" not in p.name)
    ran = installed_requirement_files(tree)
    version = version_of(python)
    found = {*(str(p.relative_to(tree)) for p in named), *ran}
    requirements = sorted(r for r in found if _named_python(r) in (None, version))
    tox = tox_requirements(tree, version)
    names = sorted({*files, *requirements})
    as_of = last_changed(tree, names)
    extras = ",".join(dict.fromkeys([*TEST_EXTRAS, *tox.extras]))
    buildable = bool({"pyproject.toml", "setup.py"} & set(files))
    project = ("{source}[" + extras + "]",) if buildable else ()
    plain = ("{source}",) if buildable else ()
    pyproject = pyproject_of(tree)
    group_table = table_at(pyproject, "dependency-groups")

    def group_args(names: list[str]) -> tuple[str, ...]:  # a group tox names that pyproject lacks would fail uv
        return tuple(
            a for g in dict.fromkeys(names) if g in group_table for a in ("--group", "{source}/pyproject.toml:" + g)
        )

    tested = [*test_groups(pyproject), *tox.groups]
    pdm_tested, commanded_groups = pdm_groups(pyproject), installed_groups(tree)
    listed = (*poetry_dev(pyproject), *uv_dev(pyproject), *pdm_dev(pyproject, pdm_tested), *hatch_dev(pyproject, tree))
    listed += tuple(pipenv_packages(tree, buildable))  # a Pipfile's, where the project has one
    listed += tuple(nox_requirements(tree))  # what its nox test sessions install by name
    groups = (*group_args(tested), *listed)
    test_declared, runtime = declared(pyproject, [*TEST_EXTRAS, *tox.extras]), set(declared(pyproject, []))
    tested_files = [r for r in requirements if "test" in r.lower() or r in ran]
    # and a development file's lines: cookiecutter-pypackage's requirements_dev.txt pins pip 9 and cryptography 1.7
    # beside the ipython a 2019 prettyprinter's tests import, and nothing else names it
    developed_files = [r for r in requirements if "dev" in r.lower() and r not in tested_files]
    stated = [  # what the project says its tests need beyond what it runs on
        *(r for r in test_declared if r not in runtime),
        *(r for g in dict.fromkeys(tested) for r in group_requirements(pyproject, g)[0]),
        *listed,
        *tox.requirements,
        *requirement_lines(tree, [*tested_files, *developed_files]),
    ]
    development = tuple(dict.fromkeys(stated))
    pinned = tuple(a for r in requirements for a in ("-r", r))
    for_tests = tuple(a for r in tested_files for a in ("-r", r))
    named_for_tests = tuple(a for r in requirements if "test" in r.lower() for a in ("-r", r))
    # with the extras the project's own commands install too (cachecontrol's `uv sync --extra dev`) and what tox
    # installs under its envs' other factors (authlib's `django: django` group), first: such an extra may also hold
    # what does not install here (docs, lint tools), and two factors may conflict, so the attempts after it go without
    every = project_extras(pyproject) if installs_all_extras(tree) else []
    commanded = ",".join(dict.fromkeys([*TEST_EXTRAS, *tox.extras, *installed_extras(tree), *every]))
    factored = (*group_args(tox.factored_groups), *tox.factored)
    ran_groups = (
        *group_args([g for g in [*commanded_groups, *uv_default_groups(pyproject, tree)] if g not in tested]),
        *pdm_dev(pyproject, [g for g in commanded_groups if g not in pdm_tested]),
    )
    as_run = (
        (("{source}[" + commanded + "]",) if buildable else ())
        + (*groups, *ran_groups, *factored, *pinned, *tox.deps, *base),
    )
    # its development dependencies that its tests import, where the others do not install here: a 2021 darglint's
    # poetry list holds flake8 beside a mypy of its day, which does not build on Python 3.11
    narrowed: tuple[Attempt, ...] = (((*plain, IMPORTED_BY_TESTS, *base),),) if development else ()
    imported_lines: Attempt = ((*project, *groups, *tox.deps, IMPORTED_BY_TESTS, *base),)
    attempts = (
        # none of them: the attempts, and so the environment's key, are as they were
        *((as_run,) if (buildable and commanded != extras) or factored or ran_groups else ()),
        ((*project, *groups, *pinned, *tox.deps, *base),),
        # the development files' lines the tests import, where no file is named for tests (the next attempt would be
        # without any file): cookiecutter's requirements_dev.txt; where none is, the attempts (and so the
        # environments' keys) are as they were
        *((imported_lines,) if developed_files and not for_tests else ()),
        # frozenlist's requirements/dev.txt holds a line uv cannot read; its test.txt alone brings Cython
        ((*project, *groups, *for_tests, *tox.deps, *base),),
        # apischema's CI installs benchmark/requirements.txt too, whose pydantic 2 conflicts with the pydantic 1 of
        # its tests/requirements.txt, which holds the graphql-core its tests import
        *(
            (((*project, *groups, *named_for_tests, *tox.deps, *base),),)
            if named_for_tests and named_for_tests != for_tests
            else ()
        ),
        # the test (and development) requirement files' lines the tests import: verboselogs' mock, beside a pylint 1.3
        # that cannot build
        *((imported_lines,) if tested_files else ()),
        ((*project, *groups, *tox.deps, *base),),  # jinja's requirement files, all together, conflict
        # tox's deps that the tests import, where the others do not install or run here: a 2021 thefuzz's hold the
        # pycodestyle and hypothesis its tests import beside pytest 3.2.5, which does not run on Python 3.11
        *((((*project, *groups, *pinned, IMPORTED_BY_TESTS, *base),),) if tox.requirements else ()),
        ((*project, *groups, *pinned, *base),),
        *narrowed,
        ((*project, *base),),
        # the project's dependencies and test dependencies without the project, which may not build here: semver's
        # tox env skips installing it (its tests import src/), and its pytest addopts need tox's pytest-cov; zipp's
        # build reads a URL this machine cannot reach, and its test extra (jaraco.test) is in its static metadata;
        # a 2023 anytree's poetry dependencies hold the six its tests import, and uv refuses to build it
        ((*test_declared, *poetry_main(pyproject), *groups, *tox.deps, *base),),
        (base,),
    )
    # where an attempt takes a package from a URL (urllib3's hypercorn fork, Box's toon-format), the index's next
    from_urls = {name for name in named_files(i for a in attempts for i in a) if takes_from_urls(tree, [name])}
    attempts = tuple(a for attempt in attempts for a in (attempt, _from_the_index(attempt, pyproject, from_urls)) if a)
    month, released = era(tree), PYTHON_RELEASED.get(version)
    return Recipe(
        tree,
        python,
        attempts,
        exclude_newer=month,
        or_today=True,
        or_python=released if month and released and released > month else None,
        identity=f"project\0{version}\0{as_of}",
        key_files=tuple(names),
        uv_args=tuple(pytest_cutoff(version, as_of, own)),
        label="project",
        works=PYTEST_WORKS,
        env=envbuild.scm_version_override(),
        imported=development,
    )


def _from_the_index(attempt: Attempt, pyproject: dict[str, Any], from_urls: set[str]) -> Attempt | None:
    """``attempt`` with what it takes from elsewhere (a git URL of its own or of ``[tool.uv.sources]``) taken from
    the package index: each dependency group it installs written out as the index serves its requirements
    (``tools.testdeps.group_requirements``), and each install of requirement files that take a package from a
    URL (``from_urls``, read once for all attempts) marked to install their twins that take it by name
    (``tools.reqfiles``). None when it takes nothing from elsewhere. Where only the index is reachable, such a
    group or file fails whole."""
    spelled, elsewhere = [], False
    for install in attempt:
        args, out = iter(install), []
        for arg in args:
            if arg == "--group":
                served, fetched = group_requirements(pyproject, next(args, "").rpartition(":")[2])
                out += [r for r in served if r not in out]  # a group another includes, once
                elsewhere = elsewhere or bool(fetched)
            else:
                out.append(arg)
        if from_urls.intersection(named_files([install])):
            out.append(FROM_THE_INDEX)
            elsewhere = True
        spelled.append(tuple(out))
    return tuple(spelled) if elsewhere else None


def _named_python(path: str) -> str | None:
    """The Python a requirement file's name says it is for ("3.8" for ``requirements-dev3.8.txt``, ``tests37.txt``,
    ``requirements-py311.txt``), or None. A 2025 deepdiff pins numpy 2.2 in requirements-dev.txt and numpy<2 in
    requirements-dev3.8.txt, and a 2024 jinja pytest 8.2 and 7.4 in tests.txt and tests37.txt: together they never
    resolve, and every requirement file was dropped with them. ``django32`` names no Python (3.2 is too old)."""
    for major, minor in _VERSION_IN_NAME.findall(PurePosixPath(path).stem):
        if (major, minor) == ("2", "7") or (major == "3" and 5 <= int(minor) <= 19):
            return f"{major}.{minor}"
    return None


def default_cache_dir() -> Path:
    """Where built environments live: the ``envs`` folder of the one cache (``core.settings``), shared by clones."""
    return CachePaths(root=cache_root()).environments


def _described(recipe: Recipe, cache_dir: Path) -> TestEnvironment:
    home = envbuild.home_of(recipe, cache_dir)
    python = home / "venv" / "bin" / "python"
    made_of = ", ".join(recipe.key_files) or "no dependency files (pytest only)"
    built = envbuild.state(recipe, cache_dir)
    if built == "ready":
        how = f"built at {home / 'venv'}"
    elif built.startswith("failed"):
        how = f"its build {built[:300]}"
    else:
        how = "built with uv on the first review that runs tests"
    return TestEnvironment(
        python,
        (str(python), "-m", "pytest"),
        kind="built",
        env=venv_vars(python),
        how=f"an isolated environment from {made_of} (key {recipe.key}){_other_python(recipe)}, {how}",
        project_failed=envbuild.project_failed(home),
        packages_as_of=envbuild.packages_as_of(home),
    )


def _other_python(recipe: Recipe) -> str:
    """The words that say the environment is of another interpreter than this one (``tools.pythons``), or ''."""
    if recipe.python == sys.executable:
        return ""
    return f", on Python {version_of(recipe.python)} (the project's requires-python excludes this one's)"


def _as_of(recipe: Recipe, as_of: str | None) -> Recipe:
    """``recipe`` with the packages of ``as_of`` first (then today's, as always), where it is given."""
    if as_of is None:
        return recipe
    return dataclasses.replace(recipe, exclude_newer=None if as_of == envbuild.TODAY else as_of, or_python=None)


def build_environment(
    recipe: Recipe, cache_dir: Path, progress: Progress, *, sandbox_settings: SandboxSettings | None = None
) -> TestEnvironment:
    """The environment for ``recipe`` (``tools.envbuild`` builds it once, sandboxed), as a test environment."""
    try:
        envbuild.build(recipe, cache_dir, progress, sandbox_settings, kept_bytes=KEPT_BYTES)
    except EnvironmentBuildError as exc:
        raise EnvironmentBuildError(
            f"the test environment could not be built: {exc} ({HOW_TO_POINT.split(': ', 1)[1]})"
        ) from None
    return _described(recipe, cache_dir)
