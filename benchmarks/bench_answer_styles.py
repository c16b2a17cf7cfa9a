"""Does ``solve`` apply the right fix however the model writes it? An oracle model over a real HTTP server.

    python benchmarks/bench_answer_styles.py --repos /tmp/swe-repos [--dataset ../shared/swebench/lite_dev.json]
        [--styles fenced,dedented] [--instances 5 | --ids ID,ID] [--work /tmp/patchgate-bench-styles]

``--repos`` holds ``<owner>__<name>`` git repositories (bare is fine). For each
dev instance, the repository is cloned (``git clone --shared``) at its base
commit, with the tests gate off and BM25-only indexing, and ``solve`` runs
against an OpenAI-compatible server on 127.0.0.1 whose "model" knows the gold
fix: it opens each cluster of changed lines while planning (at most six), plans the gold files and the
functions the fix touches, and answers the gold fix written in one answer
style (see ``answer_styles.py``). Two more styles vary the plan: ``prose_plan``
(a server without json_schema or tools; the plan is a sentence then fenced
JSON) and ``tool_plan`` (a server with function calling only).

Prints, per style: instances, applied (every gate passed), equal (the applied
files equal the gold fix's); then the share of instances whose every SEARCH
block was visible in the edit prompt, and the median edit prompt in tokens.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import statistics
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from answer_styles import STYLES, Block, documented, gold_blocks
from chat_server import chat_completion, send_json
from mirrors import complete_commit, git

from agent.pipeline import solve
from core.settings import resolve
from retrieval.context import count_tokens

PLAN_STYLES = ("prose_plan", "tool_plan")
CONFIG = '[index]\ndense = "none"\n\n[review]\ntests = "none"\n'
NUMBER = re.compile(r"^\s*\d+ \| ")


@dataclass
class Script:
    """What the oracle answers during one solve run, and what it was asked."""

    style: str
    opens: list[dict]
    plan: dict
    edit: str
    edit_prompts: list[str] = field(default_factory=list)
    structured_calls: int = 0


class Oracle(BaseHTTPRequestHandler):
    script: Script

    def log_message(self, *_args: object) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        script = self.server.script  # type: ignore[attr-defined]
        strict_ok = script.style not in PLAN_STYLES
        tools_ok = script.style != "prose_plan"
        if "response_format" in body and not strict_ok:
            return send_json(self, 400, {"error": {"message": "response_format json_schema is not supported"}})
        if "tools" in body and not tools_ok:
            return send_json(self, 400, {"error": {"message": "tools are not supported by this server"}})
        structured = "response_format" in body or "tools" in body or "JSON Schema" in body["messages"][0]["content"]
        if structured:
            step = (
                {"tool_calls": script.opens, "plan": None}
                if script.structured_calls == 0 and script.opens
                else {"tool_calls": [], "plan": script.plan}
            )
            script.structured_calls += 1
            text = json.dumps(step)
            if script.style == "prose_plan":
                text = (
                    f"I looked at the code and will change {', '.join(script.plan['files'])}.\n\n```json\n{text}\n```\n"
                )
            message: dict = {"role": "assistant", "content": text}
            if "tools" in body:
                call = {"id": "call_1", "type": "function", "function": {"name": "PlanStep", "arguments": text}}
                message = {"role": "assistant", "content": None, "tool_calls": [call]}
        else:
            script.edit_prompts.append("\n\n".join(m["content"] for m in body["messages"]))
            message = {"role": "assistant", "content": script.edit}
        send_json(self, 200, chat_completion(message, model="oracle", prompt_tokens=1, completion_tokens=1))


def applied_texts(files: dict[str, str | None], diff: str) -> dict[str, str | None]:
    """The files after ``git apply`` of ``diff`` onto ``files`` (None: absent), in a scratch directory."""
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        for path, text in files.items():
            if text is not None:
                (root / path).parent.mkdir(parents=True, exist_ok=True)
                (root / path).write_text(text, encoding="utf-8")
        subprocess.run(["git", "apply", "-"], cwd=root, input=diff, text=True, check=True, capture_output=True)
        return {p: (root / p).read_text(encoding="utf-8") if (root / p).exists() else None for p in files}


def touched(diff: str) -> list[str]:
    return list(dict.fromkeys(re.findall(r"^\+\+\+ b/(\S+)", diff, flags=re.M)))


def symbols_of(text: str, lines: list[int]) -> list[str]:
    """The innermost functions or classes enclosing ``lines`` (what a model would name in its plan)."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return []
    names: list[str] = []
    for line in lines:
        best = None
        for node in ast.walk(tree):
            if (
                isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                and node.lineno <= line <= (node.end_lineno or node.lineno)
                and (best is None or node.lineno >= best.lineno)
            ):
                best = node
        if best is not None:
            names.append(best.name)
    return list(dict.fromkeys(names))


def changed_lines(diff: str) -> dict[str, list[int]]:
    """Per file, the original line numbers of each hunk's removed lines (or where it adds)."""
    out: dict[str, list[int]] = {}
    path, old = "", 0
    for line in diff.splitlines():
        if line.startswith("+++ "):
            path = line[6:]
        elif m := re.match(r"^@@ -(\d+)", line):
            old = int(m.group(1))
        elif line.startswith("-") and not line.startswith("---"):
            out.setdefault(path, []).append(old)
            old += 1
        elif line.startswith("+") and not line.startswith("+++"):
            out.setdefault(path, []).append(old)
        elif line.startswith(" "):
            old += 1
    return out


def clusters(lines: list[int], gap: int = 150) -> list[tuple[int, int]]:
    """Changed lines grouped into spans a model would open one at a time (open_file shows 200 lines at most)."""
    spans: list[tuple[int, int]] = []
    for line in sorted(lines):
        if spans and line - spans[-1][0] <= gap:
            spans[-1] = (spans[-1][0], line)
        else:
            spans.append((line, line))
    return spans


def visible(blocks: list[Block], prompt: str) -> bool:
    """Whether every block's SEARCH lines (non-blank, stripped) appear together in the prompt's numbered lines."""
    shown = "\n" + "\n".join(s for x in prompt.splitlines() if NUMBER.match(x) and (s := NUMBER.sub("", x).strip()))
    return all(
        "\n" + "\n".join(wanted) + "\n" in shown + "\n"
        for block in blocks
        if (wanted := [x.strip() for x in block.search.splitlines() if x.strip()])
    )


def prepare(row: dict, repos: Path, work: Path) -> Path | None:
    source = repos / row["repo"].replace("/", "__")
    if not source.exists():
        return None
    clone = work / row["instance_id"]
    if not clone.exists():
        git(work, "clone", "-q", "--shared", "--no-checkout", str(source), clone.name)
    git(clone, "checkout", "-q", "--force", "--detach", complete_commit(clone, row["base_commit"]))
    config = clone / ".patchgate.toml"
    if not config.exists():
        config.write_text(CONFIG, encoding="utf-8")
        with (clone / ".git" / "info" / "exclude").open("a", encoding="utf-8") as handle:
            handle.write(".patchgate.toml\n")
    return clone


def run_instance(row: dict, clone: Path, server: ThreadingHTTPServer, styles: list[str]) -> list[dict]:
    diff = row["patch"]
    paths = touched(diff)
    base = {p: _show(clone, row["base_commit"], p) for p in paths}
    gold = applied_texts(base, diff)
    blocks = gold_blocks(diff, lambda p: base[p] or "")
    if blocks is None:
        return [{"style": s, "skipped": "the fix does not convert to unique blocks"} for s in styles]
    lines = changed_lines(diff)
    symbols = [s for p in paths for s in symbols_of(base[p] or "", lines.get(p, []))]
    opens = [
        {"tool": "open_file", "path": p, "start_line": max(1, a - 10), "end_line": b + 10, "query": None}
        for p, ls in lines.items()
        for a, b in clusters(ls)
    ][:6]
    plan = {"files": paths, "symbols": symbols, "reasoning": "the gold fix", "tests": []}
    results: list[dict[str, object]] = []
    for style in styles:
        writer = documented if style in PLAN_STYLES else STYLES[style]
        answer = writer(blocks, diff)
        if answer is None:
            results.append({"style": style, "skipped": "style needs a one-file fix"})
            continue
        script = Script(style, opens, plan, answer)
        server.script = script  # type: ignore[attr-defined]
        port = server.server_address[1]
        try:
            settings = resolve(clone, base="HEAD", model=f"openai:oracle@http://127.0.0.1:{port}/v1")
            result = solve(clone, row["problem_statement"], settings)
        except Exception as exc:  # a crash is a result here: count it, say why
            results.append({"style": style, "applied": False, "equal": False, "error": f"{type(exc).__name__}: {exc}"})
            continue
        best = result.best
        applied = best is not None and best.passed
        equal = best is not None and applied and applied_texts(base, best.diff) == gold
        prompt = script.edit_prompts[0] if script.edit_prompts else ""
        results.append(
            {
                "style": style,
                "applied": applied,
                "equal": equal,
                "visible": visible(blocks, prompt),
                "prompt_tokens": count_tokens(prompt),
                "edit_calls": len(script.edit_prompts),
                "problem": "" if applied else (best.problem if best else "no candidate")[:300],
            }
        )
    return results


def _show(clone: Path, commit: str, path: str) -> str | None:
    done = subprocess.run(["git", "show", f"{commit}:{path}"], cwd=clone, capture_output=True)
    return done.stdout.decode("utf-8") if done.returncode == 0 else None


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repos", required=True)
    ap.add_argument("--dataset", default=str(Path(__file__).resolve().parents[2] / "shared/swebench/lite_dev.json"))
    ap.add_argument("--styles", default=",".join([*STYLES, *PLAN_STYLES]))
    ap.add_argument("--instances", type=int, default=0, help="only the first N instances (0: all)")
    ap.add_argument("--ids", default="", help="only these instance ids (comma-separated)")
    ap.add_argument("--work", default="/tmp/patchgate-bench-styles")
    args = ap.parse_args()
    styles = args.styles.split(",")
    rows = json.loads(Path(args.dataset).read_text(encoding="utf-8"))
    rows = rows[: args.instances] if args.instances else rows
    rows = [r for r in rows if r["instance_id"] in args.ids.split(",")] if args.ids else rows
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Oracle)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    table: dict[str, list[dict]] = {s: [] for s in styles}
    for row in rows:
        clone = prepare(row, Path(args.repos), work)
        if clone is None:
            print(f"  skipped {row['instance_id']}: no repository under --repos", flush=True)
            continue
        results = run_instance(row, clone, server, styles)
        for result in results:
            table[result["style"]].append(result)
            if not result.get("equal") and "skipped" not in result:
                print(f"  {row['instance_id']} {result['style']}: {result}", flush=True)
        ran = [r for r in results if "skipped" not in r]
        tokens = sorted({r["prompt_tokens"] for r in ran if "prompt_tokens" in r})
        print(
            f"  {row['instance_id']}: equal {sum(r['equal'] for r in ran)}/{len(ran)} styles, "
            f"SEARCH visible {sum(r.get('visible', False) for r in ran)}/{len(ran)}, edit prompt {tokens} tokens",
            flush=True,
        )
    server.shutdown()
    print(f"{'style':<20} {'n':>3} {'applied':>8} {'equal':>6}")
    for style, results in table.items():
        ran = [r for r in results if "skipped" not in r]
        print(f"{style:<20} {len(ran):>3} {sum(r['applied'] for r in ran):>8} {sum(r['equal'] for r in ran):>6}")
    ran = [r for rs in table.values() for r in rs if "prompt_tokens" in r]
    if ran:
        print(
            f"SEARCH lines visible in the edit prompt: {sum(r['visible'] for r in ran)}/{len(ran)} runs; "
            f"median edit prompt {statistics.median(r['prompt_tokens'] for r in ran):.0f} tokens "
            f"(max {max(r['prompt_tokens'] for r in ran)})"
        )


if __name__ == "__main__":
    main()
