"""The ``parse`` gate: every changed file still parses as what it claims to be.

Code goes through tree-sitter (error and missing nodes), Python also through
``compile`` (tree-sitter is forgiving where CPython is not); JSON, YAML and
TOML through their parsers (JSON with comments where its tools read it so,
as pyright reads pyrightconfig.json); Kubernetes manifests through their schemas and
policy; files mapped to a grammar in ``agent/grammars`` through that grammar.
A file that did not parse on the base either is reported as a warning: the
candidate did not break it. So is a data file (not code) under the test paths:
a parser's own suite holds files it must refuse and files in a newer format
than patchgate's parsers read (tomli's TOML 1.1 fixtures, LibCST's Python 3.15
fixtures in a ``fixtures`` folder), and the tests that read them judge them.
"""

from __future__ import annotations

import json
import sys
import tomllib
from fnmatch import fnmatch
from pathlib import Path, PurePosixPath

import json5
import yaml
from tree_sitter import Node

from core.languages import language_of
from core.pymodules import syntax_tree
from tools.candidate import Candidate
from tools.findings import Finding, GateReport, on_own_commit
from tools.gate import BaseText, GateContext
from tools.kubernetes import PodTemplate, is_manifest, manifest_findings, manifests_in, pod_templates
from tools.options import ReviewOptions
from tools.policy import Policies, matches
from tools.pytestconfig import DEFAULT_FILES

# JSON files their tools read with comments and trailing commas (JSONC): TypeScript's, VS Code's, dev containers',
# pyright's. pyfiglet's pyrightconfig.json ends its last list with a comma, as pyright allows, and was blocked.
JSONC = ("tsconfig*.json", "jsconfig*.json", "pyrightconfig.json", "**/.vscode/*.json", "*devcontainer.json")
# Folders under the test paths whose files are inputs to tests, not tests (black's tests/data/cases, LibCST's fixtures)
DATA_FOLDERS = frozenset({"fixtures", "data", "cases", "resources", "samples", "snapshots", "inputs"})


class ParseGate:
    """``parse``: every changed text file parses as what its name says it is."""

    name = "parse"
    needs = "applied"

    def run(self, ctx: GateContext) -> GateReport:
        return parse_gate(ctx.candidate, ctx.tree, ctx.base_text, ctx.options, ctx.policies)


def parse_gate(
    candidate: Candidate, tree: Path, base_text: BaseText, options: ReviewOptions, policies: Policies
) -> GateReport:
    """Parse every changed, non-deleted text file of ``candidate`` as it is in ``tree``."""
    findings: list[Finding] = []
    texts: dict[str, str] = {}
    for changed in candidate.files:
        if changed.deleted or changed.binary or changed.submodule:  # a submodule's folder is no file to parse
            continue
        try:
            texts[changed.path] = (tree / changed.path).read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # binary content without a binary diff: nothing to parse
        except OSError as exc:
            findings.append(Finding(rule="parse.unreadable", path=changed.path, message=str(exc)))
    pods = change_pods(texts, policies)
    for changed in candidate.files:
        if (text := texts.get(changed.path)) is None:
            continue
        own = not options.model_patch_rules
        found = check_file(changed.path, text, options, policies, pods=pods)
        problems = [on_own_commit([p], own)[0] if _grammar_only(p) else p for p in found]
        why = ""
        if problems and _test_data(changed.path, policies):
            why = " (test data: its tests judge it)"
        elif (
            problems
            and (old := base_text(changed.old_path or changed.path)) is not None
            and check_file(changed.path, old, options, policies, pods=pods)
        ):
            why = " (already so on the base)"
        if why:
            problems = [p.model_copy(update={"severity": "warning", "message": p.message + why}) for p in problems]
        findings.extend(problems)
    return GateReport(name="parse", passed=not any(f.severity == "error" for f in findings), findings=findings)


def _grammar_only(finding: Finding) -> bool:
    """Whether only tree-sitter's grammar says so, for a language no parser or compiler of its own checks here
    (Rust, C, JavaScript...; Python, JSON, YAML and TOML have theirs). A grammar lags its language: cbor2's Rust
    port (``dyn 'py + FnMut(...)``, a trait object whose lifetime comes first) was blocked as a syntax error. On a
    person's own commit that is a warning, which the project's compiler judges; a model's patch still fails."""
    return finding.rule == "parse.syntax" and finding.path is not None and language_of(finding.path) != "python"


def _test_data(path: str, policies: Policies) -> bool:
    """A data file under the policy's test paths: JSON, YAML, TOML or text, or code in a fixtures folder that is no
    test module (``native/libcst/tests/fixtures/pep798_dict_unpack_comp.py``: a parser's suite parses Python of
    versions newer than any patchgate runs on, and files it must refuse)."""
    if not matches(path, policies.default.scope.tests.paths):
        return False
    pure = PurePosixPath(path)
    module = any(fnmatch(f"{pure.stem}.py", name) for name in DEFAULT_FILES) or pure.name == "conftest.py"
    return language_of(path) == "text" or (not module and bool(DATA_FOLDERS & set(pure.parent.parts)))


def change_pods(texts: dict[str, str], policies: Policies) -> list[PodTemplate]:
    """The pod templates of every manifest in a change's YAML files (``texts``: path -> new text)."""
    manifests = []
    for path, text in texts.items():
        if PurePosixPath(path).suffix.lower() in (".yaml", ".yml"):
            try:
                manifests.extend(manifests_in(path, text))
            except yaml.YAMLError:
                continue  # check_file reports it
    return pod_templates(manifests, policies.kubernetes.kubernetes)


def check_file(
    path: str, text: str, options: ReviewOptions, policies: Policies, pods: list[PodTemplate] | None = None
) -> list[Finding]:
    """Parse problems of one file's text, by what its name says it is.

    ``pods``: the pod templates of the whole change, which a Service must select (default: this file's).
    """
    suffix = PurePosixPath(path).suffix.lower()
    findings: list[Finding] = []
    lang = language_of(path)
    if lang == "python":
        findings.extend(_python(path, text))
    elif lang != "text":
        findings.extend(_tree_sitter(path, lang, text))
    if suffix in (".json", ".jsonc"):
        findings.extend(_jsonc(path, text) if suffix == ".jsonc" or matches(path, JSONC) else _json(path, text))
    elif suffix in (".yaml", ".yml"):
        findings.extend(_yaml(path, text, policies, pods))
    elif suffix == ".toml":
        findings.extend(_toml(path, text))
    for pattern, grammar in options.grammars.items():
        if matches(path, [pattern]):
            from core.grammars import parse_error

            if (error := parse_error(grammar, text)) is not None:
                findings.append(
                    Finding(rule="parse.grammar", path=path, message=f"does not match grammar {grammar}: {error}")
                )
    return findings


def _first_error(node: Node) -> Node | None:
    if node.is_error or node.is_missing:
        return node
    if not node.has_error:
        return None
    for child in node.children:
        if (found := _first_error(child)) is not None:
            return found
    return node


def _tree_sitter(path: str, lang: str, text: str) -> list[Finding]:
    from tree_sitter_language_pack import get_parser  # 0.2 s to import: only when a file needs tree-sitter

    tree = get_parser(lang).parse(text.encode("utf-8"))  # type: ignore[arg-type]
    node = _first_error(tree.root_node)
    if node is None:
        return []
    what = f"missing {node.type}" if node.is_missing else "syntax error"
    return [
        Finding(
            rule="parse.syntax",
            path=path,
            line=node.start_point[0] + 1,
            message=f"{lang} {what} at line {node.start_point[0] + 1}, column {node.start_point[1] + 1}",
        )
    ]


def _python(path: str, text: str) -> list[Finding]:
    """A Python file's syntax errors, as this CPython and tree-sitter's grammar read it.

    CPython is the authority where both say the same. A tree-sitter error on code CPython accepts is a grammar
    lag; CPython's SyntaxError on code tree-sitter accepts is most often syntax newer than the Python patchgate
    runs on (cattrs' ``type X = ...`` tests, collected on 3.12 only): both are warnings. An indentation error,
    or one the compiler finds in a file this Python's parser reads (``return`` outside a function), is never
    newer syntax and stays an error. The project's own Python still judges the change where it runs it
    (the import check, the tests' collection).
    """
    compiled, parsed = _compile(path, text), _tree_sitter(path, "python", text)
    if compiled and (parsed or compiled[0].rule != "parse.syntax" or syntax_tree(text) is not None):
        return compiled
    if compiled:
        version = f"{sys.version_info[0]}.{sys.version_info[1]}"
        return [
            f.model_copy(
                update={
                    "severity": "warning",
                    "message": f"{f.message} on Python {version}; the file parses as newer Python, which the "
                    "project's own Python judges when it runs it",
                }
            )
            for f in compiled
        ]
    return [f.model_copy(update={"severity": "warning"}) for f in parsed]


def _compile(path: str, text: str) -> list[Finding]:
    try:
        compile(text, path, "exec", dont_inherit=True)
    except IndentationError as exc:  # TabError included
        return [Finding(rule="parse.indentation", path=path, line=exc.lineno, message=f"python: {exc.msg}")]
    except SyntaxError as exc:
        return [Finding(rule="parse.syntax", path=path, line=exc.lineno, message=f"python: {exc.msg}")]
    except ValueError as exc:  # null bytes
        return [Finding(rule="parse.syntax", path=path, message=f"python: {exc}")]
    return []


def _jsonc(path: str, text: str) -> list[Finding]:
    """JSON with comments and trailing commas, read by json5 (a superset: a file JSON5 alone allows passes too)."""
    try:
        json5.loads(text)
    except ValueError as exc:
        return [Finding(rule="parse.json", path=path, message=f"invalid JSON with comments: {exc}")]
    return []


def _json(path: str, text: str) -> list[Finding]:
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return [Finding(rule="parse.json", path=path, line=exc.lineno, message=f"invalid JSON: {exc.msg}")]
    return []


def _toml(path: str, text: str) -> list[Finding]:
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return [Finding(rule="parse.toml", path=path, message=f"invalid TOML: {exc}")]
    return []


def _yaml(path: str, text: str, policies: Policies, pods: list[PodTemplate] | None) -> list[Finding]:
    try:
        docs = list(yaml.safe_load_all(text))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return [
            Finding(
                rule="parse.yaml",
                path=path,
                line=mark.line + 1 if mark else None,
                message=f"invalid YAML: {getattr(exc, 'problem', None) or exc}",
            )
        ]
    if any(is_manifest(d) for d in docs):
        return manifest_findings(path, text, policies.kubernetes.kubernetes, pods)
    return []
