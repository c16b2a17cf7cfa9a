"""Named plugins imported only when used: the one loader behind commands, gates and model providers.

A registry maps a short name to ``"module:attr"`` and imports the target the
first time it is asked for (torch and the gates' parsers are heavy), the way
mini-swe-agent names its backends. An unknown name is a ``ConfigError`` that
lists the valid ones. Installed packages may add names through an entry-point
group (``patchgate.gates``, ``patchgate.providers``), the way llm's plugins do::

    # a third party's pyproject.toml
    [project.entry-points."patchgate.gates"]
    no-todo = "my_gates:NoTodoGate"

Built-in names win: a plugin never replaces a shipped gate or provider. A
plugin that cannot be imported is a one-line ``ConfigError`` naming its
distribution, never a traceback.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from core.errors import ConfigError

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint


@dataclass
class Registry:
    """``kind`` names (e.g. "gate") -> ``"module:attr"``: the shipped ``builtin`` ones, then ``group``'s plugins."""

    kind: str
    builtin: Mapping[str, str]  # read live, so adding a name at run time (a test) needs no reload
    group: str | None = None  # the entry-point group third parties register in
    _loaded: dict[str, Any] = field(default_factory=dict, repr=False)

    @cached_property
    def plugins(self) -> dict[str, EntryPoint]:
        """The group's entry points by name, first installed one wins; names the built-ins hold are left out."""
        from importlib.metadata import entry_points  # 20 ms: only when a name is not a built-in

        found: dict[str, EntryPoint] = {}
        for point in entry_points(group=self.group) if self.group else ():
            if point.name not in self.builtin:
                found.setdefault(point.name, point)
        return dict(sorted(found.items()))

    def names(self) -> tuple[str, ...]:
        """Every registered name: built-ins in their order, then plugins sorted."""
        return (*self.builtin, *self.plugins)

    def __contains__(self, name: object) -> bool:
        return name in self.builtin or name in self.plugins

    def load(self, name: str) -> Any:
        """The object registered as ``name``, imported on first use; a miss lists the valid names."""
        if name in self._loaded:
            return self._loaded[name]
        if name in self.builtin:
            module, _, attr = self.builtin[name].partition(":")
            value = getattr(importlib.import_module(module), attr)
        elif name in self.plugins:
            value = self._load_plugin(self.plugins[name])
        else:
            raise ConfigError(f"unknown {self.kind} {name!r}; valid: {', '.join(self.names())}")
        self._loaded[name] = value
        return value

    def _load_plugin(self, point: EntryPoint) -> Any:
        origin = f"{point.dist.name} {point.dist.version}" if point.dist is not None else "an installed package"
        try:
            return point.load()
        except Exception as exc:  # a third party's bug: one line that says whose, never our traceback
            raise ConfigError(
                f"{self.kind} {point.name!r} from {origin} ({point.value}) cannot be loaded: "
                f"{type(exc).__name__}: {exc}"
            ) from None
