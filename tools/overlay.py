"""Install the tree under test over a cached environment in seconds, without changing the cache.

A cached environment holds a project's dependencies; the project itself must
come from the tree being tested, installed the way its own install step does
it, or generated files (``_pytest/_version.py``), compiled extensions and
``python -m pkg`` subprocesses see another commit or nothing. Rebuilding per
tree would cost minutes, so ``overlay`` makes a throw-away virtual environment
that sees the cached one's packages (a ``.pth`` line that adds its
site-packages, processed like a site directory) and installs the tree into it,
editable and without dependencies, offline. The cached environment's console
scripts are copied into the overlay with their interpreter line pointing at
the overlay's Python, so ``pytest``, ``tox`` or ``bin/test`` run the tree under
test. Everything runs in the sandbox: the install runs the tree's build code.

When the build backend cannot install editable (setuptools older than PEP 660),
``setup.py develop`` is tried, as old projects' own instructions say (through
setuptools' shim when there is only a pyproject.toml); when that fails too, the
tree goes first on ``PYTHONPATH`` and the note says so.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

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

    def env(self, tree: Path) -> dict[str, str]:
        """Variables that make commands in the sandbox use this environment (its bin/ first on PATH)."""
        found = {
            "VIRTUAL_ENV": str(self.prefix),
            "PATH": os.pathsep.join([str(self.prefix / "bin"), os.environ.get("PATH", "/usr/bin:/bin")]),
        }
        if not self.installed:
            roots = [str(tree / "src")] if (tree / "src").is_dir() else []
            found["PYTHONPATH"] = os.pathsep.join([str(tree), *roots])
        return found


def find_python(version: str) -> str | None:
    """An interpreter of ``version`` ("X.Y") on PATH or installed with pyenv; None when this machine has none."""
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates = [shutil.which(f"python{version}"), *sorted(pyenv.glob(f"{version}.*/bin/python{version}"))]
    for candidate in filter(None, candidates):
        try:
            probe = subprocess.run(
                [str(candidate), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        if probe.returncode == 0 and probe.stdout.strip() == version:
            return str(candidate)
    return None


def overlay(
    built: Built,
    tree: Path,
    where: Path,
    *,
    readable: list[Path],
    exclude_newer: str | None,
    settings: SandboxSettings | None = None,
) -> Overlay:
    """The tree installed over ``built`` in a new environment at ``where`` (see the module docstring)."""
    settings = (settings or SandboxSettings()).model_copy(update={"network": False})
    base = str(built.python.resolve())
    uv = Uv(
        {"UV_CACHE_DIR": str(built.uv_cache), "UV_OFFLINE": "1"},
        writable=[where, tree, built.uv_cache],
        readable=[built.home, *readable],
        python=base,
        settings=settings,
    )
    where.mkdir(parents=True, exist_ok=True)
    uv.run(["venv", "--quiet", "--allow-existing", "--python", base, str(where)], tree)
    site = _site_packages(where)
    (site / "_patchgate_base.pth").write_text(
        "".join(f"import site; site.addsitedir({str(p)!r})\n" for p in _site_dirs(built.venv)), encoding="utf-8"
    )
    _copy_scripts(built.venv / "bin", where / "bin")
    python = where / "bin" / "python"
    date = ["--exclude-newer", f"{exclude_newer}T23:59:59Z"] if exclude_newer else []
    try:
        uv.run(
            ["pip", "install", "--quiet", "--no-deps", "--python", str(python), *date, "-e", str(tree)],
            tree,
            timeout=INSTALL_TIMEOUT,
        )
        return Overlay(python, where, True, "installed editable from the tree under test (uv pip install -e)")
    except EnvironmentBuildError as exc:
        editable_failed = str(exc)
    if (tree / "setup.py").is_file() or (tree / "pyproject.toml").is_file():
        # a project without setup.py gets the shim pip's legacy path used: setuptools reads pyproject.toml
        script = ["setup.py"] if (tree / "setup.py").is_file() else ["-c", "import setuptools; setuptools.setup()"]
        env = {
            **allowed_env(os.environ),
            "VIRTUAL_ENV": str(where),
            "TMPDIR": str(where),
            "HOME": str(where),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        done = sandbox.run(
            [str(python), *script, "develop", "--no-deps"],
            cwd=tree,
            env=env,
            timeout=INSTALL_TIMEOUT,
            writable=[where, tree],
            readable=uv.readable,
            settings=settings,
        )
        if done.returncode == 0:
            return Overlay(
                python,
                where,
                True,
                "installed from the tree under test with setup.py develop "
                f"(no editable install: {editable_failed[:200]})",
            )
        editable_failed += f"; setup.py develop: {' '.join(done.output.split()[-30:])[:300]}"
    return Overlay(
        python,
        where,
        False,
        f"the tree under test could not be installed ({editable_failed[:400]}); "
        "its tests import it from the tree (PYTHONPATH)",
    )


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
