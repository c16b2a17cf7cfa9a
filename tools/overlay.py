"""Install the tree under test over a cached environment in seconds, without changing the cache.

A cached environment holds a project's dependencies; the project itself must
come from the tree being tested, installed the way its own install step does
it, or generated files (``_pytest/_version.py``), compiled extensions and
``python -m pkg`` subprocesses see another commit or nothing. Rebuilding per
tree would cost minutes, so ``overlay`` makes a throw-away Python that sees the
cached environment's packages (a ``.pth`` line that adds its site-packages,
processed like a site directory) and installs the tree into it, editable and
without dependencies, offline: what the environment's build downloaded for
the project (a source archive its build fetches) is where the tree's build
looks for it.

That Python is a prefix of its own, not a virtual environment, as the harness's
conda environment is: its interpreter is a copy of the base one, its standard
library the base's files hard-linked (read-only to the tree's build code), its
site-packages its own. A venv's packages are found through the ``pyvenv.cfg``
beside the interpreter's path as invoked, so a tool that links to
``sys.executable`` loses them (tox-current-env, which every sphinx spec runs,
links ``.tox/py39/bin/python`` to it: "No module named pytest"); a prefix is
found from the interpreter's real location, through any link. Where a base
Python cannot be laid out so (its files cannot be hard-linked here, or it does
not find itself in the copy), a virtual environment is made as before, and the
note says so. The cached environment's console
scripts are copied into the overlay with their interpreter line pointing at
the overlay's Python, so ``pytest``, ``tox`` or ``bin/test`` run the tree under
test. Everything runs in the sandbox: the install runs the tree's build code.

When the build backend cannot install editable (setuptools older than PEP 660),
``setup.py develop`` is tried, as old projects' own instructions say (through
setuptools' shim when there is only a pyproject.toml); when that fails too, the
tree goes first on ``PYTHONPATH`` and the note says so.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from core.pymodules import import_roots
from core.secrets import allowed_env
from core.settings import SandboxSettings
from tools import sandbox
from tools.envbuild import Built, EnvironmentBuildError, Uv

INSTALL_TIMEOUT = 1800.0  # compiled extensions (scikit-learn, astropy) take minutes


@dataclass(frozen=True)
class Overlay:
    """The environment the tests of one tree run in."""

    python: Path
    prefix: Path
    installed: bool  # the tree is installed (else it is only first on PYTHONPATH)
    note: str  # how it was installed, or why it could not be
    base: Path  # the installation the prefix links to (or the venv's Python's): read-only in the sandbox
    venv: bool = False  # a virtual environment (the fallback), not a prefix of its own

    def env(self, tree: Path) -> dict[str, str]:
        """Variables that make commands in the sandbox use this environment (its bin/ first on PATH)."""
        found = {"PATH": os.pathsep.join([str(self.prefix / "bin"), os.environ.get("PATH", "/usr/bin:/bin")])}
        if self.venv:
            found["VIRTUAL_ENV"] = str(self.prefix)
        if not self.installed:
            roots = [str(root) for root in import_roots(tree)]
            found["PYTHONPATH"] = os.pathsep.join([str(tree), *roots])
        return found


def overlay(
    built: Built,
    tree: Path,
    where: Path,
    *,
    readable: list[Path],
    exclude_newer: str | None,
    uv_args: tuple[str, ...] = (),
    develop: bool = False,
    settings: SandboxSettings | None = None,
) -> Overlay:
    """The tree installed over ``built`` in a new environment at ``where`` (see the module docstring).

    ``exclude_newer`` and ``uv_args`` are the environment's own rules: its build requirements (setuptools==68.0.0
    that astropy's spec writes into pyproject.toml) resolve from the cache as the environment's did, and a project
    the environment built without isolation is built so (``--no-build-isolation``, on the environment's numpy).
    ``develop``: ``setup.py develop`` straight away, as pip's ``--no-use-pep517 -e`` does (scikit-learn's spec),
    rather than after an editable install that failed."""
    settings = (settings or SandboxSettings()).model_copy(update={"network": False})
    base = str(built.python.resolve())
    where.mkdir(parents=True, exist_ok=True)
    layout = _prefix(base, where)
    scratch = where / "tmp"
    scratch.mkdir()
    # the tree's build code writes where an install writes: a prefix's standard library is the base's own files
    own = [where] if layout.error else [_site_packages(where), where / "bin", scratch]
    uv = Uv(
        {**built.downloads, "UV_CACHE_DIR": str(built.uv_cache), "UV_OFFLINE": "1"},
        writable=[*own, tree],
        readable=[built.home, where, *readable],  # the prefix read-only, the folders an install writes over it
        python=base,
        settings=settings,
        # uv's cache is shared by every environment and tree: the tree's build code (a prediction's) writes it
        # as uv works, and what it leaves there must not reach the next build
        discarded=[built.uv_cache],
    )
    if layout.error:
        uv.run(["venv", "--quiet", "--allow-existing", "--python", base, str(where)], tree)
    site = _site_packages(where)
    (site / "_patchgate_base.pth").write_text(
        "".join(f"import site; site.addsitedir({str(p)!r})\n" for p in _site_dirs(built.venv)), encoding="utf-8"
    )
    _copy_scripts(built.venv / "bin", where / "bin")
    python = where / "bin" / "python"
    caveats = (f"; a virtual environment, not a prefix: {layout.error}" if layout.error else "") + (
        "" if sandbox.discards_writes() else "; uv's cache was writable to the build (no throw-away overlay here)"
    )

    def made(installed: bool, note: str) -> Overlay:
        return Overlay(python, where, installed, note + caveats, layout.base, venv=bool(layout.error))

    date = ["--exclude-newer", f"{exclude_newer}T23:59:59Z"] if exclude_newer else []
    editable_failed = "the spec installs it so: pip's --no-use-pep517"
    if not develop:
        try:
            uv.run(
                ["pip", "install", "--quiet", "--no-deps", "--python", str(python), *date, *uv_args, "-e", str(tree)],
                tree,
                timeout=INSTALL_TIMEOUT,
            )
            return made(True, "installed editable from the tree under test (uv pip install -e)")
        except EnvironmentBuildError as exc:
            editable_failed = str(exc)
    if (tree / "setup.py").is_file() or (tree / "pyproject.toml").is_file():
        # a project without setup.py gets the shim pip's legacy path used: setuptools reads pyproject.toml
        script = ["setup.py"] if (tree / "setup.py").is_file() else ["-c", "import setuptools; setuptools.setup()"]
        env = {
            **allowed_env(os.environ),
            **built.downloads,
            **({"VIRTUAL_ENV": str(where)} if layout.error else {}),
            "TMPDIR": str(scratch),
            "HOME": str(scratch),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        done = sandbox.run(
            [str(python), *script, "develop", "--no-deps"],
            cwd=tree,
            env=env,
            timeout=INSTALL_TIMEOUT,
            writable=[*own, tree],
            readable=uv.readable,
            settings=settings,
        )
        if done.returncode == 0:
            return made(
                True,
                f"installed from the tree under test with setup.py develop (no editable install: {editable_failed[:200]})",
            )
        editable_failed += f"; setup.py develop: {' '.join(done.output.split()[-30:])[:300]}"
    return made(
        False,
        f"the tree under test could not be installed ({editable_failed[:400]}); "
        "its tests import it from the tree (PYTHONPATH)",
    )


@dataclass(frozen=True)
class _Layout:
    base: Path  # the installation the overlay's Python links to, or the venv's Python's
    error: str = ""  # why no prefix could be laid out ("" when it was)


# What a Python says of its own layout; -I: no PYTHONPATH, user site or current folder of the caller's
_LAYOUT = (
    "import json, sys, sysconfig; print(json.dumps({'prefix': sys.prefix, 'version': '%d.%d' % sys.version_info[:2],"
    " 'stdlib': sysconfig.get_path('stdlib'), 'purelib': sysconfig.get_path('purelib'),"
    " 'include': sysconfig.get_path('include'), 'libdir': sysconfig.get_config_var('LIBDIR') or ''}))"
)
# Not linked from the base's standard library: its packages, and the marker that would make installers refuse
_OWN = {"site-packages", "dist-packages", "EXTERNALLY-MANAGED"}


def _prefix(base: str, where: Path) -> _Layout:
    """Lay out at ``where`` a Python prefix over ``base``'s installation (the module docstring says why)."""
    _empty(where)
    venv_base = Path(base).parent.parent  # what the venv made instead links to
    found = _layout_of(base)
    if found is None:
        return _Layout(venv_base, f"{base} did not say where its standard library is")
    home, version = Path(found["prefix"]), found["version"]
    lib = where / "lib" / f"python{version}"
    stdlib = Path(found["stdlib"])
    try:  # hard links, not symbolic: code that compares a module's real path with sysconfig's stdlib (astroid's
        # is_standard_module) must find it inside the prefix, as in a conda environment
        shutil.copytree(
            stdlib,
            lib,
            symlinks=True,
            copy_function=os.link,
            ignore=lambda d, n: _OWN & set(n) if Path(d) == stdlib else [],
        )
    except (OSError, shutil.Error) as exc:
        _empty(where)
        return _Layout(venv_base, f"its standard library cannot be linked here ({exc})"[:300])
    (lib / "site-packages").mkdir()
    for shared in Path(found["libdir"]).glob("libpython*") if found["libdir"] else ():
        (where / "lib" / shared.name).symlink_to(shared)  # for an interpreter that finds it beside itself
    if Path(found["include"]).is_dir():
        (where / "include").mkdir()
        (where / "include" / Path(found["include"]).name).symlink_to(found["include"])  # meson, CMake: sysconfig
    (where / "bin").mkdir()
    # a copy, not a hard link: the tree's build code runs with this folder writable, and must not reach the base
    shutil.copy2(base, where / "bin" / f"python{version}")
    for name in ("python", "python3"):
        (where / "bin" / name).symlink_to(f"python{version}")
    own = _layout_of(str(where / "bin" / "python"))
    if (
        own
        and Path(own["prefix"]).resolve() == where.resolve()
        and Path(own["purelib"]).resolve() == (lib / "site-packages").resolve()
    ):
        return _Layout(home)
    _empty(where)
    return _Layout(venv_base, f"{base} does not find its packages from a copy of itself")


def _empty(folder: Path) -> None:
    for child in folder.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


def _layout_of(python: str) -> dict[str, str] | None:
    try:
        done = subprocess.run([python, "-I", "-c", _LAYOUT], capture_output=True, text=True, timeout=60, check=False)
        found = json.loads(done.stdout) if done.returncode == 0 else None
    except (OSError, subprocess.TimeoutExpired, ValueError):
        return None
    return found if isinstance(found, dict) else None


def _site_dirs(venv: Path) -> list[Path]:
    return sorted(venv.glob("lib/python*/site-packages"))


def _site_packages(venv: Path) -> Path:
    found = _site_dirs(venv)
    if not found:
        raise EnvironmentBuildError(f"{venv} has no site-packages")
    return found[0]


def _copy_scripts(source: Path, target: Path) -> None:
    """The cached environment's console scripts, re-pointed at the overlay's interpreter."""
    marker = f"#!{source.parent}".encode()
    for script in source.iterdir():
        if (target / script.name).exists() or not script.is_file() or script.is_symlink():
            continue
        head = script.read_bytes()[:4096]
        if not head.startswith(marker):
            continue
        data = script.read_bytes()
        first, _, rest = data.partition(b"\n")
        (target / script.name).write_bytes(
            first.replace(str(source.parent).encode(), str(target.parent).encode()) + b"\n" + rest
        )
        (target / script.name).chmod(0o755)
