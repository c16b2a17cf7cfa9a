"""What a review runs and how: ``[tool.patchgate.review]`` (``core.settings.ReviewOptions``), checked here
against the gates that are registered (installed plugins included), which only this layer knows.

    [tool.patchgate.review]
    tests = "none"            # the hook stays fast
    usage = "commercial"      # restricted model licences fail the license gate
    allow_protected = [".github/dependabot.yml"]
    model_rules = "all"       # hold your own commits to the rules written for model patches too

Whose change it is (``origin``) is set by the caller, never by a file: ``patchgate review`` and the hook judge
a person's own commit (``human``); ``solve``, ``select``, ``suggest``, the MCP server and the agent hooks judge
a model's patch (``model``), which meets the reviewer rules written for model patches.
"""

from __future__ import annotations

from core.errors import ConfigError
from core.settings import ReviewOptions
from tools.gate import gate_names

__all__ = ["ALWAYS_ON", "ReviewOptions", "check_gates", "switchable_gates"]

# Every gate but apply can be turned off: the others read the applied tree.
ALWAYS_ON = ("apply",)


def switchable_gates() -> tuple[str, ...]:
    """The gates a configuration or ``--skip`` may turn off."""
    return tuple(g for g in gate_names() if g not in ALWAYS_ON)


def check_gates(options: ReviewOptions) -> ReviewOptions:
    """``options`` if every gate it turns off exists and may be turned off; a ConfigError lists the valid ones."""
    switchable = switchable_gates()
    for name in options.disabled:
        if name not in switchable:
            raise ConfigError(
                f"invalid [tool.patchgate.review] setting 'disabled': unknown gate {name!r}; "
                f"gates that can be turned off: {', '.join(switchable)}"
            )
    return options
