"""Small probes: call the changed functions on the same inputs in every candidate, and compare the answers.

Related tests may not reach the line an issue is about, and when they do they
often pass on every candidate. A probe asks the changed function itself. Its
inputs are the literal calls already written down: in the issue's code
(``add(2, 3)``) and in the project's tests of the changed modules. Each input
runs in each candidate's worktree, in the project's environment and inside the
sandbox (``tools.environments.execute``), and the answer is the ``repr`` of the
result or the exception's type. Candidates that answer every probe the same
way behave the same on those inputs.
"""

from __future__ import annotations

import ast
import json
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tools.environments import TestEnvironment, execute

MAX_INPUTS = 12  # per function: enough to separate candidates, few enough to stay fast
PROBE_TIMEOUT = 60.0
_MARK = "PATCHGATE-PROBES "
_CODE = re.compile(r"```(?:\w+)?\n(.*?)```|`([^`\n]+)`", re.S)

# Runs in the project's interpreter: each probe is (module, qualname, args repr, kwargs repr).
_SCRIPT = """
import ast, importlib, json, sys
out = []
for module, qualname, args, kwargs in json.loads(sys.argv[1]):
    try:
        target = importlib.import_module(module)
        for part in qualname.split("."):
            target = getattr(target, part)
        value = target(*ast.literal_eval(args), **ast.literal_eval(kwargs))
        out.append("= " + repr(value)[:300])
    except BaseException as exc:
        out.append("raises " + type(exc).__name__)
print("PATCHGATE-PROBES " + json.dumps(out))
"""


@dataclass(frozen=True)
class Probe:
    """One call: ``module.qualname(*args, **kwargs)`` with literal arguments (kept as source text)."""

    module: str
    qualname: str
    args: str
    kwargs: str


def harvest(functions: dict[str, str], sources: list[str]) -> list[Probe]:
    """Literal calls of ``functions`` (qualname -> module) found in ``sources`` (issue code, test files)."""
    by_name = {q.rsplit(".", 1)[-1]: (q, m) for q, m in functions.items() if "." not in q}  # module-level only
    found: dict[Probe, None] = {}
    counts: dict[str, int] = {}
    for source in sources:
        for call in _calls(source):
            name = (
                call.func.id
                if isinstance(call.func, ast.Name)
                else call.func.attr
                if isinstance(call.func, ast.Attribute)
                else None
            )
            if name not in by_name or counts.get(name, 0) >= MAX_INPUTS:
                continue
            literal = _literal_args(call)
            if literal is None:
                continue
            qualname, module = by_name[name]
            probe = Probe(module, qualname, *literal)
            if probe not in found:
                found[probe] = None
                counts[name] = counts.get(name, 0) + 1
    return list(found)


def issue_code(issue: str) -> list[str]:
    """The code in an issue: fenced blocks, inline code, and the statements of ``>>>`` sessions."""
    pieces = [a or b for a, b in _CODE.findall(issue)]
    pieces += [line.split(">>>", 1)[1].strip() for line in issue.splitlines() if ">>>" in line]
    return pieces


def _calls(source: str) -> list[ast.Call]:
    """Every call in ``source``; a block that does not parse as a whole (a session, output) line by line."""
    trees = []
    try:
        trees.append(ast.parse(source))
    except (SyntaxError, ValueError):
        for line in source.splitlines():
            try:
                trees.append(ast.parse(line.strip()))
            except (SyntaxError, ValueError):
                continue
    return [n for tree in trees for n in ast.walk(tree) if isinstance(n, ast.Call)]


def _literal_args(call: ast.Call) -> tuple[str, str] | None:
    """The call's arguments as literal source text, or None when one is not a literal."""
    try:
        args = tuple(ast.literal_eval(a) for a in call.args)
        kwargs = {k.arg: ast.literal_eval(k.value) for k in call.keywords if k.arg}
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    if len(kwargs) != len(call.keywords):
        return None
    return repr(args), repr(kwargs)


def run_probes(
    tree: Path, probes: list[Probe], environment: TestEnvironment, pass_env: list[str] | tuple[str, ...] = ()
) -> list[str] | None:
    """Each probe's answer in ``tree`` (sandboxed), or None when the probe process itself failed."""
    if not probes or environment.python is None:
        return None
    payload = json.dumps([[p.module, p.qualname, p.args, p.kwargs] for p in probes])
    with tempfile.TemporaryDirectory(prefix="patchgate-probes-") as scratch:
        done = execute(
            [str(environment.python), "-c", _SCRIPT, payload],
            cwd=tree,
            env=environment.prepare(tree, Path(scratch), pass_env),
            timeout=PROBE_TIMEOUT,
            confine=environment.confine,
        )
    line = next((x for x in reversed(done.output.splitlines()) if x.startswith(_MARK)), None)
    return json.loads(line[len(_MARK) :]) if line else None
