"""The ``security`` gate: secrets and injection patterns on the lines a candidate adds.

Only added lines count: a patch is not blamed for what the base already had,
nor for lines it only moves (removed elsewhere in the same diff), nor, in
Python, for a call it only reshapes: a finding whose rule the base's same
function already broke as often is a warning (toolz turned its tests'
``exec('def func%s' % ...)`` into an f-string), nor, on a person's own commit,
for a risky call it moves to another module as often as it removes one. Calls on
literals (``pickle.loads(b"...")``, ``eval("1 + 1")``) are warnings: no
outside data reaches them.
Python is read through its AST (so ``execute(f"... {x}")`` is found however it
is laid out); other files, and Python that does not parse, fall back to the
regexes in ``policies/security.yaml``.
"""

from __future__ import annotations

import ast
import os
import re
from collections import Counter
from pathlib import Path
from typing import Any

from core.pymodules import syntax_tree
from core.secrets import ENTROPY_RULES, SecretHit, secret_hits
from tools.candidate import Candidate, ChangedFile
from tools.findings import Finding, GateReport, Severity, on_own_commit
from tools.gate import BaseText, GateContext, text_in
from tools.policy import SecurityPolicy, matches

INPUT_SOURCES = ("sys.argv", "os.environ", "request.", "flask.request")
LEAK_ADVICE = "load it from the environment or a secret store"
WORDED_ADVICE = "a password made up of words; if it is a real one, rotate it and " + LEAK_ADVICE


class SecurityGate:
    """``security``: secrets and injection patterns on the lines a candidate adds."""

    name = "security"
    needs = "nothing"

    def run(self, ctx: GateContext) -> GateReport:
        tree = ctx.tree if ctx.applied else None
        own_tests = None if ctx.options.model_patch_rules else ctx.policies.default.scope.tests.paths
        return security_gate(ctx.candidate, tree, ctx.policies.security, ctx.base_text, own_tests)


def security_gate(
    candidate: Candidate,
    tree: Path | None,
    policy: SecurityPolicy,
    base_text: BaseText | None = None,
    own_tests: list[str] | None = None,
) -> GateReport:
    """Secrets and injection findings on added lines; ``tree`` holds the patched files when apply passed,
    ``base_text`` reads a file as the base has it.

    ``own_tests`` (globs of test files, on a person's own commit): the code rules are warnings there, and so is a
    value only the entropy plugins find, and a password made of words under a secret's name. A test deserializes
    what it made itself (exceptiongroup's test unpickles its own script's output) and runs only in the sandbox,
    compares digests and fingerprints (paramiko's test of a host key's fingerprint,
    ``b"B3D522AAF9755EE8CD0EEA02B929A280"``), and makes up its users' passwords (djoser's ``"testing123!"``); a
    token of a known format, a private key, a password in a URL or a generated value under a secret's name in a
    test file is still a leak, and a model's patch meets every rule everywhere."""
    secrets = policy.secrets.model_dump_json()
    marker = policy.secrets.inline_marker
    rules = {r.id: r.model_dump() for r in policy.code.rules}
    text_rules = [(r.id, re.compile(r.regex)) for r in policy.code.text_rules]
    moved = {text.strip() for f in candidate.files for _, text in f.removed if text.strip()}
    removed = "\n".join(text for f in candidate.files for _, text in f.removed)
    findings: list[Finding] = []
    for changed in candidate.files:
        if tree is not None and not changed.deleted:
            findings.extend(symlink_findings(tree, changed.path))
        if changed.deleted or not changed.added:
            continue
        old = (
            base_text(changed.old_path or changed.path) if base_text is not None and changed.status != "added" else None
        )
        own = own_tests is not None and matches(changed.path, own_tests)
        secrets_found = _secrets(changed, secrets, f"{removed}\n{old or ''}")
        findings.extend(on_own_commit([f for hit, f in secrets_found if _made_up(hit)], own))
        findings.extend(f for hit, f in secrets_found if not _made_up(hit))
        source = text_in(tree, changed.path) if tree is not None and changed.path.endswith(".py") else None
        module = syntax_tree(source)
        new_lines = [(n, text) for n, text in changed.added if text.strip() not in moved]
        if module is not None and source is not None:
            added = {n for n, _ in new_lines}
            found = PythonChecks(rules, changed.path, added, source.splitlines(), marker).run(module)
            code = _reshaped(found, module, old, rules, marker)
        else:
            code = _text_checks(changed.path, new_lines, text_rules, rules, marker)
        findings.extend(on_own_commit(code, own=own))
    if own_tests is not None and base_text is not None:  # a person's own commit
        findings = _moved_between_modules(findings, candidate, base_text, rules, marker)
    return GateReport(name="security", passed=not any(f.severity == "error" for f in findings), findings=findings)


def _moved_between_modules(
    findings: list[Finding], candidate: Candidate, base_text: BaseText, rules: dict[str, dict[str, Any]], marker: str
) -> list[Finding]:
    """``findings`` with each code-rule error of a rule the change's removed lines broke at least as often (in the
    base's modules) made a warning: the risky call moved from one module to another, reshaped (python-statemachine
    moved its ``eval(action.content, {}, {})`` into a new module, as ``eval(content, {}, {})`` behind an opt-in
    ``trusted=True``, and was blocked as if it had added one). Only on a person's own commit: a model's patch that
    removes one risky call and adds another meets every rule."""
    added = Counter(f.rule for f in findings if f.severity == "error")
    if not added:  # nothing to weigh: the base's modules are not read again (every hook commit comes here)
        return findings
    removed: Counter[str] = Counter()
    for changed in candidate.files:
        path = changed.old_path or changed.path
        old = base_text(path) if changed.removed and path.endswith(".py") else None
        if old is None or (module := syntax_tree(old)) is None:
            continue
        lines = {n for n, _ in changed.removed}
        removed.update(
            f.rule
            for f in PythonChecks(rules, path, lines, old.splitlines(), marker).run(module)
            if f.severity == "error"
        )
    moved = {rule for rule, count in added.items() if 0 < count <= removed[rule]}
    return [
        f.model_copy(update={"severity": "warning", "message": f"{f.message} (moved: the change removes as many)"})
        if f.severity == "error" and f.rule in moved
        else f
        for f in findings
    ]


def _reshaped(
    found: list[Finding], module: ast.Module, old: str | None, rules: dict[str, dict[str, Any]], marker: str
) -> list[Finding]:
    """``found`` with each finding whose rule the base's same function (or class, or module level) already broke
    at least as often made a warning: the change reshaped that call, it did not add the risk."""
    base = syntax_tree(old)
    if not found or old is None or base is None:
        return found
    lines = old.splitlines()
    had = Counter(
        (f.rule, _scope_of(base, f.line or 0))
        for f in PythonChecks(rules, "", set(range(1, len(lines) + 1)), lines, marker).run(base)
    )
    keys = [(f.rule, _scope_of(module, f.line or 0)) for f in found]
    now = Counter(keys)
    return [
        f.model_copy(
            update={
                "severity": "warning",
                "message": f"{f.message} (reshaped: {where or 'the module'} had it on the base)",
            }
        )
        if f.severity == "error" and now[(f.rule, where)] <= had[(f.rule, where)]
        else f
        for f, (_, where) in zip(found, keys, strict=True)
    ]


def _scope_of(module: ast.Module, line: int) -> str:
    """The qualified name of the innermost function or class of ``module`` holding ``line`` ("" at module level)."""
    scope, body, prefix = "", module.body, ""
    while True:
        inner = next(
            (
                node
                for node in body
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                and node.lineno <= line <= (node.end_lineno or node.lineno)
            ),
            None,
        )
        if inner is None:
            return scope
        scope = prefix + inner.name
        prefix, body = scope + ".", inner.body


def symlink_findings(tree: Path, rel: str) -> list[Finding]:
    """A symlink the candidate leaves at ``rel`` that points outside the repository or into ``.git``.

    Such a link reads (or, once something writes through it, changes) files the
    repository does not own: ``notes.md -> /etc/passwd``, ``cfg -> ../../.ssh``.
    """
    link = tree / rel
    if not link.is_symlink():
        return []
    target = os.readlink(link)
    root = tree.resolve()
    resolved = Path(os.path.normpath(link.parent / target)).resolve()
    if resolved != root and root not in resolved.parents:
        where = "outside the repository"
    elif ".git" in resolved.relative_to(root).parts:
        where = "into .git"
    else:
        return []
    return [
        Finding(
            rule="security.symlink-outside",
            path=rel,
            message=f"{rel} is a symlink pointing {where} ({target!r}); commit a copy of the file instead",
        )
    ]


def _secrets(changed: ChangedFile, policy: str, known: str) -> list[tuple[SecretHit, Finding]]:
    """Secrets on the lines ``changed`` adds, each with its finding, except values ``known`` holds (the diff's
    removed lines and the base's same file): a key the base already had (itsdangerous' test signing key, moved
    from a class's tests into a new function) is not leaked by moving it, nor a value repeated beside itself
    (validators' doctest repeats a Bitcoin address its docstring already showed, which reads as a high-entropy
    string)."""
    hits = secret_hits(policy, changed.added_text(), changed.path)
    return [
        (
            hit,
            Finding(
                rule=f"security.secret.{hit.rule}",
                path=changed.path,
                line=changed.added[hit.line - 1][0],
                message=f"{hit.description} added (value redacted); " + (WORDED_ADVICE if hit.worded else LEAK_ADVICE),
            ),
        )
        for hit in hits
        if not (value := changed.added[hit.line - 1][1][hit.start : hit.end]) or value not in known
    ]


def _made_up(hit: SecretHit) -> bool:
    """A value a test may well have made itself: one only the entropy plugins find (a digest, a fingerprint), or a
    password of words under a secret's name (djoser's test registers its user with ``"testing123!"``)."""
    return hit.rule in ENTROPY_RULES or hit.worded


def _round_trip(loads: str, first: ast.expr | None) -> bool:
    """``pickle.loads(pickle.dumps(obj))``: the data is what the line itself just made (a picklability test)."""
    return (
        isinstance(first, ast.Call)
        and dotted(first.func).rsplit(".", 1)[-1] == "dumps"
        and dotted(first.func).rsplit(".", 1)[0] == loads.rsplit(".", 1)[0]
    )


def _text_checks(
    path: str,
    added: list[tuple[int, str]],
    text_rules: list[tuple[str, re.Pattern[str]]],
    rules: dict[str, dict[str, Any]],
    marker: str,
) -> list[Finding]:
    return [
        Finding(rule=f"security.{rule_id}", path=path, line=line, message=rules[rule_id]["description"])
        for line, text in added
        for rule_id, pattern in text_rules
        if pattern.search(text) and marker not in text
    ]


def literal(node: ast.expr | None) -> bool:
    """Whether ``node`` is a literal (a constant, or a container or sum of them): no outside data in it."""
    if node is None:
        return False
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def dotted(node: ast.expr) -> str:
    """``a.b.c`` for a name or attribute chain, '' for anything else."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""


def formatted(node: ast.expr | None) -> bool:
    """Whether ``node`` builds a string from values: f-string, ``.format``, ``%`` or ``+`` with a string."""
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.FormattedValue) for v in node.values)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mod, ast.Add)):
        sides = (node.left, node.right)
        stringy = any((isinstance(s, ast.Constant) and isinstance(s.value, str)) or formatted(s) for s in sides)
        return stringy and not all(isinstance(s, ast.Constant) for s in sides)
    return False


# SQL statements that take no bound values, only names (a savepoint, a table, a setting): no placeholder can stand
# in them, so a formatted one is not asked to use query parameters
NO_VALUES = re.compile(
    r"\s*(?:SAVEPOINT|RELEASE|ROLLBACK\s+TO|(?:SAVE|ROLLBACK)\s+TRAN(?:SACTION)?|CREATE|DROP|ALTER|TRUNCATE|PRAGMA"
    r"|VACUUM|ANALYZE|LOCK\s+TABLE|SET\s+(?:SEARCH_PATH|SCHEMA|ROLE|TIME\s+ZONE))\b",
    re.I,
)
SELF = frozenset({"self", "cls"})  # a method's own object: what it names is the object's, not outside input
IDENTIFIERS_ONLY = (
    "the statement takes no values, only names: if a name can come from outside, quote it as an identifier "
    "(psycopg's sql.Identifier) or check it against the names you expect"
)


def _takes_no_values(node: ast.expr | None) -> bool:
    """Whether a formatted SQL string's text begins a statement that takes no values (``NO_VALUES``)."""
    while isinstance(node, ast.BinOp):
        node = node.left
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):  # "...".format(...)
        node = node.func.value
    if isinstance(node, ast.JoinedStr):
        node = node.values[0] if node.values else None
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and bool(NO_VALUES.match(node.value))


def safe_loader_names(module: ast.Module, safe: set[str]) -> set[str]:
    """The module's own names for a safe YAML loader: each class derived from one (``class Loader(yaml.SafeLoader)``,
    which keeps yaml.safe_load's safety and changes how it reads a tag), however deep, and each function that builds
    such a class and no other (python-statemachine makes one lazily, as PyYAML is an optional import). Without them
    ``yaml.load(text, Loader=Loader)`` was an error, as if it could run code."""
    classes = [node for node in ast.walk(module) if isinstance(node, ast.ClassDef)]
    found: set[str] = set()
    grew = True
    while grew:  # a subclass of a subclass
        derived = {c.name for c in classes if any(dotted(b).rsplit(".", 1)[-1] in safe | found for b in c.bases)}
        grew, found = bool(derived - found), found | derived
    for function in ast.walk(module):
        if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            built = {node.name for node in ast.walk(function) if isinstance(node, ast.ClassDef)}
            if built and built <= found:
                found.add(function.name)
    return found


class PythonChecks(ast.NodeVisitor):
    """Walks one module and reports risky calls that start on an added line."""

    def __init__(
        self,
        rules: dict[str, dict[str, Any]],
        path: str,
        added: set[int],
        lines: list[str],
        marker: str = "patchgate: allow",
    ) -> None:
        self.rules, self.path, self.added, self.lines, self.marker = rules, path, added, lines, marker
        self.built: set[str] = set()  # names assigned a formatted string somewhere in the module
        self.params: list[set[str]] = []  # parameter names of the enclosing functions, innermost last
        self.findings: list[Finding] = []
        self.module: ast.Module | None = None
        self._safe_loaders: set[str] | None = None  # read from the module at its first yaml.load, if any

    def run(self, module: ast.Module) -> list[Finding]:
        for node in ast.walk(module):
            if isinstance(node, ast.Assign) and formatted(node.value):
                self.built.update(t.id for t in node.targets if isinstance(t, ast.Name))
        self.module = module
        self.visit(module)
        return self.findings

    def _built(self, node: ast.expr | None) -> bool:
        return formatted(node) or (isinstance(node, ast.Name) and node.id in self.built)

    def _report(
        self, rule_id: str, node: ast.Call, suggestion: str | None = None, severity: Severity = "error"
    ) -> None:
        if self.marker in self.lines[node.lineno - 1]:
            return  # a person looked at this line and allowed it
        self.findings.append(
            Finding(
                rule=f"security.{rule_id}",
                path=self.path,
                line=node.lineno,
                severity=severity,
                message=self.rules[rule_id]["description"],
                suggestion=suggestion,
            )
        )

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        args = node.args
        names = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg] if a}
        self.params.append(names)
        self.generic_visit(node)
        self.params.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def _from_input(self, node: ast.expr, *, own: frozenset[str] = frozenset()) -> bool:
        """Whether ``node`` plainly carries outside input: a parameter (but ``own``), input(), argv, environ, a
        request."""
        if self._built(node) and not own:
            return True
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and self.params and sub.id in self.params[-1] - own:
                return True
            if isinstance(sub, ast.Call) and dotted(sub.func) in ("input", "sys.stdin.read", "sys.stdin.readline"):
                return True
            if isinstance(sub, (ast.Attribute, ast.Name)) and dotted(sub).startswith(INPUT_SOURCES):
                return True
        return False

    def visit_Call(self, node: ast.Call) -> None:
        self.generic_visit(node)
        if node.lineno not in self.added and getattr(node, "end_lineno", node.lineno) not in self.added:
            return
        name = dotted(node.func)
        first = node.args[0] if node.args else None
        last = name.rsplit(".", 1)[-1]
        if "." in name and last in self.rules["sql-injection"]["calls"] and self._built(first):
            # a statement that takes no values names what it acts on: tortoise-orm's f"SAVEPOINT {self._savepoint}"
            # has no parameter to use, and its savepoints were blocked for it; from a parameter, still an error
            names_only = first is not None and _takes_no_values(first) and not self._from_input(first, own=SELF)
            severity: Severity = "warning" if names_only else "error"
            self._report("sql-injection", node, IDENTIFIERS_ONLY if names_only else None, severity)
        elif name in self.rules["shell-injection"]["calls"] and self._shell(name, node, first):
            self._report("shell-injection", node)
        elif name in self.rules["eval-input"]["calls"] and first is not None and not isinstance(first, ast.Constant):
            # Input (a parameter, input(), argv, a request, a built string) is an error; other values a warning.
            risky = self._from_input(first) and not literal(first)
            self._report("eval-input", node, severity="error" if risky else "warning")
        elif name in self.rules["yaml-unsafe-load"]["calls"] and not self._safe_loader(node):
            self._report("yaml-unsafe-load", node, self._safe_load_line(node))
        elif name in self.rules["pickle-loads"]["calls"] and not _round_trip(name, first):
            self._report("pickle-loads", node, severity="warning" if literal(first) else "error")

    def _safe_load_line(self, node: ast.Call) -> str | None:
        """The line rewritten to ``yaml.safe_load`` when the call has no Loader to drop (a known fix)."""
        line = self.lines[node.lineno - 1]
        if node.keywords or len(node.args) != 1 or node.end_lineno != node.lineno or "yaml.load(" not in line:
            return None
        return line.replace("yaml.load(", "yaml.safe_load(", 1)

    def _shell(self, name: str, node: ast.Call, first: ast.expr | None) -> bool:
        if name.startswith("os."):
            return self._built(first)
        shell = any(
            k.arg == "shell" and isinstance(k.value, ast.Constant) and k.value.value is True for k in node.keywords
        )
        return shell and self._built(first)

    def _safe_loader(self, node: ast.Call) -> bool:
        loader = next(
            (k.value for k in node.keywords if k.arg == "Loader"), node.args[1] if len(node.args) > 1 else None
        )
        if isinstance(loader, ast.Call):  # a factory of the module that builds its SafeLoader subclass
            loader = loader.func
        return loader is not None and dotted(loader).rsplit(".", 1)[-1] in self.safe_loaders

    @property
    def safe_loaders(self) -> set[str]:
        """The policy's safe YAML loaders and the module's own (``safe_loader_names``), read once, where asked."""
        if self._safe_loaders is None:
            named = set(self.rules["yaml-unsafe-load"]["safe_loaders"])
            self._safe_loaders = named | (safe_loader_names(self.module, named) if self.module else set())
        return self._safe_loaders
