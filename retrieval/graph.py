"""Python imports: what each file imports, and which repository file that is.

Resolution knows absolute imports, package-relative imports (``from ..x
import y``) and the common ``src/`` and ``lib/`` layouts. An import that names
something outside the repository resolves to nothing and is kept for the
record only.
"""

from __future__ import annotations

from collections import defaultdict

from tree_sitter import Node

from core.pymodules import module_names
from retrieval.chunking import parser_for
from retrieval.types import ImportEdge


def python_imports(text: str) -> list[tuple[str, int]]:
    """``(module, level)`` for each import in a Python file; ``from x import a, b`` gives x.a, x.b and x."""
    parser = parser_for("python")
    assert parser is not None
    return imports_in(parser.parse(text.encode("utf-8")).root_node)


def imports_in(root: Node) -> list[tuple[str, int]]:
    """The imports of an already parsed Python module (the index reuses the chunker's tree)."""
    found: list[tuple[str, int]] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "import_statement":
            found.extend(
                (_text(n if n.type == "dotted_name" else n.child_by_field_name("name")), 0) for n in node.named_children
            )
        elif node.type == "import_from_statement":
            found.extend(_from_import(node))
        elif node.type in (
            "module",
            "block",
            "if_statement",
            "try_statement",
            "else_clause",
            "except_clause",
            "finally_clause",
            "function_definition",
            "class_definition",
            "decorated_definition",
            "with_statement",
            "elif_clause",
        ):
            stack.extend(node.children)
    return [(m, level) for m, level in found if m or level]


def _from_import(node: Node) -> list[tuple[str, int]]:
    module = node.child_by_field_name("module_name")
    base, level = "", 0
    if module is not None:
        raw = _text(module)
        level = len(raw) - len(raw.lstrip("."))
        base = raw.lstrip(".")
    names = [n for n in node.children_by_field_name("name")]
    out = [(base, level)]
    for name in names:
        target = name.child_by_field_name("name") if name.type == "aliased_import" else name
        member = _text(target)
        out.append((f"{base}.{member}" if base else member, level))
    return out


def _text(node: Node | None) -> str:
    return node.text.decode("utf-8", "replace") if node is not None and node.text is not None else ""


class ModuleMap:
    """Dotted module names of the repository's Python files."""

    def __init__(self, paths: list[str]) -> None:
        self.by_module: dict[str, str] = {}
        for path in paths:
            if path.endswith(".py"):
                for name in module_names(path):
                    self.by_module.setdefault(name, path)
        self.named = set(self.by_module.values())  # files some module name resolves to

    def resolve(self, src: str, module: str, level: int) -> str | None:
        """The file ``module`` means when imported from ``src`` (``level`` leading dots)."""
        if level:
            package = src.split("/")[:-1]  # repository paths use forward slashes
            if level > 1:
                package = package[: len(package) - (level - 1)]
            module = ".".join([*package, module] if module else package)
            return self._lookup(module, src_relative=True)
        return self._lookup(module, src_relative=False)

    def _lookup(self, module: str, src_relative: bool) -> str | None:
        if src_relative:
            path = self._as_path(module)
            if path:
                return path
        return self.by_module.get(module)

    def _as_path(self, module: str) -> str | None:
        base = module.replace(".", "/")
        return next((c for c in (f"{base}.py", f"{base}/__init__.py") if c in self.named), None)


def resolve_imports(raw: dict[str, list[tuple[str, int]]], paths: list[str] | None = None) -> list[ImportEdge]:
    """Edges for every file's imports; ``dst`` is None for modules outside the repository.

    ``paths`` are the Python files imports resolve to (default: the files of ``raw``).
    """
    modules = ModuleMap(list(raw) if paths is None else paths)
    edges: list[ImportEdge] = []
    for src, imports in sorted(raw.items()):
        seen: set[tuple[str, str | None]] = set()
        names = {"." * level + module for module, level in imports}
        for module, level in imports:
            dst = modules.resolve(src, module, level)
            name = "." * level + module
            if dst is None and name.rpartition(".")[0] in names:
                continue  # ``from x import a`` where ``a`` is a member of x, not a module
            if (name, dst) not in seen and dst != src:
                seen.add((name, dst))
                edges.append(ImportEdge(src, name, dst))
    return edges


def neighbours(edges: list[ImportEdge]) -> dict[str, set[str]]:
    """Undirected import adjacency between repository files."""
    adj: dict[str, set[str]] = defaultdict(set)
    for e in edges:
        if e.dst:
            adj[e.src].add(e.dst)
            adj[e.dst].add(e.src)
    return adj
