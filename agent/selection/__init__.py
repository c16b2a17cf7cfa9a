"""Choose among candidate patches for one issue: the gates, regressions, agreement and issue evidence.

``select(root, issue, diffs, ...) -> Selection`` serves ``patchgate select``, ``solve --candidates`` and
``eval solve`` with several predictions files.
"""

from agent.selection.ranking import SIGNALS
from agent.selection.selector import Ranked, Selection, select

__all__ = ["SIGNALS", "Ranked", "Selection", "select"]
