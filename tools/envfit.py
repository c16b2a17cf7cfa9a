"""Packages added one at a time to a finished environment, each where it fits.

Two callers need it. The SWE-bench evaluator adds a spec's conda packages after the project resolved, as the
harness's later installs override a conda environment's choices. The gates add what the tests import after an
attempt that held it failed as a whole: a 2019 prettyprinter's requirements_dev.txt lists the IPython and numpy its
tests import beside pins of pip 9 and cryptography 1.7 that do not build here, and its IPython test never ran.

Each package is installed alone, constrained to the versions installed before it, so what was resolved stays; one
the index lacks (a system library), that clashes, or that does not build is left out, and the log says which.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name

from core.errors import PatchgateError
from tools.reqfiles import parsed_requirement

# how uv names a package of the index that it could not build: `Failed to build `mysqlclient==2.2.7``
FAILED_TO_BUILD = re.compile(r"Failed to build `([\w.-]+)(==\S+)`")


def unbuildable(errors: str) -> frozenset[str]:
    """The packages of the index that uv said in ``errors`` it could not build, by their canonical names."""
    return frozenset(canonicalize_name(name) for name, _ in FAILED_TO_BUILD.findall(errors))


@dataclass(frozen=True)
class Fitting:
    """``uv`` (its arguments in; its output, or a PatchgateError with uv's reason) on the environment of ``python``."""

    uv: Callable[[list[str]], str]
    python: Path
    constraints: Path  # where the versions installed so far are written for the next package
    log: list[str]

    def not_installed(self, lines: list[str]) -> tuple[str, ...]:
        """The requirement ``lines`` whose distribution the environment lacks (one that names none is left out)."""
        if not lines:
            return ()
        installed = {canonicalize_name(name) for line in self._frozen() if (name := requirement_name(line))}
        return tuple(
            line for line in lines if (name := requirement_name(line)) and canonicalize_name(name) not in installed
        )

    def add(
        self,
        packages: tuple[str, ...],
        dated: list[str],
        *,
        any_version: bool = False,
        works: Callable[[], None] | None = None,
        unbuilt: str = "",
    ) -> None:
        """Install each of ``packages`` where it fits, with uv's ``dated`` flags (the environment's date cap). With
        ``any_version``, one whose own version does not fit is tried at any version of today's (no numpy of 2019
        builds on Python 3.11). With ``works`` (a check that raises), one after which it fails is removed again: a
        Hypothesis of 2017, pinned by prettyprinter's file, installed, and its pytest plugin kept pytest itself from
        starting on Python 3.11. A pin uv said it ``Failed to build`` in ``unbuilt`` (the attempts' errors) is not
        built again (numpy 1.16.1 took minutes to fail each time)."""
        failed = {canonicalize_name(name) + pin for name, pin in FAILED_TO_BUILD.findall(unbuilt)}
        installed = self._hold()
        left_out: list[str] = []
        for package in packages:
            loose = requirement_name(package, extras=True) if any_version else None
            tries = [(package, dated)] if _pinned(package) not in failed else []
            tries += [(loose, [])] if loose is not None else []
            for wanted, flags in tries:
                if self._fits(wanted, flags, works, installed):
                    installed = self._hold()
                    break
                installed = self._frozen()  # what the failed try added is gone again
            else:
                left_out.append(package)
        self.constraints.unlink(missing_ok=True)
        self.log.append(
            f"installed where they fit: {len(packages) - len(left_out)} of {len(packages)}; "
            f"left out: {', '.join(left_out) or 'none'}"
        )

    def _fits(self, package: str, dated: list[str], works: Callable[[], None] | None, before: set[str]) -> bool:
        """Install ``package`` over what is installed (``before``, as frozen), or remove again what it added."""
        try:
            self.uv(["pip", "install", "--quiet", *self._target, *dated, "-c", str(self.constraints), package])
            if works is not None:
                works()
        except PatchgateError:  # what it added goes: the constraints held the rest as it was
            if added := [name for line in self._frozen() - before if (name := requirement_name(line))]:
                self.uv(["pip", "uninstall", *self._target, *added])
            return False
        return True

    def _hold(self) -> set[str]:
        """Write what is installed now as the next package's constraints, and return it (as frozen)."""
        frozen = self._frozen()
        pinned = sorted(line for line in frozen if "==" in line)
        self.constraints.write_text("".join(f"{line}\n" for line in pinned), encoding="utf-8")
        return frozen

    def _frozen(self) -> set[str]:
        return set(self.uv(["pip", "freeze", *self._target]).splitlines())

    @property
    def _target(self) -> list[str]:
        return ["--python", str(self.python)]


def requirement_name(line: str, *, extras: bool = False) -> str | None:
    """The distribution a requirement line names (with its extras, where asked), or None for one that is not a
    requirement (``-e .``)."""
    if (wanted := parsed_requirement(line)) is None:
        return None
    return f"{wanted.name}[{','.join(sorted(wanted.extras))}]" if extras and wanted.extras else wanted.name


def _pinned(line: str) -> str | None:
    """``name==version`` as uv writes it (the name normalized) for a line pinned so, else None."""
    if (wanted := parsed_requirement(line)) is None:
        return None
    pins = [spec.version for spec in wanted.specifier if spec.operator == "=="]
    return f"{canonicalize_name(wanted.name)}=={pins[0]}" if len(pins) == 1 and not wanted.url else None
