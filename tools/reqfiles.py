"""The requirement files an environment's attempts install, as uv is given them: twins beside the project's own.

A line of a requirement file can fail here though what it asks for can be had:

- the tree itself, editable (``-e .[testutils]``, pylint's test requirements; ``-e ".[invoke]"``, paramiko's,
  which uv cannot even parse). uv installs editables only through a backend's PEP 660 hook, which setuptools
  before 64 lacks, so the whole file failed and its test dependencies were left out. The project is installed
  from the copy either way (and removed again for an environment of dependencies only), so the *plain* twin,
  which installs it plain (``.[testutils]``), changes nothing else and is installed everywhere.
- a package from a URL (``toon_format @ git+https://github.com/...``, a 2026 Box's test requirements): where
  only the package index is reachable, the whole file failed. The *served* twin takes such a package by its
  name from the index (a URL that names no package, ``git+https://github.com/org/crispy-bootstrap3``, by its
  repository's). That is another package than the file asks for, so it is installed only by an attempt that asks
  for it (``FROM_THE_INDEX``), after the file as written failed.

A twin is written beside its file (``test.patchgate.txt``), so relative paths mean the same, and so is a twin of
each file that includes one. The files themselves stay as they are: a 2024 croniter's setup.py reads its
install_requires from requirements/base.txt, less its ``-e .`` line, and met the rewritten ``.``. A file
outside the copy (a symlink) is left alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

# in an install, a mark: its requirement files are given as their served twins (see the module's docstring)
FROM_THE_INDEX = "{packages from URLs taken from the index}"
INCLUDE = re.compile(r"^\s*(?:-r|--requirement|-c|--constraint)[\s=]+(\S+)")
# `-e .[test]`, and quoted as pip's own parser (shlex) allows: paramiko's `-e ".[invoke]"`, which uv cannot read
EDITABLE = re.compile(
    r"""^\s*(?:-e|--editable)[\s=]+(?P<q>["']?)(?P<path>\.[^\s\[#"']*)(?P<extras>\[[^\]]*\])?(?P=q)\s*(?:#.*)?$"""
)
# a package from a URL named only by its fragment, as pip reads it: `git+https://host/x.git#egg=name`, `-e` or not
EGG = re.compile(r"^\s*(?:(?:-e|--editable)[\s=]+)?[a-z][a-z0-9+.-]*://\S*?#(?:\S*&)?egg=(?P<name>[A-Za-z0-9][\w.-]*)")
# a package from a version-control URL that names nothing but its repository, whose name the index serves it under
# too most often (django-crispy-forms' test requirements: `git+https://github.com/django-crispy-forms/crispy-bootstrap3`)
BARE_VCS = re.compile(
    r"^\s*(?:(?:-e|--editable)[\s=]+)?(?:git|hg|svn|bzr)\+[a-z]+://[^\s#]*/"
    r"(?P<name>[A-Za-z0-9][\w.-]*?)(?:\.git)?/?(?:@[^\s/#@]+)?\s*$"
)
# a comment as pip strips it (tox's deps too): a whole line, or from whitespace and `#` on; a URL's `#egg=` is none
COMMENT = re.compile(r"(?:^|\s+)#.*$")
Rewrite = Callable[[Path, Path, str], str | None]  # (copy's root, file, line) -> the line in the twin, or None


@dataclass(frozen=True)
class Twins:
    """The files to install instead of those the attempts name, each as they name it (``source / name``): the
    plain twins everywhere, the served ones in an install marked ``FROM_THE_INDEX``."""

    plain: dict[Path, str] = field(default_factory=dict)
    served: dict[Path, str] = field(default_factory=dict)

    def given(self, install: Sequence[str], path: Path, name: str) -> str:
        """The file uv is given for ``name`` (``path`` in the copy) in ``install``."""
        if FROM_THE_INDEX in install and path in self.served:
            return self.served[path]
        return self.plain.get(path, name)


def named_files(installs: Iterable[Sequence[str]]) -> list[str]:
    """The requirement files ``installs`` name (``-r FILE``), in order."""
    return [a for install in installs for k, a in enumerate(install) if k and install[k - 1] == "-r"]


def requirement_lines(tree: Path, names: Iterable[str]) -> list[str]:
    """The requirements the files ``names`` (relative to ``tree``) and the files they include state, as PEP 508
    strings, each once: options, editables, URLs and what does not parse are left out."""
    lines = (line for lines in _Files.read(tree, names).lines.values() for line in lines)
    found = [str(r) for r in map(parsed_requirement, lines) if r is not None and r.url is None]
    return list(dict.fromkeys(found))


def takes_from_urls(tree: Path, names: Iterable[str]) -> bool:
    """Whether one of the requirement files ``names`` (relative to ``tree``), or one they include, takes a
    package from a URL that the package index could serve by its name."""
    files = _Files.read(tree, names)
    return any(_by_name(line) for lines in files.lines.values() for line in lines)


def write_twins(source: Path, names: Iterable[str], log: list[str]) -> Twins:
    """The twins of the requirement files ``names`` (relative to the copy ``source``), written beside them."""
    files = _Files.read(source, names)
    plain = files.twin(_plain_self, "patchgate")
    served = files.twin(lambda root, path, line: _plain_self(root, path, line) or _by_name(line), "patchgate-index")
    for twins, why in ((plain, "the tree's own editable requirement plain"), (served, "packages from URLs by name")):
        for path, twin in twins.items():
            log.append(f"{path.relative_to(files.root)}: twin {twin.name} ({why})")
    return Twins(files.as_named(plain), files.as_named(served))


@dataclass
class _Files:
    """Requirement files as read from a tree: their lines, and the files each includes (by line number)."""

    root: Path
    named: list[Path]
    lines: dict[Path, list[str]] = field(default_factory=dict)
    includes: dict[Path, list[tuple[int, Path]]] = field(default_factory=dict)

    @classmethod
    def read(cls, tree: Path, names: Iterable[str]) -> _Files:
        files = cls(tree.resolve(), [tree / name for name in names])
        queue = list(files.named)
        while queue:
            path = queue.pop().resolve()
            if path in files.lines or not path.is_file() or not path.is_relative_to(files.root):
                continue
            files.lines[path] = path.read_text(encoding="utf-8", errors="replace").splitlines(keepends=True)
            files.includes[path] = []
            for number, line in enumerate(files.lines[path]):
                if include := INCLUDE.match(line):
                    files.includes[path].append((number, (path.parent / include[1]).resolve()))
                    queue.append(path.parent / include[1])
        return files

    def twin(self, rewrite: Rewrite, suffix: str) -> dict[Path, Path]:
        """Each file with a line ``rewrite`` changes, or that includes such a file, and its twin, written with
        the changed lines and the includes pointing at their twins."""
        changed = {
            path: {n: new for n, line in enumerate(lines) if (new := rewrite(self.root, path, line)) is not None}
            for path, lines in self.lines.items()
        }
        twinned = {path for path, lines in changed.items() if lines}
        while grown := {
            p for p, found in self.includes.items() if p not in twinned and any(t in twinned for _, t in found)
        }:
            twinned |= grown
        for path in twinned:
            lines = list(self.lines[path])
            for number, target in self.includes[path]:
                if target in twinned:
                    lines[number] = lines[number].replace(target.name, _twin(target, suffix).name, 1)
            for number, line in changed[path].items():
                lines[number] = line
            _twin(path, suffix).write_text("".join(lines), encoding="utf-8")
        return {path: _twin(path, suffix) for path in twinned}

    def as_named(self, twins: dict[Path, Path]) -> dict[Path, str]:
        """``twins`` keyed as the attempts name their files, each twin relative to the root."""
        return {p: str(twins[p.resolve()].relative_to(self.root)) for p in self.named if p.resolve() in twins}


def _plain_self(root: Path, path: Path, line: str) -> str | None:
    """``line`` as a plain requirement where it installs the tree itself editable, else None."""
    editable = EDITABLE.match(line)
    if editable and root in {(path.parent / editable["path"]).resolve(), (root / editable["path"]).resolve()}:
        return f"{editable['path']}{editable['extras'] or ''}\n"
    return None


def _by_name(line: str) -> str | None:
    """``line`` as the package index serves it where it takes a package from a remote URL, else None."""
    if named := EGG.match(line) or BARE_VCS.match(COMMENT.sub("", line)):
        return f"{named['name']}\n"
    requirement = parsed_requirement(line)
    if requirement is None or not requirement.url or requirement.url.startswith("file:"):
        return None
    extras = f"[{','.join(sorted(requirement.extras))}]" if requirement.extras else ""
    marker = f"; {requirement.marker}" if requirement.marker else ""
    return f"{requirement.name}{extras}{marker}\n"


def parsed_requirement(line: str) -> Requirement | None:
    """A requirement file's line as pip reads a requirement (its comment dropped); None for an option, an include, a
    blank line or what does not parse."""
    try:
        return Requirement(COMMENT.sub("", line).strip())
    except InvalidRequirement:
        return None


def _twin(path: Path, suffix: str) -> Path:
    return path.with_name(f"{path.stem}.{suffix}{path.suffix}")
