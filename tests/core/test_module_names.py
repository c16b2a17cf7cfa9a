"""Every dotted name of ours that a docstring or a document mentions (``tools.gate.GATES``) exists.

Modules move (``tools.git.worktree`` became ``core.worktrees.worktree``); a docstring or a page that still
sends a reader to the old place is a broken link nobody clicks until they need it.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "retrieval", "tools", "agent", "evaluation", "patchgate")
DOTTED = re.compile(rf"(?<![\w./\-:@])(?:{'|'.join(PACKAGES)})(?:\.[A-Za-z_]\w*)+")
NOT_NAMES = {"diff", "sarif", "py", "md", "yaml", "yml", "toml", "json", "txt", "lark", "jsonl", "sh", "cfg", "ini"}
ENTRY_POINT_GROUPS = {"patchgate.gates", "patchgate.providers"}  # names third parties register under, not modules


def mentions() -> dict[str, set[str]]:
    """Dotted names of ours -> where they are mentioned (docstrings of our packages, docs/*.md, README.md)."""
    found: dict[str, set[str]] = {}
    texts: list[tuple[str, str]] = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                documented = isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                if documented and (doc := ast.get_docstring(node, clean=False)):
                    texts.append((str(path.relative_to(ROOT)), doc))
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        texts.append((str(path.relative_to(ROOT)), path.read_text(encoding="utf-8")))
    for where, text in texts:
        for match in DOTTED.finditer(text):
            name = match.group(0)
            if name.rsplit(".", 1)[1] not in NOT_NAMES and name not in ENTRY_POINT_GROUPS:
                found.setdefault(name, set()).add(where)
    return found


def resolves(name: str) -> bool:
    """Whether ``name`` is a module, or an attribute reached from the longest importable module prefix."""
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            fields = getattr(target, "model_fields", {})  # a pydantic field is no class attribute
            if hasattr(target, attr):
                target = getattr(target, attr)
            elif attr in fields:
                target = fields[attr]
            else:
                return False
        return True
    return False


def test_every_module_name_in_docstrings_and_docs_exists() -> None:
    found = mentions()
    assert len(found) > 20  # the scan sees the names it is meant to check
    broken = {name: sorted(where) for name, where in sorted(found.items()) if not resolves(name)}
    assert broken == {}


def test_the_check_catches_a_moved_module() -> None:
    assert resolves("core.worktrees.worktree") and resolves("core.settings.RunSettings.review")
    assert not resolves("tools.git.worktree") and not resolves("tools.secrets.redact")
