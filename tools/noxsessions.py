"""The packages a project's nox sessions that run its tests install by name.

respx's test dependencies are written only in its noxfile.py: its ``test`` session installs pytest-cov, trio,
starlette and flask (``deps = [...]``, then ``session.install("--upgrade", *deps)``), and its pytest addopts need
pytest-cov (``--cov=respx``): without it pytest refused to start on every commit, and each review checked nothing.
The noxfile is read, never run (it is the project's code): each session function (decorated with ``session``) that
runs pytest, and each ``session.install`` call in it, its string arguments and the starred names of string lists
the function assigns, and an f-string's package before the version a session's parameter fills in, bare; options,
paths and the project itself (``-e .``) are left out, and what is no requirement.
Files it names (``-r``) and extras of the project (``.[test]``) are ``tools.commandfiles``' to read.
"""

from __future__ import annotations

import ast
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from core.pymodules import syntax_tree
from tools.gate import text_in

NOXFILE = "noxfile.py"
_RUNS_TESTS = ("pytest", "py.test")
_FILE_FLAGS = ("-r", "-c", "--requirement", "--constraint")


def nox_requirements(tree: Path) -> list[str]:
    """The requirements ``tree``'s nox sessions that run pytest install by name, each once, in order."""
    module = syntax_tree(text_in(tree, NOXFILE))
    if module is None:
        return []
    found: list[str] = []
    for function in module.body:
        if isinstance(function, ast.FunctionDef) and _is_session(function) and _runs_pytest(function):
            found += [a for a in _installed(function) if _is_requirement(a)]
    return list(dict.fromkeys(found))


def _is_session(function: ast.FunctionDef) -> bool:
    """``@nox.session``, ``@nox.session(python=...)``, ``@session``."""
    for decorator in function.decorator_list:
        named = decorator.func if isinstance(decorator, ast.Call) else decorator
        if (isinstance(named, ast.Attribute) and named.attr == "session") or (
            isinstance(named, ast.Name) and named.id == "session"
        ):
            return True
    return False


def _runs_pytest(function: ast.FunctionDef) -> bool:
    """Whether the session runs pytest: a call whose string arguments name it (``session.run("pytest", ...)``,
    ``session.run("python", "-m", "pytest")``)."""
    return any(
        isinstance(call, ast.Call) and any(isinstance(a, ast.Constant) and a.value in _RUNS_TESTS for a in call.args)
        for call in ast.walk(function)
    )


def _installed(function: ast.FunctionDef) -> list[str]:
    """The string arguments of the function's ``session.install`` calls, a starred list it assigns spelled out."""
    lists = {
        target.id: [e.value for e in node.value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
        for node in ast.walk(function)
        if isinstance(node, ast.Assign) and isinstance(node.value, (ast.List, ast.Tuple))
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    found: list[str] = []
    for call in ast.walk(function):
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "install":
            words: list[str] = []
            for argument in call.args:
                if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                    words.append(argument.value)
                elif isinstance(argument, ast.Starred) and isinstance(argument.value, ast.Name):
                    words += lists.get(argument.value.id, [])
                elif isinstance(argument, ast.JoinedStr):
                    words.append(_named_before_version(argument))
            # the file after ``-r`` or ``-c`` is no requirement (``requirements.txt`` reads as a name)
            found += [w for w, before in zip(words, ["", *words], strict=False) if before not in _FILE_FLAGS]
    return found


def _named_before_version(text: ast.JoinedStr) -> str:
    """The package an f-string names before the version a session's parameter fills in (django-test-plus'
    ``f"django~={django}"``, one session per Django): ``django``, bare, the newest of the build's date, as tox's
    factors' alternatives are named once (``tools.toxconfig``); "" where it starts with no name."""
    first = text.values[0] if text.values else None
    head = first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else ""
    name = head.rstrip("~=<>!")
    return name if name != head else ""  # only where a version operator ends the string's head


def _is_requirement(argument: str) -> bool:
    """A requirement by name (``pytest-cov``, ``trio>=0.22``), not an option, a path or the project itself."""
    if argument.startswith(("-", ".", "/")) or "/" in argument:
        return False
    try:
        Requirement(argument)
    except InvalidRequirement:
        return False
    return True
