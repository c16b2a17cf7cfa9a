"""Which test files a change can break: the transitive import graph, re-exports through packages included.

A test reaches changed code through every module it imports and everything
those import: ``from pkg import get_flashed_messages`` runs ``pkg/__init__.py``,
which imports ``pkg/helpers.py``, so a change there selects the test although it
never names ``helpers``. The graph is read from the syntax of every Python file
in the patched tree (relative imports resolved; ``from pkg import name`` depends
on ``pkg``, so on whatever ``pkg/__init__.py`` imports); a ``conftest.py`` that
reaches the change selects the tests it serves. Each selected file keeps the reason that
chose it, for the report. pytest's own configuration (``tools.pytestconfig``), or
for a project without one the ``unittest discover`` it runs (``tools.unittestdiscovery``), decides which files are
tests at all.
"""

from __future__ import annotations

import ast
import re
from collections import deque
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path, PurePosixPath

from core.console import first_few
from core.git import run_git
from core.pymodules import SOURCE_ROOTS, module_names
from tools.candidate import Candidate, ChangedFile
from tools.gate import text_in
from tools.generated import NATIVE_SOURCES
from tools.options import ReviewOptions
from tools.pytestconfig import PytestConfig, Reader, read_pytest_config, settings_changed
from tools.runpath import relative_roots
from tools.testscripts import test_scripts
from tools.unittestdiscovery import pytest_options, pytest_paths, unittest_config


@dataclass(frozen=True)
class Selection:
    """The test files to run, and for each one why it was chosen."""

    files: list[str]
    reasons: dict[str, str] = field(default_factory=dict)

    def summary(self, limit: int = 3) -> str:
        """``tests/test_a.py (changed), tests/test_b.py (imports pkg, which imports pkg.mod: changed) and 4 more``;
        one reason for them all is said once: ``every test file under tests (testpaths): tests/test_a.py, ...``."""
        reasons = {self.reasons.get(path, "selected") for path in self.files}
        alike = len(self.files) > 1 and len(reasons) == 1
        listed = first_few([p if alike else f"{p} ({self.reasons.get(p, 'selected')})" for p in self.files], limit)
        return f"{reasons.pop()}: {listed}" if alike else listed


def within(selection: Selection, folder: str) -> Selection:
    """The tests of ``selection`` in the project ``folder`` (``core.projects``; ``""``: all of them). A monorepo's
    projects each run their own tests in their own environment: langgraph's seven each keep a ``tests`` package, and
    one pytest run of two of them stopped at the second's ``tests.conftest``."""
    if not folder:
        return selection
    kept = [path for path in selection.files if path.startswith(f"{folder}/")]
    return Selection(kept, {path: selection.reasons[path] for path in kept if path in selection.reasons})


def select_tests(
    tree: Path, candidate: Candidate, options: ReviewOptions, test_globs: list[str], base: Reader | None = None
) -> Selection:
    """Test files (repository-relative) the candidate's changes reach, or all of them (as pytest defines them).

    New test files count (git does not list them yet), and so do tests of a module the change renames,
    moves or deletes: they import the old name, which is exactly what may now be broken. A change to pytest's
    settings reaches every test (``base`` reads the base's files, to tell).
    """
    configured = read_pytest_config(tree)
    config = configured.given(pytest_options(tree), pytest_paths(tree))
    if config.source is None:  # no pytest settings: the project may run unittest's discovery instead
        config = unittest_config(tree) or config
    listed = run_git(tree, "ls-files", "-z", "--", "*.py", check=False).stdout.decode(errors="replace").split("\0")
    added = [f.path for f in candidate.files if f.status in ("added", "renamed") and (tree / f.path).is_file()]
    # git apply leaves the index alone: a renamed or deleted test file is still listed but gone from the tree.
    python = [p for p in dict.fromkeys([*listed, *added]) if p and (tree / p).is_file()]
    config = config.searching(python)
    tests = [p for p in python if is_test_file(p, test_globs, config)]
    scripts = test_scripts(tree)
    settings = settings_changed(candidate.touched, base, partial(text_in, tree)) if base is not None else None
    if options.tests == "all" or (settings is not None and options.tests == "related"):
        if options.tests == "related":
            why = f"the change's pytest settings ({settings})"
        elif config.testpaths:
            how = "testpaths" if configured.testpaths else "as the project's commands run pytest"
            how = f"{config.runner} in {config.source}" if config.runner != "pytest" else how
            why = f"every test file under {', '.join(config.testpaths)} ({how})"
        else:
            why = "every test file"
        return Selection(sorted([*tests, *scripts]), {t: why for t in tests} | {s: "a test script" for s in scripts})
    changed = [f for f in candidate.files if f.path.endswith(".py") or (f.old_path or "").endswith(".py")]
    reasons: dict[str, str] = {f.path: "changed" for f in changed if not f.deleted and f.path in tests}
    paths = {p for f in changed for p in (f.path, f.old_path) if p and p.endswith(".py")}
    stems = {PurePosixPath(p).stem for p in paths} - {"__init__", "conftest"}
    graph = ImportGraph.of(tree, python)
    reached = graph.reached_from({n for p in paths for n in graph.names(p)})
    conftests = {
        p for p in python if PurePosixPath(p).name == "conftest.py" and (p in paths or graph.first_hit(p, reached))
    }
    for test in tests:
        if test in reasons:
            continue
        stem = PurePosixPath(test).stem
        if stem.removeprefix("test_") in stems or stem.removesuffix("_test") in stems:
            reasons[test] = "named after a changed module"
        elif hit := graph.first_hit(test, reached):
            reasons[test] = _why(hit, reached)
        elif near := next((c for c in sorted(conftests) if _serves(c, test)), None):
            reasons[test] = f"its {near} reaches the change"
    for module, packages in _by_name_only(graph, changed, tests).items():
        loaded = graph.reached_from(packages)
        for test in tests:
            if test not in reasons and (hit := graph.first_hit(test, loaded)):
                end = f"(its {_as_imported(module)} changed, which no module imports but by name)"
                reasons[test] = _why(hit, loaded, end)
    for data, (verb, readers) in _data_readers(tree, candidate, python, graph).items():  # a table, a template
        read = f"{verb} {data}, changed"
        for reader in sorted(readers):
            served = [
                t for t in tests if t == reader or (PurePosixPath(reader).name == "conftest.py" and _serves(reader, t))
            ]
            for test in served:
                reasons.setdefault(test, read if test == reader else f"its {reader} {read}")
        loaded = graph.reached_from({n for r in readers for n in graph.names(r)})
        for test in tests:
            if test not in reasons and (hit := graph.first_hit(test, loaded)):
                reasons[test] = _why(hit, loaded, f"({read})")
    for script in scripts:  # a program the project's commands run as its tests: its exit status is its outcome
        if hit := graph.first_hit(script, reached):
            reasons[script] = f"a test script: {_why(hit, reached)}"
        elif script in paths and graph.imports.get(script):  # one that imports nothing of the project tests none
            reasons[script] = "a test script (changed)"
    for module in python:  # with --doctest-modules, a module's examples are tests of what it reaches
        if module in reasons or not config.doctests(module):
            continue
        hit = None if module in paths else graph.first_hit(module, reached)
        if (module in paths or hit) and _has_examples(tree / module):
            reasons[module] = f"doctests: {_why(hit, reached)}" if hit else "doctests of a changed module"
    return Selection(sorted(reasons), reasons)


def _data_readers(
    tree: Path, candidate: Candidate, python: list[str], graph: ImportGraph
) -> dict[str, tuple[str, set[str]]]:
    """Each file the change edits, adds or deletes that is no Python (a table, a template, a test's expected
    output), mapped to the Python files that name it (``shop/rates.py`` opens ``"rates.json"``), or where none does,
    to the modules of the package that holds it (it loads its files by pattern): a fix to the data selected
    no test, though the tests of what reads it run it. Only where a name is whole (``rates.json``, not ``s.json``).
    Each with how: "reads" or "its package holds"."""
    data = [p for p in candidate.touched if not p.endswith(".py") and PurePosixPath(p).suffix not in NATIVE_SOURCES]
    if not data:
        return {}
    texts = {p: text_in(tree, p) or "" for p in python}
    found: dict[str, tuple[str, set[str]]] = {}
    for path in data:
        named = re.compile(r"(?<![\w.-])" + re.escape(PurePosixPath(path).name) + r"(?![\w-])")
        readers = {p for p, text in texts.items() if p != path and named.search(text)}
        folders = (str(folder) for folder in PurePosixPath(path).parents if str(folder) != ".")
        package = next((folder for folder in folders if f"{folder}/__init__.py" in graph.imports), None)
        if readers:
            found[path] = ("reads", readers)
        elif package:
            found[path] = ("its package holds", {p for p in python if p.startswith(package + "/")})
    return found


def _has_examples(path: Path) -> bool:
    """Whether a module holds an interactive example (``>>>``) for pytest's doctest collection to find: one
    without any would run no test, and a review whose selection ran none is not checked."""
    try:
        return any(line.lstrip().startswith(">>>") for line in path.read_text(encoding="utf-8").splitlines())
    except (OSError, UnicodeDecodeError):
        return False


def is_test_file(path: str, test_globs: list[str], config: PytestConfig | None = None) -> bool:
    """A file pytest collects: its ``python_files`` patterns (default ``test_*.py``, ``*_test.py``) under its
    ``testpaths``, when the project configures pytest; else the default patterns under the policy's test paths."""
    from tools.policy import matches

    config = config or PytestConfig()
    if config.source is not None:  # the project says what its tests are
        return path.endswith(".py") and config.collects(path)
    return path.endswith(".py") and matches(path, test_globs) and config.collects(path)


def _serves(conftest: str, test: str) -> bool:
    folder = str(PurePosixPath(conftest).parent)
    return folder == "." or test.startswith(folder + "/")


def _by_name_only(graph: ImportGraph, changed: list[ChangedFile], tests: list[str]) -> dict[str, set[str]]:
    """Each changed module that no file of the project imports, mapped to the packages it is in (``calc.rates`` and
    ``calc`` for ``calc.rates.fr``), whose code loads it by name: unidecode loads its tables (``unidecode/x001.py``)
    with ``__import__``, and a fix to one selected no test, though every test of the package runs it. A module
    that existed before (a new one no code uses yet reaches nothing), in a package, and not a test,
    ``__init__``, ``__main__``, conftest or setup.py."""
    imported = {name for names in graph.imports.values() for name in names}
    found: dict[str, set[str]] = {}
    for f in changed:
        names = graph.names(f.path)
        package = names[-1].rpartition(".")[0]
        if (
            f.status == "modified"
            and f.path not in tests
            and PurePosixPath(f.path).stem not in {"__init__", "__main__", "conftest", "setup"}
            and package in graph.modules
            and not imported & set(names)
        ):
            parts = package.split(".")
            found[names[-1]] = {".".join(parts[:end]) for end in range(1, len(parts) + 1)}
    return found


def _why(hit: str, reached: dict[str, str | None], end: str = "(changed)") -> str:
    """``imports pkg, which imports pkg.helpers (changed)``: the chain from a test's import to the change."""
    chain = [hit]
    while (step := reached.get(chain[-1])) is not None and len(chain) < 4:
        chain.append(step)
    if reached.get(chain[-1]) is not None:
        chain.append("...")
    chain = list(dict.fromkeys(_as_imported(name) for name in chain))
    if len(chain) == 1:
        return f"imports {chain[0]} {end}"
    return f"imports {chain[0]}, which imports " + ", which imports ".join(chain[1:]) + f" {end}"


def _as_imported(name: str) -> str:
    """``werkzeug.sansio.multipart`` for ``src.werkzeug.sansio.multipart``: the graph knows a file under a source
    root by both names, and a person knows it by the one Python imports."""
    root = next((r for r in SOURCE_ROOTS if name.startswith(r.replace("/", "."))), "")
    return name[len(root) :] or name


@dataclass
class ImportGraph:
    """Module -> the project modules it imports (parent packages included), read from a tree's Python files."""

    modules: dict[str, str]  # dotted name -> path
    imports: dict[str, set[str]]  # path -> project modules its import statements name
    roots: tuple[str, ...] = ()  # the folders besides the root that the project's runs import from (tools.runpath)

    @classmethod
    def of(cls, tree: Path, paths: list[str]) -> ImportGraph:
        graph = cls({}, {}, relative_roots(tree))
        graph.modules = {name: path for path in paths for name in graph.names(path)}
        for path in paths:
            graph.imports[path] = graph._resolve(path, _import_statements(tree / path))
        return graph

    def names(self, path: str) -> list[str]:
        """The dotted names the file ``path`` is imported as in this project's runs."""
        return module_names(path, self.roots)

    def _resolve(self, path: str, statements: list[tuple[int, str, list[str]]]) -> set[str]:
        """Project modules named by ``(level, module, names)`` statements of ``path`` (for each imported name, the
        module that is it or defines it)."""
        found: set[str] = set()
        packages = [n if path.endswith("__init__.py") else n.rpartition(".")[0] for n in self.names(path)]
        for level, module, names in statements:
            bases = (
                [module] if not level else [".".join(p for p in (_up(pkg, level - 1), module) if p) for pkg in packages]
            )
            for base in bases:
                for name in [base, *(f"{base}.{n}" if base else n for n in names)]:
                    if hit := self._module_of(name):
                        found.add(hit)
        return found

    def _module_of(self, name: str) -> str | None:
        """The project module ``name`` is or is defined in (``pkg.Cart`` -> ``pkg``), or None.

        Parent packages of an imported module are left out on purpose: ``import pkg.report`` runs
        ``pkg/__init__.py`` too, but a behaviour change elsewhere in ``pkg`` reaches it only through what
        it uses, and a change that breaks importing at all is the import check's finding.
        """
        parts = name.split(".")
        for end in range(len(parts), 0, -1):
            if (prefix := ".".join(parts[:end])) in self.modules:
                return prefix
        return None

    def reached_from(self, changed: set[str]) -> dict[str, str | None]:
        """Every module whose import runs a changed one, mapped to the next module on the way (None: changed)."""
        importers: dict[str, set[str]] = {}
        for path, names in self.imports.items():
            for importer in self.names(path):
                for name in names:
                    importers.setdefault(name, set()).add(importer)
        reached: dict[str, str | None] = {n: None for n in changed if n in self.modules or n in importers}
        queue = deque(sorted(reached))
        while queue:
            name = queue.popleft()
            for importer in sorted(importers.get(name, ())):
                if importer not in reached:
                    reached[importer] = name
                    queue.append(importer)
        return reached

    def first_hit(self, path: str, reached: dict[str, str | None]) -> str | None:
        """The first module ``path`` imports that reaches the change (closest to it first), or None."""
        hits = [n for n in self.imports.get(path, ()) if n in reached]
        return min(hits, key=lambda n: (_distance(n, reached), n)) if hits else None


def _distance(name: str, reached: dict[str, str | None]) -> int:
    """How many imports lie between ``name`` and a changed module."""
    steps, at = 0, reached.get(name)
    while at is not None and steps < 50:
        at, steps = reached.get(at), steps + 1
    return steps


def _up(package: str, levels: int) -> str:
    parts = package.split(".") if package else []
    return ".".join(parts[: len(parts) - levels]) if levels else package


def _import_statements(path: Path) -> list[tuple[int, str, list[str]]]:
    """``(level, module, imported names)`` of every import statement in a file (empty when it does not parse)."""
    try:
        module = ast.parse(path.read_bytes())
    except (OSError, SyntaxError, ValueError):
        return []
    found: list[tuple[int, str, list[str]]] = []
    for node in ast.walk(module):
        if isinstance(node, ast.Import):
            found.extend((0, alias.name, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.append((node.level, node.module or "", [a.name for a in node.names if a.name != "*"]))
    return found
