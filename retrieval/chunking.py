"""Split a file into the units retrieval ranks: functions, methods, classes, module code.

tree-sitter gives the structure for the languages in ``core.languages.LANGUAGES``;
everything else is cut into overlapping line windows. A method's signature
carries its class line so a repo map can show where it lives. A class chunk
holds the class without its method bodies (header, attributes, method
signatures), so a large class does not drown its methods.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from tree_sitter import Node, Parser, Tree
from tree_sitter_language_pack import get_parser

WINDOW = 60
OVERLAP = 10
MODULE_GAP = 40  # module-level code is cut where it has runs of this many lines between definitions


@dataclass(frozen=True)
class NodeKinds:
    """The tree-sitter node types that mean 'function' and 'class' in one language."""

    functions: frozenset[str]
    classes: frozenset[str]


KINDS = {
    "python": NodeKinds(frozenset({"function_definition"}), frozenset({"class_definition"})),
    "javascript": NodeKinds(
        frozenset({"function_declaration", "method_definition", "generator_function_declaration"}),
        frozenset({"class_declaration"}),
    ),
    "go": NodeKinds(frozenset({"function_declaration", "method_declaration"}), frozenset({"type_declaration"})),
    "rust": NodeKinds(frozenset({"function_item"}), frozenset({"impl_item", "struct_item", "enum_item", "trait_item"})),
    "java": NodeKinds(
        frozenset({"method_declaration", "constructor_declaration"}),
        frozenset({"class_declaration", "interface_declaration", "enum_declaration"}),
    ),
}
KINDS["typescript"] = KINDS["tsx"] = NodeKinds(
    KINDS["javascript"].functions, KINDS["javascript"].classes | {"interface_declaration"}
)
CONTAINERS = frozenset(
    {
        "decorated_definition",
        "export_statement",
        "block",
        "class_body",
        "declaration_list",
        "interface_body",
        "enum_body",
    }
)


@dataclass(frozen=True)
class RawChunk:
    """A chunk before it gets an id in the index."""

    kind: str
    name: str
    start_line: int
    end_line: int
    signature: str
    text: str


@dataclass(frozen=True)
class Parsed:
    """Everything the index keeps from parsing one blob; the tree lets imports reuse the same parse."""

    chunks: list[RawChunk]
    tree: Tree | None


@cache
def parser_for(lang: str) -> Parser | None:
    """A cached tree-sitter parser, or None for the line-window fallback."""
    return get_parser(lang) if lang in KINDS else None  # type: ignore[arg-type]


def chunk_file(lang: str, text: str) -> Parsed:
    """The chunks of one file's text in language ``lang``."""
    parser = parser_for(lang)
    if parser is None or not text.strip():
        return Parsed(window_chunks(text), tree=None)
    data = text.encode("utf-8")
    tree = parser.parse(data)
    lines = text.splitlines()
    walker = _Walker(KINDS[lang], data, lines)
    walker.visit(tree.root_node, parent_sig="", parent_name="")
    chunks = walker.chunks + _module_chunks(lines, walker.covered)
    chunks.sort(key=lambda c: (c.start_line, c.end_line))
    return Parsed(chunks, tree)


def window_chunks(text: str) -> list[RawChunk]:
    """Overlapping line windows, the fallback for languages without a grammar."""
    lines = text.splitlines()
    chunks = []
    for start in range(0, max(len(lines), 1), WINDOW - OVERLAP):
        part = lines[start : start + WINDOW]
        if any(line.strip() for line in part):
            chunks.append(RawChunk("window", "", start + 1, start + len(part), part[0].strip()[:120], "\n".join(part)))
        if start + WINDOW >= len(lines):
            break
    return chunks


class _Walker:
    """Collects definition chunks from a syntax tree, remembering which lines they cover."""

    def __init__(self, kinds: NodeKinds, data: bytes, lines: list[str]) -> None:
        self.kinds, self.data, self.lines = kinds, data, lines
        self.chunks: list[RawChunk] = []
        self.covered: set[int] = set()

    def visit(self, node: Node, parent_sig: str, parent_name: str) -> None:
        for child in node.children:
            if child.type in self.kinds.functions:
                self._add(child, "method" if parent_name else "function", parent_sig, parent_name)
            elif child.type in self.kinds.classes:
                self._add_class(child, parent_sig, parent_name)
            elif child.type in CONTAINERS:
                self.visit(child, parent_sig, parent_name)

    def _add(self, node: Node, kind: str, parent_sig: str, parent_name: str) -> None:
        start, end = _span(node)
        name = _qualified(parent_name, self._name(node))
        own_sig = self.lines[node.start_point[0]].strip()
        signature = f"{parent_sig}\n    {own_sig}" if parent_sig else own_sig
        self.chunks.append(RawChunk(kind, name, start, end, signature, "\n".join(self.lines[start - 1 : end])))
        self.covered.update(range(start, end + 1))

    def _add_class(self, node: Node, parent_sig: str, parent_name: str) -> None:
        start, end = _span(node)
        name = _qualified(parent_name, self._name(node))
        signature = self.lines[node.start_point[0]].strip()
        before = len(self.chunks)
        self.visit(node, signature, name)
        nested = {line for c in self.chunks[before:] for line in range(c.start_line + 1, c.end_line + 1)}
        body = [line for i, line in enumerate(self.lines[start - 1 : end], start) if i not in nested]
        self.chunks.append(RawChunk("class", name, start, end, signature, "\n".join(body)))
        self.covered.update(range(start, end + 1))

    def _name(self, node: Node) -> str:
        named = node.child_by_field_name("name")
        if named is None:  # Go type declarations, Rust impls
            named = next(
                (c for c in node.named_children if c.type in ("type_spec", "type_identifier", "identifier")), None
            )
            if named is not None and named.child_by_field_name("name") is not None:
                named = named.child_by_field_name("name")
        if named is None:
            return ""
        return self.data[named.start_byte : named.end_byte].decode("utf-8", "replace")


def _module_chunks(lines: list[str], covered: set[int]) -> list[RawChunk]:
    """Module-level code (imports, constants, scripts): the lines no definition covers."""
    chunks: list[RawChunk] = []
    run: list[int] = []
    for lineno in range(1, len(lines) + 1):
        if lineno in covered:
            continue
        if run and (lineno - run[-1] > MODULE_GAP or len(run) >= WINDOW):
            chunks.append(_module_chunk(lines, run))
            run = []
        run.append(lineno)
    if run:
        chunks.append(_module_chunk(lines, run))
    return [c for c in chunks if c.text.strip()]


def _module_chunk(lines: list[str], run: list[int]) -> RawChunk:
    text = "\n".join(lines[i - 1] for i in run)
    return RawChunk("module", "", run[0], run[-1], "", text)


def _span(node: Node) -> tuple[int, int]:
    start = node.start_point[0] + 1
    parent = node.parent
    if parent is not None and parent.type == "decorated_definition":
        start = parent.start_point[0] + 1
    return start, node.end_point[0] + 1


def _qualified(parent: str, name: str) -> str:
    return f"{parent}.{name}" if parent and name else name or parent
