"""The one environment builder: a recipe in, a cached virtual environment built by uv in the sandbox out.

Recipes come from the project's own metadata (``tools.environments``, for the
gates), from a SWE-bench install spec with a date cap (``evaluation.environment``),
or from the user's ``[tool.patchgate.tests]`` (which says whether to build and how
to confine the build). Whatever made it, a recipe is data: the interpreter, the
tree to install from, the install attempts in order (smaller ones when a whole
resolve fails; an attempt is one install or several, each over the last, as the
harness's image installs its packages and then the project), the date packages
are resolved as of, and the key its cache is found under. This module alone
knows the cache layout::

    <cache>/<key>/lock        held while the environment is built (one build per key)
    <cache>/<key>/in-use      a reader's lock held by each process using it, until it exits (``tools.envcache``)
    <cache>/<key>/venv/       the environment
    <cache>/<key>/source/     the copy of the tree it was installed from (build/ and egg-info land there)
    <cache>/<key>/downloads/  what the project's build downloaded (sources it fetches): the tree under test,
                              built offline, finds them there
    <cache>/<key>/build.log   what uv did, attempt by attempt
    <cache>/<key>/project-failed  why the project itself could not be installed (built, or resolved with
                              its dependencies), where the environment was made without it (a recipe's last
                              attempt: its dependencies only)
    <cache>/<key>/ready       written last: the environment is complete; touched each time it is used
    <cache>/<key>/failed      why it could not be built (reported at once; delete the folder to retry); not
                              written where the disk was full
    <cache>/<key>/size        the bytes the folder holds, measured once it is ready or failed
    <cache>-uv-cache/         uv's download and wheel cache, shared by every build

Building runs the project's build code (``setup.py``, build backends), so uv
runs in the bubblewrap sandbox with an allow-listed environment (no
credentials), the network it needs for the package index, and only the key's
folder and uv's cache writable. One error type, ``EnvironmentBuildError``,
carries the one-line reason.
A caller that gives ``build`` a budget (``tools.envcache``) has the least
recently used environments removed after a new one is built.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from core.errors import PatchgateError
from core.git import run_git
from core.locks import exclusive
from core.secrets import allowed_env
from core.settings import SandboxSettings
from tools import sandbox
from tools.envcache import evict, last_used, lease, record_size
from tools.envfit import Fitting, unbuildable
from tools.envtries import Attempt, Install, Try, again_without, build_leftovers_removed, left_out_by, said_without
from tools.reqfiles import FROM_THE_INDEX, Twins, named_files, write_twins
from tools.testdeps import imported_by_tests, test_imports

BUILDER_VERSION = "9"  # bump when the way environments are built changes, so old caches are not reused
UV_TIMEOUT = 1200.0  # seconds for one uv call
DISK_FULL = ("No space left on device", "os error 28")  # how Python and uv say it: a failure not remembered
TODAY = "today"  # an environment's packages as of no date: today's
# What uv itself needs from the caller's environment to reach a package index; the project's build code
# runs beside it, so credentials in PIP_* variables stay out (name a uv index instead).
UV_PASSED = (
    "UV_INDEX_URL",
    "UV_EXTRA_INDEX_URL",
    "UV_DEFAULT_INDEX",
    "UV_INDEX",
    "UV_FIND_LINKS",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
)
Progress = Callable[[str], None]
# in an install, the recipe's ``imported`` requirements that the tests of the copy import (read when it is built)
IMPORTED_BY_TESTS = "{imported by tests}"
# The trivial test a new environment's pytest must pass (``Recipe.works``, and ``_works_in_the_project``)
TRIVIAL_TEST = "def test_works():\n    assert [1] == [1]\n"
# the line a build's output ends its failure with: a traceback's exception, or an ``error:`` it prints
LAST_WORD = re.compile(r"^(?:[A-Za-z_][\w.]*(?:Error|Exception|Exit)(?::.*)?|error: .+)$")


class EnvironmentBuildError(PatchgateError):
    """An environment could not be built or used; the message says why (one line) and what to do."""


@dataclass(frozen=True)
class Recipe:
    """What an environment is made of. ``attempts`` are tried in order, each in a fresh environment, until one
    installs; ``{source}`` in them stands for the copy of ``tree`` kept beside the environment."""

    tree: Path
    python: str  # the interpreter to build on (a path)
    attempts: tuple[Attempt, ...]
    identity: str  # everything that defines the environment besides the tree's dependency files
    key_files: tuple[str, ...] = ()  # tree-relative files whose bytes are part of the key
    exclude_newer: str | None = None  # YYYY-MM-DD: packages as they were then
    # an attempt that does not install with packages as of exclude_newer (a 2019 project's pins have no wheel for
    # this Python) is tried again with today's, before the next, smaller attempt
    or_today: bool = False
    # and before today's, with those of this date (the Python's release, where it is after exclude_newer): a 2021
    # dictdiffer's numpy of its day has no wheel for Python 3.11, and today's pytest no longer takes the plugins of
    # its test extra; those of October 2022 have one and do
    or_python: str | None = None
    uv_args: tuple[str, ...] = ()  # per-package date caps and lifts, with exclude_newer's packages only
    deps_only: bool = False  # uninstall the project afterwards: each tree under test is installed over it
    # then each of these alone, held to what is installed; one that cannot be is left out and listed (a conda
    # environment's packages, some of which are no PyPI project)
    best_effort: tuple[str, ...] = ()
    # arguments of the new environment's python that must succeed for an attempt to count ("-c", "import
    # pytest"): a pytest pinned by the project's requirements may install and still not import on this Python
    works: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)  # variables the build needs (never secrets)
    label: str = "environment"
    imported: tuple[str, ...] = ()  # what IMPORTED_BY_TESTS narrows: the development dependencies

    @property
    def key(self) -> str:
        digest = hashlib.sha256(
            f"{BUILDER_VERSION}\0{self.python}\0{self.identity}\0{self.exclude_newer}\0"
            f"{_keyed(self.attempts)}\0{self.uv_args}\0{self.deps_only}".encode()
        )
        if self.best_effort:  # keys made before there were any stay as they were
            digest.update(f"\0{self.best_effort}".encode())
        if self.works:  # so are keys of recipes that check nothing
            digest.update(f"\0works\0{self.works}".encode())
        if self.or_today:
            digest.update(b"\0or today")
        if self.or_python:
            digest.update(f"\0or python\0{self.or_python}".encode())
        for rel in sorted(set(self.key_files)):
            path = self.tree / rel
            digest.update(rel.encode() + b"\0" + (path.read_bytes() if path.is_file() else b"-") + b"\0")
        return f"{self.label}-{digest.hexdigest()[:16]}"


def _keyed(attempts: tuple[Attempt, ...]) -> tuple[Attempt | Install, ...]:
    """The attempts as a key reads them: a one-install attempt as its install, as keys were made before an
    attempt could hold several, so the environments built then are found again (they are built the same)."""
    return tuple(attempt[0] if len(attempt) == 1 else attempt for attempt in attempts)


@dataclass(frozen=True)
class Built:
    """A ready environment: its folder, interpreter and the log of how it was made."""

    home: Path
    uv_cache: Path  # uv's cache it was built with: an overlay installs from it offline

    @property
    def venv(self) -> Path:
        return self.home / "venv"

    @property
    def downloads(self) -> dict[str, str]:
        """The variables that point a build at the environment's downloads (see ``download_env``)."""
        return download_env(self.home)

    @property
    def project_failed(self) -> str:
        """Why the project could not be installed here, where the environment holds its dependencies without
        it; '' when it was installed (or the environment was made before this was recorded)."""
        return project_failed(self.home)

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def log(self) -> str:
        return _read(self.home / "build.log")


def packages_as_of(home: Path) -> str | None:
    """The date the packages of the environment at ``home`` were resolved as of (YYYY-MM-DD, or ``TODAY``): the
    era's, or a later one where the era's did not install; None for one made before this was recorded."""
    return _read(home / "packages-as-of").strip() or None


def project_failed(home: Path) -> str:
    """Why the project could not be installed in the environment at ``home`` (see ``Built.project_failed``)."""
    return _read(home / "project-failed").strip()


def download_env(home: Path) -> dict[str, str]:
    """Where a build keeps what it downloads, beside the environment rather than in the sandbox's throw-away
    HOME: matplotlib's build fetches freetype's and qhull's sources into the XDG cache, meson its subprojects'
    packages into its package cache. The environment's build has the network; the tree under test is built
    offline and finds them here, as the harness's image keeps what its own build fetched."""
    downloads = home / "downloads"
    return {"XDG_CACHE_HOME": str(downloads), "MESON_PACKAGE_CACHE_DIR": str(downloads / "meson")}


def installs_project(attempt: Attempt) -> bool:
    """Whether ``attempt`` installs the project itself (``{source}``, with extras or without), not only packages: a
    dependency group read from ``{source}/pyproject.toml`` installs the group's packages alone."""
    return any(arg == "{source}" or arg.startswith("{source}[") for install in attempt for arg in install)


def home_of(recipe: Recipe, cache: Path) -> Path:
    """Where ``recipe``'s environment lives (built or not)."""
    return cache / recipe.key


def state(recipe: Recipe, cache: Path) -> str:
    """'ready', 'failed: <why>' or 'not built', without building."""
    home = home_of(recipe, cache)
    if (home / "ready").is_file():
        return "ready"
    if (home / "failed").is_file():
        return f"failed: {_read(home / 'failed').strip()}"
    return "not built"


def build(
    recipe: Recipe,
    cache: Path,
    progress: Progress,
    settings: SandboxSettings | None = None,
    *,
    kept_bytes: int | None = None,
) -> Built:
    """The environment for ``recipe``: reused when ready, built once otherwise (locked per key).

    A build that failed is remembered with its reason and reported without retrying. With ``kept_bytes``, a new
    build (ready or failed) is followed by removing the least recently used environments of ``cache`` beyond it.
    """
    home, uv_cache = home_of(recipe, cache), cache.parent / f"{cache.name}-uv-cache"
    home.mkdir(parents=True, exist_ok=True)
    try:
        return _build_once(recipe, home, uv_cache, progress, settings)
    finally:  # a build that finished (ready or failed) and has no size yet is new: the cache grew
        if kept_bytes is not None and last_used(home) is not None and not (home / "size").is_file():
            with contextlib.suppress(OSError):  # housekeeping: the environment is there either way
                record_size(home)
                evict(cache, kept_bytes, progress)


def _build_once(
    recipe: Recipe, home: Path, uv_cache: Path, progress: Progress, settings: SandboxSettings | None
) -> Built:
    with exclusive(home / "lock"):
        home.mkdir(parents=True, exist_ok=True)  # evicted while this waited for its lock: built again
        for marker in ("ready", "failed"):
            if (home / marker).is_file():
                (home / marker).touch()  # used now: the last to be evicted
        if (home / "ready").is_file():
            lease(home)  # taken under the build's lock, which eviction takes first: never removed from here on
            return Built(home, uv_cache)
        if (home / "failed").is_file():
            raise EnvironmentBuildError(f"{_read(home / 'failed').strip()} (cached; delete {home} to try again)")
        log: list[str] = [
            f"recipe: {recipe.label}; interpreter {recipe.python}; packages as of {recipe.exclude_newer or 'today'}"
        ]
        try:
            _build(recipe, home, uv_cache, progress, log, settings or SandboxSettings())
        except EnvironmentBuildError as exc:
            _write(home / "build.log", "\n".join(log) + "\n")
            shutil.rmtree(home / "venv", ignore_errors=True)
            if not _disk_full(exc):  # the machine's state, not the project's: tried again next time
                _write(home / "failed", f"{exc}\n")
            raise
        _write(home / "build.log", "\n".join(log) + "\n")
        _write(home / "ready", "")
        lease(home)
    return Built(home, uv_cache)


def _build(
    recipe: Recipe, home: Path, uv_cache: Path, progress: Progress, log: list[str], settings: SandboxSettings
) -> None:
    venv, source = home / "venv", home / "source"
    for old in (venv, source):
        shutil.rmtree(old, ignore_errors=True)
    for stale in ("project-failed", "packages-as-of", "size"):
        (home / stale).unlink(missing_ok=True)
    uv_cache.mkdir(parents=True, exist_ok=True)
    env = {**recipe.env, **download_env(home), "UV_CACHE_DIR": str(uv_cache)}
    uv = Uv(
        env,
        writable=[home, uv_cache],
        readable=[recipe.tree],
        python=recipe.python,
        settings=settings.model_copy(update={"network": True}),
    )
    # Installed from a copy kept beside the venv: building writes build/ and *.egg-info (never into the
    # tree given), and `-e plugins/x` lines of a requirements file need a folder that stays.
    shutil.copytree(recipe.tree, source, symlinks=True, ignore=shutil.ignore_patterns(".venv", "venv", ".tox", ".git"))
    _commit_copy(source, _nearest_tag(recipe.tree), log)
    twins = write_twins(source, named_files(i for a in recipe.attempts for i in a), log)
    imported = imported_by_tests(recipe.imported, test_imports(source)) if recipe.imported else []
    dates = [recipe.exclude_newer]
    if recipe.exclude_newer and recipe.or_today:
        dates += [*([recipe.or_python] if recipe.or_python else []), None]
    # a richer attempt with today's packages before a smaller one of the era: the tests need their dependencies
    tries = [Try(attempt, when) for attempt in _distinct(recipe.attempts, source, twins, imported) for when in dates]
    target = ["--python", str(venv / "bin" / "python")]
    errors: list[str] = []
    unbuilt: dict[Attempt, frozenset[str]] = {}  # what uv could not build in an attempt's tries
    number = 0
    while number < len(tries):
        attempt, when, left_out = tries[number]
        number += 1
        build_leftovers_removed(source, recipe.tree)
        # the per-package caps and lifts are relative to the era's date: with today's packages there is none to
        # adjust (pytest capped at the Python's release beside today's pytest-cov, which needs pytest 8, broke)
        date = ["--exclude-newer", f"{when}T23:59:59Z", *recipe.uv_args] if when else []
        # fresh for each attempt: an earlier one's first installs must not be under a later one's
        shutil.rmtree(venv, ignore_errors=True)
        progress(f"creating a virtual environment in {venv}")
        uv.run(["venv", "--quiet", "--python", recipe.python, str(venv)], home, log)
        said = f"attempt {number}, packages as of {when or TODAY}" + said_without(left_out)
        leave_out = left_out_by(home, left_out)  # written once for the try's installs
        try:
            for install in attempt:
                progress(f"installing with uv ({said}): {' '.join(install)[:200]}")
                packages = _arguments(install, source, twins, imported)
                uv.run(["pip", "install", "--quiet", *target, *date, *leave_out, *packages], source, log)
            if recipe.works:
                _check_works(uv, venv, recipe.works, source, log)
            _write(home / "packages-as-of", f"{when or TODAY}\n")
            break
        except EnvironmentBuildError as exc:
            if _disk_full(exc):  # no smaller attempt: branca's was made without jinja2 when attempt 1 found it full
                raise
            errors.append(str(exc))
            log.append(f"attempt {number} failed: {exc}")
            unbuilt[attempt] = unbuilt.get(attempt, frozenset()) | unbuildable(str(exc))
            if again := again_without(tries, number, unbuilt[attempt], dates[0]):
                tries.insert(number, again)
                log.append(f"attempt {number + 1}: the same packages again{said_without(again.left_out)} here")
    else:
        raise EnvironmentBuildError(errors[0][:600] if errors else "nothing to install")
    if errors and not installs_project(attempt) and any(installs_project(a) for a in recipe.attempts):
        _write(home / "project-failed", f"{errors[0][:600]}\n")
        log.append("the project itself could not be installed here: the environment holds its dependencies only")
    if recipe.deps_only:
        _uninstall_project(uv, venv, source, log)
    fitting = Fitting(partial(uv.run, cwd=home), venv / "bin" / "python", home / "constraints.txt", log)
    if errors and (missing := fitting.not_installed(imported)):
        # a richer attempt failed, and what the tests import with it: each added where it fits, at any version where
        # its own does not (a 2019 prettyprinter's requirements_dev.txt pins the numpy 1.16.1 its tests import)
        progress(f"installing {len(missing)} package(s) the tests import where they fit")
        with _works_in_the_project(uv, venv, source, recipe.works, log) as works:
            fitting.add(missing, date, any_version=True, works=works, unbuilt="\n".join(errors))
    if recipe.best_effort:
        progress(f"installing {len(recipe.best_effort)} more package(s) where they fit")
        fitting.add(recipe.best_effort, date)
    progress(f"environment ready: {venv}")


def _distinct(attempts: tuple[Attempt, ...], source: Path, twins: Twins, imported: list[str]) -> list[Attempt]:
    """The attempts, each once as uv is given it: one whose IMPORTED_BY_TESTS the tests leave empty may repeat an
    earlier one, which failed already."""
    given: dict[tuple[tuple[str, ...], ...], Attempt] = {}
    for attempt in attempts:
        given.setdefault(tuple(tuple(_arguments(i, source, twins, imported)) for i in attempt), attempt)
    return list(given.values())


def _arguments(install: Install, source: Path, twins: Twins, imported: list[str]) -> list[str]:
    """``install`` as uv is given it: ``{source}`` is the copy, a requirement file with a twin
    (``tools.reqfiles``) is the twin, and IMPORTED_BY_TESTS is what the copy's tests import."""
    arguments: list[str] = []
    for k, arg in enumerate(install):
        if arg == IMPORTED_BY_TESTS:
            arguments += imported
        elif k and install[k - 1] == "-r":
            arguments.append(twins.given(install, source / arg, arg))
        elif arg == FROM_THE_INDEX:
            continue
        else:
            arguments.append(arg.replace("{source}", str(source)))
    return arguments


def _check_works(uv: Uv, venv: Path, args: tuple[str, ...], cwd: Path, log: list[str]) -> None:
    """The new environment's python runs ``args`` (sandboxed, offline), or the attempt failed, saying why."""
    python = str(venv / "bin" / "python")
    done = sandbox.run(
        [python, *args],
        cwd=cwd,
        env={"PATH": os.defpath, "HOME": str(venv.parent)},
        timeout=120,
        writable=uv.writable,
        readable=[*uv.readable, *sandbox.environment_paths(uv.python)],
        settings=uv.settings.model_copy(update={"network": False}),
    )
    log.extend([f"$ python {' '.join(args)}", done.output.strip()[-2000:]])
    if done.returncode != 0:
        last = next((line for line in reversed(done.output.splitlines()) if line.strip()), "no output")
        raise EnvironmentBuildError(f"python {' '.join(args)[:60]} failed in the new environment: {last.strip()[:300]}")


@contextlib.contextmanager
def _works_in_the_project(
    uv: Uv, venv: Path, source: Path, plain: tuple[str, ...], log: list[str]
) -> Iterator[Callable[[], None] | None]:
    """The check each package added where it fits must pass: pytest runs a trivial test under the project's own
    configuration and conftest.py, where it does before any is added (else the recipe's own check, ``plain``).
    A 2019 prettyprinter pins Django 1.10, which pytest-django imports only where the project's setup.cfg names its
    settings, and which does not import on Python 3.11: the plain check passed, and no test of any commit ran."""
    if not plain:
        yield None
        return
    folder = source / ".patchgate-works"
    folder.mkdir(exist_ok=True)
    (folder / "test_works.py").write_text(TRIVIAL_TEST, encoding="utf-8")
    # the file named, so a project whose python_files would not match it (verboselogs' tests.py) still runs it
    args: tuple[str, ...] = ("-m", "pytest", "-q", "-o", f"cache_dir={folder / 'cache'}", str(folder / "test_works.py"))
    try:
        _check_works(uv, venv, args, source, [])
    except EnvironmentBuildError:  # the project's configuration needs what is not here yet: the plain check
        args = plain
    try:
        yield partial(_check_works, uv, venv, args, source, log)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _nearest_tag(tree: Path) -> str | None:
    """The newest tag reachable from ``tree``'s checked-out commit (``git describe``), or None."""
    try:
        done = run_git(tree, "describe", "--tags", "--abbrev=0", check=False)
    except PatchgateError:  # no tree there
        return None
    tag = done.stdout.decode(errors="replace").strip()
    return tag if done.returncode == 0 and tag and not tag.startswith("-") else None


def scm_version_override() -> dict[str, str]:
    """SETUPTOOLS_SCM_PRETEND_VERSION when the user set it (their call, for every build), else nothing: the
    copy is a git repository (``_commit_copy``), so setuptools_scm finds the project's version itself."""
    name = "SETUPTOOLS_SCM_PRETEND_VERSION"
    return {name: os.environ[name]} if os.environ.get(name) else {}


def _commit_copy(source: Path, tag: str | None, log: list[str]) -> None:
    """Make the copy a one-commit git repository, tagged as the tree's nearest tag, so a version read from git
    (setuptools_scm, versioneer) is the project's, as in the harness's clone: untagged, it is ``0.0.1`` or
    ``0+untagged``, and a test of the version fails (toolz' ``test_has_version`` wants ``1.``). A version forced
    for every build instead (SETUPTOOLS_SCM_PRETEND_VERSION) also lands on dependencies built from source that use
    setuptools_scm, and uv rejects them: "metadata version 0.0.0 does not match 1.8.0" (lazy-object-proxy, for
    pylint). git runs with no user or system configuration: a fresh repository has no hooks or filters to run."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(source),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_AUTHOR_NAME": "patchgate",
        "GIT_AUTHOR_EMAIL": "patchgate@localhost",
        "GIT_COMMITTER_NAME": "patchgate",
        "GIT_COMMITTER_EMAIL": "patchgate@localhost",
    }
    tagged = [["tag", tag]] if tag else []
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "--no-verify", "-m", "source"], *tagged):
        try:
            done = subprocess.run(
                ["git", *args], cwd=source, env=env, capture_output=True, text=True, check=False, timeout=600
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            log.append(f"the copy is not a git repository ({exc}): a version read from git is not found")
            return
        if done.returncode != 0:
            log.append(f"git {args[0]} failed in the copy ({done.stderr.strip()[:200]}): its version may not be found")
            return


def _uninstall_project(uv: Uv, venv: Path, source: Path, log: list[str]) -> None:
    """Remove what was installed from ``source`` itself, keeping its dependencies: the tree under test is
    installed over the environment later, and a copy from another commit must not shadow it."""
    names = []
    for record in venv.glob("lib/python*/site-packages/*.dist-info/direct_url.json"):
        try:
            url = json.loads(record.read_text(encoding="utf-8")).get("url", "")
        except (OSError, ValueError):
            continue
        if url.rstrip("/") == source.resolve().as_uri():
            names.append(record.parent.name.split("-")[0])
    if names:
        uv.run(["pip", "uninstall", "--quiet", "--python", str(venv / "bin" / "python"), *names], source, log)


@dataclass
class Uv:
    """uv as a build of untrusted code runs it: sandboxed, with an allow-listed environment."""

    env: dict[str, str]
    writable: list[Path]
    python: str
    settings: SandboxSettings
    readable: list[Path] = field(default_factory=list)
    discarded: list[Path] = field(default_factory=list)  # writable, the writes thrown away (sandbox.run)

    def run(self, args: list[str], cwd: Path, log: list[str] | None = None, *, timeout: float = UV_TIMEOUT) -> str:
        """``uv ARGS`` in ``cwd``; its output, or an EnvironmentBuildError with the reason uv gives."""
        from uv import find_uv_bin

        binary = find_uv_bin()
        env = {**allowed_env(os.environ, UV_PASSED), "UV_PYTHON_DOWNLOADS": "never", "UV_NO_PROGRESS": "1", **self.env}
        readable = [*self.readable, *sandbox.environment_paths(binary), *sandbox.environment_paths(self.python)]
        done = sandbox.run(
            [binary, *args],
            cwd=cwd,
            env=env,
            timeout=timeout,
            writable=self.writable,
            readable=readable,
            settings=self.settings,
            discarded=self.discarded,
        )
        if log is not None:
            log.extend([f"$ uv {' '.join(args)}", done.output.strip()[-4000:]])
        if done.returncode is None:
            raise EnvironmentBuildError(f"uv {' '.join(args[:2])} ran past {timeout:.0f} s")
        if done.returncode != 0:
            raise EnvironmentBuildError(f"uv {' '.join(args[:2])} failed: {_reason(done.output)}")
        return done.output


def _disk_full(exc: EnvironmentBuildError) -> bool:
    """Whether ``exc`` says the disk was full: not the project's failure, so neither remembered nor a reason to try
    a smaller attempt (one that fits would be cached, lacking what the first would have installed)."""
    return any(full in str(exc) for full in DISK_FULL)


def _reason(output: str) -> str:
    """uv's message and the cause it gives under it, on one line; for a build that failed, with the build's own
    last word (the exception its traceback ends with, or its ``error:`` line), which uv prints dozens of lines
    further down: "urllib.error.URLError: <urlopen error [Errno 111] Connection refused>"."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    first = next((n for n, line in enumerate(lines) if "error" in line.lower() or "×" in line), max(len(lines) - 6, 0))
    head = lines[first : first + 6]
    if build := next((n for n, line in enumerate(head) if line in ("[stdout]", "[stderr]")), None):
        said = next((line for line in reversed(lines[first + build :]) if LAST_WORD.match(line)), "")
        head = [*head[:build], *([f"... {said}"] if said else head[build:])]
    return " ".join(" ".join(head).split())[:600]


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
