"""``patchgate doctor``: what patchgate will use here, and what is missing."""

from __future__ import annotations

import platform
from pathlib import Path

import click
from rich.table import Table
from rich.text import Text

from core.console import emit_json, out
from core.errors import PatchgateError


def _python(root: Path) -> tuple[bool, str]:
    return True, platform.python_version()


def _torch(root: Path) -> tuple[bool, str]:
    try:
        import torch
    except ImportError:
        return False, "torch is not installed (bash scripts/install.sh)"
    device = "cuda: " + torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"
    return True, f"torch {torch.__version__}, device {device}"


def _embedding_model(root: Path) -> tuple[bool, str]:
    from core.settings import resolve
    from retrieval.embeddings import default_model_path, dense_rule, distilled_path

    config = resolve(root).index
    model = config.embedding_model or default_model_path()
    if not Path(model).exists():
        return False, f"{model} not found (set [tool.patchgate.index] embedding_model to a local path)"
    static = "distilled" if (distilled_path(model) / "model.safetensors").exists() else "not distilled yet"
    return True, f"{model} (dense={config.dense}: {dense_rule(config)}; static model {static})"


def _index(root: Path) -> tuple[bool, str]:
    from retrieval.index import open_index

    index = open_index(root)
    return True, f"{len(index.files())} files, {len(index.chunks())} chunks at {index.build}"


def _model(root: Path) -> tuple[bool, str]:
    from agent.models.registry import HOW_TO_CONFIGURE, parse_spec
    from core.settings import resolve

    spec = resolve(root).model
    if not spec:
        return False, HOW_TO_CONFIGURE
    parsed = parse_spec(spec)
    return True, f"{spec} (provider {parsed.provider})"


def _sandbox(root: Path) -> tuple[bool, str]:
    from core.settings import resolve
    from tools.sandbox import HOW_TO_ENABLE, bwrap_binary, unavailable_reason

    settings = resolve(root, base="HEAD").tests
    if settings.sandbox == "off":
        return False, 'off ([tool.patchgate.tests] sandbox = "off"): tests of a change run with your rights'
    if reason := unavailable_reason():
        return False, f"{reason}; {HOW_TO_ENABLE}"
    return True, f"bubblewrap ({bwrap_binary()}), network {'on' if settings.network else 'off'}"


def _tests_environment(root: Path) -> tuple[bool, str]:
    """Which interpreter runs this repository's tests, and why that one (nothing is built here)."""
    from core.settings import resolve
    from tools.environments import resolve_environment

    environment = resolve_environment(root, resolve(root, base="HEAD").tests, build=False)
    return environment.kind != "patchgate", environment.how


CHECKS = {
    "python": _python,
    "torch": _torch,
    "embedding model": _embedding_model,
    "index": _index,
    "model": _model,
    "tests environment": _tests_environment,
    "test sandbox": _sandbox,
}


@click.command("doctor")
@click.option("--repo", type=click.Path(path_type=Path), default=".", help="Repository (default: here).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON line.")
def doctor(repo: Path, as_json: bool) -> None:
    """Check the Python, torch device, embedding model, index, configured model and the tests' environment."""
    from core.git import repo_root

    root = repo_root(repo)
    results = {}
    for name, check in CHECKS.items():
        try:
            results[name] = check(root)
        except PatchgateError as exc:
            results[name] = (False, str(exc))
    if as_json:
        emit_json({name: {"ok": ok, "detail": detail} for name, (ok, detail) in results.items()})
        return
    table = Table(title="patchgate doctor", show_header=False)
    for name, (ok, detail) in results.items():
        table.add_row(Text("ok", "green") if ok else Text("missing", "yellow"), name, detail)
    out.print(table)
