"""What a project's pyproject.toml says its tests need: test extras, dependency groups (PEP 735, uv's, poetry's
and PDM's spellings) and the requirements it states itself; and what its Pipfile's development packages are.

The text is the project's: what does not parse, or names what no package index
serves, is left out rather than failing the build of the environment its tests
run in (``tools.environments`` assembles the install attempts from these).
"""

from __future__ import annotations

import ast
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import dependency_groups
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from core.pymodules import import_roots, syntax_tree
from core.tables import strings_in, table_at, toml_file

TEST_EXTRAS = ("test", "tests", "testing")  # not "dev": it tends to pull docs and lint tools
_FETCHED = {"git", "url", "path"}  # a [tool.uv.sources] entry that is no package index
_TEST_FOLDERS = {"test", "tests", "testing"}
_TEST_MODULES = {"conftest.py", "test.py", "tests.py"}
_NOT_SOURCE = {".git", ".venv", "venv", ".tox", ".nox", "node_modules", "build", "dist"}


def test_groups(pyproject: dict[str, Any]) -> list[str]:
    """The test dependency groups (PEP 735) pyproject.toml declares: where pallets, attrs and other projects now
    list what their tests import (jinja's ``tests`` group holds trio, which its conftest imports); without one,
    ``dev``, the group uv installs by default."""
    groups = table_at(pyproject, "dependency-groups")
    found = [name for name in TEST_EXTRAS if name in groups]
    return found or (["dev"] if "dev" in groups else [])  # uv's default group: invoke's pytest-relaxed is there


def uv_default_groups(pyproject: dict[str, Any], tree: Path) -> list[str]:
    """The groups ``uv sync`` and ``uv run`` install unasked in a project uv manages (a ``uv.lock`` or a
    ``[tool.uv]`` table): ``[tool.uv] default-groups``, else ``dev``. A 2026 urllib3's ``test`` group lacks the
    trustme its test server imports; its ``dev`` group, which its nox sessions and ``uv run`` install, has it."""
    uv = table_at(pyproject, "tool", "uv")
    if not uv and not (tree / "uv.lock").is_file():
        return []
    named = uv.get("default-groups", ["dev"])
    if named == "all":
        return list(table_at(pyproject, "dependency-groups"))
    return strings_in(named)


def declared(pyproject: dict[str, Any], extras: list[str]) -> list[str]:
    """The requirements pyproject.toml's ``[project]`` table states itself: its dependencies and those of
    ``extras``, less any naming the project (``zipp[enabler]``), which must come from the tree, not an index."""
    project = table_at(pyproject, "project")
    own = canonicalize_name(str(project.get("name", "")))
    optional = table_at(project, "optional-dependencies")
    lists = [project.get("dependencies"), *(optional.get(extra) for extra in extras)]
    found = []
    for line in (item for items in lists if isinstance(items, list) for item in items if isinstance(item, str)):
        try:
            if canonicalize_name(Requirement(line).name) != own:
                found.append(line)
        except InvalidRequirement:
            continue  # the project's text: what pip would refuse is left out
    return list(dict.fromkeys(found))


def project_extras(pyproject: dict[str, Any]) -> list[str]:
    """The extras pyproject.toml declares (``[project.optional-dependencies]``, poetry's ``[tool.poetry.extras]``),
    documentation's (``docs``, ``doc``) left out, as ``installed_extras`` leaves them."""
    named = [
        *table_at(pyproject, "project", "optional-dependencies"),
        *table_at(pyproject, "tool", "poetry", "extras"),
    ]
    return [e for e in dict.fromkeys(named) if not e.lower().startswith("doc")]


def uv_dev(pyproject: dict[str, Any]) -> list[str]:
    """uv's older spelling of the ``dev`` group, ``[tool.uv] dev-dependencies``, when the project has no test or
    dev group (``test_groups``): a 2025 pdoc lists pydantic there, which a commit's new tests import."""
    if test_groups(pyproject):
        return []
    return strings_in(table_at(pyproject, "tool", "uv").get("dev-dependencies"))


def poetry_dev(pyproject: dict[str, Any]) -> list[str]:
    """A poetry project's development dependencies as PEP 508 requirements (poetry-core converts ``^7.0``): its
    ``dev-dependencies`` and its test and dev groups, where poetry projects list what their tests import (rich's
    tests import attrs). Dependencies from a path, a URL or a repository are left out: they may point anywhere."""
    poetry = table_at(pyproject, "tool", "poetry")
    groups = [table_at(poetry, "group", name, "dependencies") for name in (*TEST_EXTRAS, "dev")]
    return _poetry_requirements([table_at(poetry, "dev-dependencies"), *groups])


def poetry_main(pyproject: dict[str, Any]) -> list[str]:
    """A poetry project's own dependencies (``[tool.poetry.dependencies]``) as PEP 508 requirements: what its tests
    need where the project itself does not build here (a 2023 anytree's ``[project.urls]`` without a name, which
    poetry-core 1 ignored and uv refuses, left its tests without six)."""
    return _poetry_requirements([table_at(pyproject, "tool", "poetry", "dependencies")])


def pipenv_packages(tree: Path, buildable: bool) -> list[str]:
    """A Pipfile's ``[dev-packages]`` as PEP 508 requirements, and its ``[packages]`` where the project has no
    pyproject.toml or setup.py to declare them. shellingham lists pytest-mock, whose ``mocker`` fixture its tests
    take, only there: without it they error on both sides and judge nothing. Pipenv's specifiers
    (``'*'``, ``'>=1.0'``, a table with ``version``, ``extras`` and ``markers``) are read as poetry-core reads
    poetry's, which spells them the same; a path, a git repository or a file is left out, as poetry's are."""
    pipfile = toml_file(tree / "Pipfile")
    tables = [table_at(pipfile, "dev-packages"), *([] if buildable else [table_at(pipfile, "packages")])]
    return _poetry_requirements(tables)


def _poetry_requirements(tables: list[dict[str, Any]]) -> list[str]:
    from poetry.core.factory import Factory

    found = []
    for table in tables:
        for name, constraint in table.items():
            if name == "python" or (
                isinstance(constraint, dict) and {"path", "git", "url", "file"} & constraint.keys()
            ):
                continue
            try:
                found.append(Factory.create_dependency(name, constraint).to_pep_508())
            except Exception:  # the project's text: what poetry-core cannot read (a list of constraints) is left out
                continue
    return list(dict.fromkeys(found))


def hatch_dev(pyproject: dict[str, Any], tree: Path) -> list[str]:
    """The dependencies (and extra dependencies) of the hatch environments that run a project's tests: ``default``,
    those named for tests, and ``hatch-test``, in pyproject.toml's ``[tool.hatch.envs]`` or hatch.toml's ``[envs]``.
    bigtree lists its pytest-benchmark, whose hook its conftest implements, only in its default environment: without
    it pytest stopped at collection on every commit. Lines with hatch's context fields (``{root:uri}``) are left
    out; so are ``features``."""
    tables = [table_at(pyproject, "tool", "hatch", "envs"), table_at(toml_file(tree / "hatch.toml"), "envs")]
    found = []
    for envs in tables:
        for name in ("default", *TEST_EXTRAS, "hatch-test"):
            for key in ("dependencies", "extra-dependencies"):
                found += [d for d in strings_in(table_at(envs, name).get(key)) if "{" not in d]
    return list(dict.fromkeys(found))


def pdm_groups(pyproject: dict[str, Any]) -> list[str]:
    """The groups of PDM's development dependencies named for tests, else ``dev``."""
    table = table_at(pyproject, "tool", "pdm", "dev-dependencies")
    return [g for g in TEST_EXTRAS if g in table] or [g for g in ("dev",) if g in table]


def pdm_dev(pyproject: dict[str, Any], names: list[str]) -> list[str]:
    """The requirements of PDM's development dependency groups ``names``, ``[tool.pdm.dev-dependencies]`` (its
    spelling before PEP 735). A 2024 aiofiles lists pytest-asyncio only there, and its async tests could not run.
    An editable or path line (``-e file:///${PROJECT_ROOT}/...``) is left out: it is the project, or a folder
    beside it."""
    table = table_at(pyproject, "tool", "pdm", "dev-dependencies")
    lines = (item for g in names if isinstance(table.get(g), list) for item in table[g] if isinstance(item, str))
    found = []
    for line in lines:
        try:
            if not Requirement(line).url:
                found.append(line)
        except InvalidRequirement:
            continue
    return list(dict.fromkeys(found))


def group_requirements(pyproject: dict[str, Any], name: str) -> tuple[list[str], list[str]]:
    """The requirements of dependency group ``name`` (with those of the groups it includes) as a package index
    serves them, and those the project takes from elsewhere: a direct reference (``pkg @ git+https://...``) is
    left out, and a package ``[tool.uv.sources]`` takes from a git repository, a URL or a path stays as written,
    for the index to serve. A 2026 urllib3's ``test`` group takes hypercorn from its fork on GitHub beside the
    trustme its test server imports; where only the package index is reachable, the whole group failed to
    install. Both empty for a group that is not there or not valid."""
    try:
        lines = dependency_groups.resolve(table_at(pyproject, "dependency-groups"), name)
    except (LookupError, ValueError, TypeError):
        return [], []
    sources = table_at(pyproject, "tool", "uv", "sources")
    elsewhere = {canonicalize_name(n) for n, s in sources.items() if isinstance(s, dict) and _FETCHED & s.keys()}
    served: list[str] = []
    fetched: list[str] = []
    for line in lines:
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        if requirement.url or canonicalize_name(requirement.name) in elsewhere:
            fetched.append(line)
        if not requirement.url:
            served.append(line)
    return served, fetched


def test_imports(tree: Path, limit: int = 2000) -> set[str]:
    """The top-level modules the tree's tests import: ``test_*.py``, ``*_test.py``, ``test.py``, ``tests.py``
    (verboselogs' tests are its package's ``tests.py``), ``conftest.py`` and every module under a ``test``,
    ``tests`` or ``testing`` folder, and, through the project's own modules they import, what those import in
    turn, read from their syntax (at most ``limit`` files). A 2019 prettyprinter's test of its IPython extra
    imports only ``prettyprinter.extras.ipython_repr_pretty``, which imports IPython: IPython was never
    installed, and the test never collected."""
    roots = [tree, *import_roots(tree)]
    queue: list[Path] = []
    for folder, subfolders, files in os.walk(tree):
        subfolders[:] = sorted(d for d in subfolders if d not in _NOT_SOURCE)
        under_tests = bool(_TEST_FOLDERS & set(Path(folder).relative_to(tree).parts))
        for name in sorted(files):
            if name.endswith(".py") and (
                under_tests or name.startswith("test_") or name.endswith("_test.py") or name in _TEST_MODULES
            ):
                queue.append(Path(folder) / name)
    found: set[str] = set()  # the dotted names met, each looked for among the project's files once
    seen = set(queue)
    for read, path in enumerate(queue):  # grows as the project's own modules are found
        if read >= limit:
            break
        dotted, relative = _imports(path)
        new, found = dotted - found, found | dotted
        for own in [*relative, *(f for name in new for f in _own_files(roots, name))]:
            if own not in seen:
                seen.add(own)
                queue.append(own)
    return {name.partition(".")[0] for name in found}


def _imports(path: Path) -> tuple[set[str], list[Path]]:
    """The dotted names ``path`` imports (``from a import b`` may import the module ``a.b``), and the files of its
    relative imports."""
    try:
        module = syntax_tree(path.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return set(), []
    names: set[str] = set()
    relative: list[Path] = []
    for node in ast.walk(module) if module else ():
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.update([node.module, *(f"{node.module}.{alias.name}" for alias in node.names)])
        elif isinstance(node, ast.ImportFrom) and node.level:
            package = path.parents[node.level - 1] if node.level <= len(path.parents) else None
            stems = [node.module] if node.module else [alias.name for alias in node.names]
            relative += [f for stem in stems if package for f in _own_files([package], stem)]
    return names, relative


def _own_files(roots: list[Path], dotted: str) -> list[Path]:
    """The files of the project's own module ``dotted`` under ``roots``, with its packages' ``__init__.py``."""
    parts = [part for part in dotted.split(".") if part.isidentifier()]
    files: list[Path] = []
    for root in roots:
        for end in range(1, len(parts) + 1):
            folder = root.joinpath(*parts[:end])
            files += [f for f in (folder / "__init__.py", folder.with_suffix(".py")) if f.is_file()]
    return files


def imported_by_tests(requirements: Iterable[str], imported: set[str]) -> list[str]:
    """Those of ``requirements`` the tests import, known by the distribution's name as a module (``flake8``; less a
    ``python-`` or ``py`` prefix: python-dateutil's ``dateutil``, pyserial's ``serial``), and pytest's plugins
    (``pytest-*``), which pytest loads itself. pytest is left out: the environment brings one that runs here.

    A 2021 darglint's poetry dev dependencies hold the flake8 its tests import beside a mypy of its day, whose
    typed-ast does not build on Python 3.11: the whole list failed, the environment was built without it, and no
    test could be collected on any commit."""
    kept, modules = [], {module.lower() for module in imported}  # ipython's module is IPython
    for line in requirements:
        try:
            name = canonicalize_name(Requirement(line).name).replace("-", "_")
        except InvalidRequirement:
            continue
        spelled = {name, name.removeprefix("python_"), name.removeprefix("py")}
        if (name.startswith("pytest_") or spelled & modules) and name != "pytest":
            kept.append(line)
    return kept
