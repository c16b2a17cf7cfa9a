"""What a candidate changes, written so that two spellings of one change compare equal.

Candidates for one issue are compared by what they do, not by their text: the
functions a candidate changes are parsed from its patched files and dumped as
an AST without positions, docstrings or comments, with local names renamed in
order of first use. Two candidates that rename a variable, reflow a line or
reword a comment have the same fingerprint; two that compute something
different do not. Test files are left out: they say how a change is checked,
not what it does.
"""

from __future__ import annotations

import ast
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from tools.candidate import Candidate, ChangedFile

Scope = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


@dataclass(frozen=True)
class ChangedFunction:
    """A function (or class, or module statement) a candidate changes, by file and qualified name."""

    path: str
    qualname: str  # "Parser.parse", "helper", or "<module>" for a change outside any definition
    normal: str  # the normalized AST dump


def changed_functions(
    candidate: Candidate, texts: dict[str, str | None], is_test: Callable[[str], bool]
) -> list[ChangedFunction]:
    """Each definition of ``texts`` (the patched files) that holds a changed line, innermost first found."""
    found: dict[tuple[str, str], ChangedFunction] = {}
    for changed in candidate.files:
        if changed.deleted or not changed.path.endswith(".py") or is_test(changed.path):
            continue
        text = texts.get(changed.path)
        try:
            module = ast.parse(text or "")
        except (SyntaxError, ValueError):
            found[(changed.path, "<unparsable>")] = ChangedFunction(changed.path, "<unparsable>", text or "")
            continue
        for line in _changed_lines(changed):
            qualname, node = _innermost(module, line)
            if node is not None and (changed.path, qualname) not in found:
                found[(changed.path, qualname)] = ChangedFunction(changed.path, qualname, normalize(node))
    return sorted(found.values(), key=lambda f: (f.path, f.qualname))


def fingerprint(functions: list[ChangedFunction]) -> str:
    """One short id for a candidate's behaviour-relevant change (equal ids: the same change)."""
    text = "\n".join(f"{f.path}::{f.qualname}::{f.normal}" for f in functions)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _changed_lines(changed: ChangedFile) -> list[int]:
    """Lines of the patched file where the change is: added lines, and where lines were only removed."""
    lines = [n for n, _ in changed.added]
    if not changed.added:
        lines += [h.new_start + 3 for h in changed.hunks]  # past the hunk's leading context
    return lines


def _innermost(module: ast.Module, line: int) -> tuple[str, ast.AST | None]:
    """The innermost function or class holding ``line``, with its dotted name; else the module statement."""
    names: list[str] = []
    body: list[ast.stmt] = module.body
    best: ast.AST | None = None
    while True:
        holder = next((n for n in body if n.lineno <= line <= (n.end_lineno or n.lineno)), None)
        if holder is None:
            break
        if isinstance(holder, Scope):
            names.append(holder.name)
            best, body = holder, holder.body
            continue
        if best is None:
            best = holder
        break
    return (".".join(names) or "<module>"), best


def normalize(node: ast.AST) -> str:
    """The AST of ``node`` without positions or docstrings, local names numbered by first use."""
    tree = _Normalizer().visit(_without_docstrings(ast.parse(ast.unparse(node))))
    return ast.dump(tree, annotate_fields=False, include_attributes=False)


def _without_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(node, (ast.Module, *Scope.__args__))
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            node.body = body[1:] or [ast.Pass()]  # type: ignore[attr-defined]
    return tree


class _Normalizer(ast.NodeTransformer):
    """Renames arguments and assigned names to ``v0, v1, ...`` in order of first appearance."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.local: set[str] = set()

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        self.local |= {a.arg for a in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs)}
        self.local |= {a.arg for a in (node.args.vararg, node.args.kwarg) if a is not None}
        self.local |= {
            t.id
            for n in ast.walk(node)
            if isinstance(n, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.For, ast.comprehension, ast.withitem))
            for t in ast.walk(
                getattr(n, "target", None)
                or getattr(n, "optional_vars", None)
                or ast.Tuple(elts=getattr(n, "targets", []), ctx=ast.Store())
            )
            if isinstance(t, ast.Name)
        }
        return self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_arg(self, node: ast.arg) -> ast.AST:
        node.arg = self._name(node.arg)
        node.annotation = None
        return node

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in self.local:
            node.id = self._name(node.id)
        return node

    def _name(self, name: str) -> str:
        return self.names.setdefault(name, f"v{len(self.names)}")


def changes_nothing(functions: list[ChangedFunction], base_text: Callable[[str], str | None]) -> bool:
    """Whether every changed definition normalizes to what the base has: comments, docstrings, layout only.

    Such a candidate cannot change what the program does, so it cannot fix a bug (a patch that only edits
    tests or data has no changed functions and is not judged here).
    """
    if not functions:
        return False
    for function in functions:
        try:
            module = ast.parse(base_text(function.path) or "")
        except (SyntaxError, ValueError):
            return False
        node = _named(module, function.qualname)
        if node is None or normalize(node) != function.normal:
            return False
    return True


def _named(module: ast.Module, qualname: str) -> ast.AST | None:
    """The definition ``qualname`` ("Class.method") in ``module``, or None."""
    body: list[ast.stmt] = module.body
    node: ast.AST | None = None
    for name in qualname.split("."):
        node = next((n for n in body if isinstance(n, Scope) and n.name == name), None)
        if node is None:
            return None
        body = node.body
    return node
