"""Which language a path is written in, by suffix: one answer for the index, the parse gate and the agent."""

from __future__ import annotations

import posixpath

LANGUAGES = {
    ".py": "python",
    ".pyi": "python",
    ".js": "javascript",
    ".jsx": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".ts": "typescript",
    ".tsx": "tsx",
    ".go": "go",
    ".rs": "rust",
    ".java": "java",
}


def language_of(path: str) -> str:
    """The tree-sitter language for ``path``, or 'text' for the line-window fallback."""
    return LANGUAGES.get(posixpath.splitext(path)[1].lower(), "text")
