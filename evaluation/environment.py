"""Per-instance test environments: one virtualenv per repository, version and dependency files, cached.

SWE-bench builds one environment per (repository, version) from the instance's
``environment_setup_commit``; so do we, with uv, on the Python version the
install spec asks for when this machine has that interpreter (on PATH or
installed with pyenv; nothing is downloaded), else on patchgate's own Python. The
cache key also hashes the install spec and the dependency files at that
commit, so a changed requirement never reuses a stale environment. The
project itself is installed (its metadata and entry points are needed), but
the tests import the instance's worktree first (``PYTHONPATH``), so one
environment serves every commit of that version.

Packages are resolved as they were when the environment's commit was made
(uv's ``--exclude-newer``): today's releases break yesterday's code (numpy 2,
a setuptools without ``pkg_resources``), and the harness's own images were
built close to the instances' time. The date is never earlier than the first
months in which this machine's Python had wheels for the common packages,
since older releases would have to be compiled and mostly fail to.

Building is locked per key: parallel workers wait for one build instead of
racing. A build that fails is remembered with its reason (``<key>.failed``),
so the other instances of that version report it at once; delete that file to
try again. When a whole resolve fails (a requirement that no longer exists or
was yanked since), the project is installed alone and each requirement is then
tried on its own; what could not be installed is listed in the log.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from git import GitCommandError

from core.errors import PatchgateError
from core.git import open_repo, worktree
from core.locks import exclusive
from core.settings import CachePaths, cache_root
from evaluation.dataset import Instance
from evaluation.specs import InstallSpec, install_spec

BUILD_TIMEOUT = 1200.0  # seconds for one uv call
KEY_FILES = ("setup.py", "setup.cfg", "pyproject.toml", "tox.ini")
ENV_VERSION = "2"  # bump when the way environments are built changes
# The first date by which each Python had wheels of numpy, pandas, scipy and their like (3.11.0: 2022-10-24).
WHEELS_SINCE = {"3.6": "2017-03-01", "3.7": "2018-09-01", "3.8": "2020-01-01", "3.9": "2021-01-01",
                "3.10": "2022-01-01", "3.11": "2023-01-01", "3.12": "2024-01-01", "3.13": "2025-01-01"}
BASE_PACKAGES = ("pytest", "setuptools")  # pytest runs the tests; old projects import pkg_resources


class EnvFailed(Exception):
    """The environment cannot be built; the message is the reason, one line."""


@dataclass(frozen=True)
class Environment:
    """A built environment: its interpreter and the log of how it was made."""

    python: Path
    log: str


def default_cache() -> Path:
    """The ``envs`` folder of the one cache (``core.settings``): environments outlive runs."""
    return CachePaths(root=cache_root()).environments


def build_environment(instance: Instance, repo_dir: Path, cache: Path) -> Environment:
    """The environment for ``instance``: reused when cached, built otherwise; raises EnvFailed."""
    try:
        committed = open_repo(repo_dir).git.show("-s", "--format=%cI", instance.env_commit)
    except (PatchgateError, GitCommandError):
        raise EnvFailed(f"{repo_dir} has no commit {instance.env_commit}") from None
    with checkout_at(repo_dir, instance.env_commit) as checkout:
        spec = install_spec(instance.repo, instance.version, checkout)
        python, version = interpreter(spec.python)
        date = max(committed[:10], WHEELS_SINCE.get(version, ""))
        key = _key(instance, spec, checkout, f"{python}\0{date}")
        cache.mkdir(parents=True, exist_ok=True)
        with exclusive(cache / f"{key}.lock"):
            return _cached_or_built(cache, key, spec, checkout, python, date)


@contextmanager
def checkout_at(repo_dir: Path, commit: str) -> Iterator[Path]:
    """A throw-away worktree at ``commit``; a repository that cannot produce one (a partial clone) is EnvFailed."""
    with ExitStack() as stack:
        try:
            tree = stack.enter_context(worktree(open_repo(repo_dir), commit))
        except PatchgateError as exc:
            raise EnvFailed(str(exc)) from None
        yield tree


def interpreter(wanted: str) -> tuple[str, str]:
    """(path, "X.Y") of the Python to build with: ``wanted`` when this machine has it, else our own."""
    if wanted:
        pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
        candidates = [shutil.which(f"python{wanted}"), *sorted(pyenv.glob(f"{wanted}.*/bin/python{wanted}"))]
        for candidate in filter(None, candidates):
            try:
                probe = subprocess.run([str(candidate), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                                       capture_output=True, text=True, timeout=30, check=False)
            except OSError:
                continue
            if probe.returncode == 0 and probe.stdout.strip() == wanted:
                return str(candidate), wanted
    return sys.executable, f"{sys.version_info[0]}.{sys.version_info[1]}"


def _cached_or_built(cache: Path, key: str, spec: InstallSpec, checkout: Path, python: str,
                     date: str) -> Environment:
    home, failed = cache / key, cache / f"{key}.failed"
    if (home / "ready").is_file():
        return Environment(_python(home), (home / "build.log").read_text(encoding="utf-8", errors="replace"))
    if failed.is_file():
        raise EnvFailed(f"{failed.read_text(encoding='utf-8').strip()} (cached; delete {failed} to retry)")
    shutil.rmtree(home, ignore_errors=True)
    log: list[str] = [spec.describe(), f"interpreter: {python}; packages as of {date}"]
    try:
        _build(home, spec, checkout, python, date, log)
    except EnvFailed as exc:
        shutil.rmtree(home, ignore_errors=True)
        failed.write_text(f"{exc}\n", encoding="utf-8")
        raise
    (home / "build.log").write_text("\n".join(log) + "\n", encoding="utf-8")
    (home / "ready").write_text("", encoding="utf-8")
    return Environment(_python(home), "\n".join(log))


def _build(home: Path, spec: InstallSpec, checkout: Path, interpreter: str, date: str, log: list[str]) -> None:
    _uv(["venv", "--quiet", "--python", interpreter, str(home)], checkout, log)
    python = str(_python(home))
    install = ["pip", "install", "--python", python, "--exclude-newer", date]
    requirements = [a for f in spec.requirement_files for a in ("-r", f)]
    try:
        _uv([*install, *BASE_PACKAGES, *spec.packages, *requirements, *spec.project], checkout, log)
    except EnvFailed as whole:
        log.append(f"the whole install failed ({whole}); installing the project, then each requirement alone")
        _uv([*install, *BASE_PACKAGES, *spec.project], checkout, log)
        for item in [*spec.packages, *_requirement_lines(checkout, spec.requirement_files)]:
            try:
                _uv([*install, item], checkout, log)
            except EnvFailed as exc:
                log.append(f"skipped {item}: {exc}")
    version = subprocess.run([python, "--version"], capture_output=True, text=True, check=False).stdout.strip()
    log.append(f"python: {version}")


def _uv(args: list[str], cwd: Path, log: list[str]) -> None:
    from uv import find_uv_bin

    log.append("$ uv " + " ".join(args))
    try:
        proc = subprocess.run([find_uv_bin(), *args], cwd=cwd, capture_output=True, text=True, errors="replace",
                              timeout=BUILD_TIMEOUT, check=False, env=_uv_env())
    except subprocess.TimeoutExpired:
        raise EnvFailed(f"uv {args[0]} {args[1] if len(args) > 1 else ''} ran past {BUILD_TIMEOUT:.0f} s") from None
    log.append(proc.stderr.strip()[-4000:])
    if proc.returncode != 0:
        lines = [line.strip() for line in proc.stderr.splitlines() if line.strip()]
        first = next((n for n, line in enumerate(lines) if "error" in line.lower() or "×" in line), 0)
        detail = " ".join(" ".join(lines[first:first + 4]).split())  # the message and the reason uv gives under it
        raise EnvFailed(f"uv {' '.join(args[:2])} failed: {detail[:400]}")


def _uv_env() -> dict[str, str]:
    """uv installs from the dataset's own repository (trusted like any dependency source), reaching only the
    package index: it gets the caller's environment (index and proxy settings) but never downloads a Python."""
    return {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "UV_NO_PROGRESS": "1"}


def _requirement_lines(checkout: Path, files: tuple[str, ...]) -> list[str]:
    """Requirement specifiers of ``files`` (comments, blank lines and pip options dropped)."""
    lines: list[str] = []
    for name in files:
        for raw in (checkout / name).read_text(encoding="utf-8", errors="replace").splitlines():
            line = raw.split(" #", 1)[0].strip()
            if line and not line.startswith(("#", "-")):
                lines.append(line)
    return lines


def _key(instance: Instance, spec: InstallSpec, checkout: Path, how: str) -> str:
    digest = hashlib.sha256(f"{ENV_VERSION}\0{how}\0{instance.repo}\0{instance.version}\0{spec!r}".encode())
    for name in sorted({*KEY_FILES, *spec.requirement_files}):
        path = checkout / name
        digest.update(name.encode() + b"\0" + (path.read_bytes() if path.is_file() else b"-") + b"\0")
    return f"{instance.repo_key}-{instance.version or 'any'}-{digest.hexdigest()[:16]}"


def _python(home: Path) -> Path:
    return home / "bin" / "python"
