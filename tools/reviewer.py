"""What a reviewer rejects on sight in a model-written patch, as rules read from ``policies/default.yaml``.

Models that cannot fix a bug leave traces: a ``reproduce_bug.py`` at the root,
a new test file that only they run, build output, a pinned dependency, a
``print("Debug: ...")`` in library code, or a patch that adds a file and
changes nothing that exists. Each rule is data (``scope.reviewer``) with its
own severity, so a repository relaxes one by copying the policy pack.
"""

from __future__ import annotations

import ast
import re
import tomllib
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Any

from core.console import first_few
from core.pymodules import syntax_tree
from tools.candidate import Candidate, ChangedFile
from tools.findings import Finding
from tools.policy import Reviewer, ReviewerRule, matches

ReadFile = Callable[[str], str | None]
_NO_DATA = re.compile(r"^Binary files (?:a/)?(\S+) and (?:b/)?(\S+) differ$", re.M)


def reviewer_findings(
    candidate: Candidate,
    rules: Reviewer,
    test_globs: list[str],
    read_base: ReadFile | None = None,
    read_new: ReadFile | None = None,
) -> list[Finding]:
    """Every reviewer rule on ``candidate``; ``read_base``/``read_new`` give file texts where a rule needs them."""
    findings: list[Finding] = []
    for changed in candidate.files:
        if changed.status == "added":
            findings.extend(_new_file(changed, rules))
    if rules.build_output:
        findings.extend(_binary_without_data(candidate, rules.build_output))
    findings.extend(_only_new_files(candidate, rules, test_globs))
    findings.extend(_packaging(candidate, rules, read_base, read_new))
    findings.extend(_debug_statements(candidate, rules, test_globs, read_base, read_new))
    return findings


def _finding(
    rule: ReviewerRule, rule_id: str, message: str, path: str | None = None, line: int | None = None
) -> Finding:
    return Finding(rule=f"scope.{rule_id}", message=message, path=path, line=line, severity=rule.severity)


def _new_file(changed: ChangedFile, rules: Reviewer) -> list[Finding]:
    """One finding for a new file that is build output, scratch work, a stray test or a root script."""
    path, pure = changed.path, PurePosixPath(changed.path)
    if rules.build_output and matches(path, rules.build_output.paths):
        return [
            _finding(
                rules.build_output,
                "build-output",
                f"{path} is build or cache output; it is generated, not written",
                path,
            )
        ]
    if rules.scratch_file and matches(pure.name, rules.scratch_file.names):
        return [
            _finding(
                rules.scratch_file,
                "scratch-file",
                f"{path} is scratch work (a reproduction or debugging file); remove it from the patch",
                path,
            )
        ]
    name = pure.name
    if (
        rules.stray_test
        and name.endswith(".py")
        and (name.startswith("test_") or name.endswith("_test.py"))
        and not matches(path, rules.stray_test.folders)
    ):
        return [
            _finding(
                rules.stray_test,
                "stray-test",
                f"{path} is a new test file outside the test folders; put tests where the project keeps them",
                path,
            )
        ]
    root = rules.root_script
    if root and len(pure.parts) == 1 and pure.suffix in root.extensions and not matches(path, root.allowed):
        return [
            _finding(
                root,
                "root-script",
                f"{path} is a new script at the repository root; a fix belongs in the "
                "package, a test in the test folder",
                path,
            )
        ]
    return []


def _binary_without_data(candidate: Candidate, rule: ReviewerRule) -> list[Finding]:
    """``Binary files a/x and b/x differ`` carries no content: a build artefact the patch cannot even apply."""
    return [
        _finding(
            rule,
            "build-output",
            f"{m[2]} is a binary change without data (build output or a file the patch cannot carry)",
            m[2],
        )
        for m in _NO_DATA.finditer(candidate.diff)
        if m[2] != "/dev/null"
    ]


def _only_new_files(candidate: Candidate, rules: Reviewer, test_globs: list[str]) -> list[Finding]:
    """A patch that adds code but touches no existing source file fixes nothing that exists."""
    rule = rules.only_new_files
    if rule is None:
        return []

    def source(path: str) -> bool:
        return (
            PurePosixPath(path).suffix in rule.code_extensions
            and not matches(path, test_globs)
            and not matches(path, rule.not_source)
        )

    added = [f.path for f in candidate.files if f.status == "added" and source(f.path)]
    existing = [f for f in candidate.files if f.status != "added" and any(source(p) for p in (f.path, f.old_path) if p)]
    if not added or existing:
        return []
    shown = first_few(added)
    return [
        _finding(
            rule,
            "only-new-files",
            f"the patch adds {shown} but changes no existing source file; a fix changes the code that has the bug",
        )
    ]


def _packaging(
    candidate: Candidate, rules: Reviewer, read_base: ReadFile | None, read_new: ReadFile | None
) -> list[Finding]:
    """Packaging and dependency files: a model that pins or drops a dependency hides a problem."""
    rule = rules.packaging
    if rule is None:
        return []
    findings = []
    for changed in candidate.files:
        path = changed.path
        if matches(path, rule.paths):
            findings.append(
                _finding(
                    rule,
                    "packaging",
                    f"{path} is a packaging or dependency file; a reviewer must approve this change",
                    path,
                )
            )
        elif path == "pyproject.toml" and read_base is not None and read_new is not None:
            tables = [t for t in rule.pyproject_tables if _table(read_base(path), t) != _table(read_new(path), t)]
            if tables:
                findings.append(
                    _finding(
                        rule,
                        "packaging",
                        f"pyproject.toml changes {', '.join(tables)}; a reviewer must approve dependency changes",
                        path,
                    )
                )
    return findings


def _table(text: str | None, dotted: str) -> Any:
    try:
        data: Any = tomllib.loads(text or "")
    except tomllib.TOMLDecodeError:
        return None
    for key in dotted.split("."):
        data = data.get(key) if isinstance(data, dict) else None
    return data


def _code_lines(text: str | None) -> set[int] | None:
    """Lines where a statement or call starts in ``text`` (so comments and docstrings are never code), or None."""
    module = syntax_tree(text)
    return {node.lineno for node in ast.walk(module) if isinstance(node, (ast.stmt, ast.Call))} if module else None


def _prints(text: str | None) -> bool:
    """Whether ``text`` calls print() in code (a docstring's example does not count)."""
    module = syntax_tree(text)
    return module is not None and any(
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print"
        for node in ast.walk(module)
    )


def _debug_statements(
    candidate: Candidate, rules: Reviewer, test_globs: list[str], read_base: ReadFile | None, read_new: ReadFile | None
) -> list[Finding]:
    """Added print/breakpoint/pdb lines in library code (a module that already prints may add prints)."""
    rule = rules.debug_statements
    if rule is None:
        return []
    patterns = [re.compile(p) for p in rule.patterns]
    findings = []
    for changed in candidate.files:
        path = changed.path
        if (
            changed.deleted
            or not path.endswith(".py")
            or len(PurePosixPath(path).parts) == 1
            or matches(path, test_globs)
            or matches(path, rule.not_in)
        ):
            continue
        base = read_base(changed.old_path or path) if read_base and changed.status != "added" else None
        code = _code_lines(read_new(path)) if read_new else None
        for line, text in changed.added:
            if "patchgate: allow" in text or text.lstrip().startswith("#") or not any(p.search(text) for p in patterns):
                continue
            if code is not None and line not in code:
                continue  # inside a string or a docstring's example
            if text.lstrip().startswith("print(") and _prints(base):
                continue  # a module that prints by design (a CLI, a report)
            findings.append(
                _finding(rule, "debug-statement", f"debugging left in library code: {text.strip()[:100]}", path, line)
            )
    return findings
