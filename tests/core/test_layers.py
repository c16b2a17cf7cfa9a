"""The layers can be read off the imports, and the installed distribution is one namespace.

core (installed as ``patchgate``) imports nothing of ours above it; ``retrieval`` and ``tools`` import only
the core and never each other; ``agent`` may import anything. A violation names the file and the import.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYERS = {"core": "patchgate", "retrieval": "patchgate.retrieval", "tools": "patchgate.tools",
          "agent": "patchgate.agent"}
UPPER = ("patchgate.retrieval", "patchgate.tools", "patchgate.agent")
FORBIDDEN = {
    "core": UPPER,
    "retrieval": ("patchgate.tools", "patchgate.agent"),
    "tools": ("patchgate.retrieval", "patchgate.agent"),
    "agent": (),
}


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
            names += [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def _violations(folder: str) -> list[str]:
    bad = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        for name in _imports(path):
            if name.split(".")[0] in {"agent", "tools", "retrieval", "core", "policies"}:
                bad.append(f"{path.relative_to(ROOT)}: bare import {name} (use patchgate.…)")
            elif any(name == f or name.startswith(f + ".") for f in FORBIDDEN[folder]):
                bad.append(f"{path.relative_to(ROOT)}: imports {name}")
    return bad


@pytest.mark.parametrize("folder", sorted(LAYERS))
def test_each_layer_imports_only_what_is_below_it(folder: str) -> None:
    assert _violations(folder) == []


def test_the_rule_catches_an_upward_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "tools"
    fake.mkdir()
    (fake / "bad.py").write_text("from patchgate.agent.cli import main\nimport patchgate.retrieval.rank\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert _violations("tools") == ["tools/bad.py: imports patchgate.agent.cli",
                                    "tools/bad.py: imports patchgate.agent.cli.main",
                                    "tools/bad.py: imports patchgate.retrieval.rank"]


def test_the_wheel_installs_one_top_level_package(tmp_path: Path) -> None:
    source = tmp_path / "src"  # a copy, so the build leaves no build/ folder in the checkout
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".venv", ".git", ".patchgate", "build", "*.egg-info",
                                                                  "__pycache__", ".mypy_cache", ".ruff_cache"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path), str(source)], check=True, capture_output=True, timeout=300)
    wheel = next(tmp_path.glob("patchgate-*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
        entry = next(zf.read(n).decode() for n in names if n.endswith("entry_points.txt"))
    assert tops == {"patchgate"}
    for expected in ("patchgate/agent/cli.py", "patchgate/tools/gates.py", "patchgate/retrieval/rank.py",
                     "patchgate/errors.py", "patchgate/grammars/yaml.lark", "patchgate/policies/default.yaml"):
        assert expected in names
    assert "patchgate = patchgate.agent.cli:main" in entry
