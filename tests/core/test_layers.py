"""The layers can be read off the imports, and the wheel installs exactly the layer packages.

Each top-level folder is a package named as the folder. ``core`` imports nothing of ours; ``retrieval`` and
``tools`` import only ``core`` and never each other; ``agent`` (the solve loop, models, decoding, writing)
builds on those; ``evaluation`` may use the agent; ``patchgate`` (the CLI, the command edge) may use anything.
``policies`` is data. A violation names the file and the import.
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
ORDER = ("core", "retrieval", "tools", "agent", "evaluation", "patchgate")  # lower first
PACKAGES = (*ORDER, "policies")
SIDEWAYS = {"retrieval": ("tools",), "tools": ("retrieval",)}


def _forbidden(folder: str) -> tuple[str, ...]:
    """Everything above ``folder`` in ORDER, and the sibling layer it must not lean on."""
    above = ORDER[ORDER.index(folder) + 1 :]
    return tuple(p for p in (*above, *SIDEWAYS.get(folder, ())) if p != folder)


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def _violations(folder: str) -> list[str]:
    bad = []
    forbidden = _forbidden(folder)
    for path in sorted((ROOT / folder).rglob("*.py")):
        for name in _imports(path):
            top = name.split(".")[0]
            if top in forbidden or (top == "patchgate" and folder != "patchgate"):
                bad.append(f"{path.relative_to(ROOT)}: imports {name}")
    return bad


@pytest.mark.parametrize("folder", ORDER)
def test_each_layer_imports_only_what_is_below_it(folder: str) -> None:
    assert _violations(folder) == []


def test_policies_hold_no_code_but_their_package_marker() -> None:
    assert [p.name for p in (ROOT / "policies").glob("*.py")] == ["__init__.py"]


def test_every_package_folder_is_a_layer() -> None:
    """A new top-level package must be placed in ORDER, or the layer rule would not see it."""
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests", "benchmarks", "docs"}
    assert packages == set(PACKAGES)


def test_the_rule_catches_an_upward_and_a_sideways_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "tools"
    fake.mkdir()
    (fake / "bad.py").write_text("from agent.pipeline import solve\nimport retrieval.rank\nimport core.git\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert _violations("tools") == ["tools/bad.py: imports agent.pipeline", "tools/bad.py: imports retrieval.rank"]


def test_the_wheel_installs_the_layer_packages_and_nothing_else(tmp_path: Path) -> None:
    source = tmp_path / "src"  # a copy, so the build leaves no build/ folder in the checkout
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", ".patchgate", "build", "*.egg-info", "__pycache__", ".mypy_cache", ".ruff_cache"
        ),
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    wheel = next(tmp_path.glob("patchgate-*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
        entry = next(zf.read(n).decode() for n in names if n.endswith("entry_points.txt"))
    assert tops == set(PACKAGES)
    for expected in (
        "patchgate/cli.py",
        "patchgate/start.py",
        "tools/gates.py",
        "retrieval/rank.py",
        "evaluation/run.py",
        "core/errors.py",
        "core/grammars/yaml.lark",
        "policies/default.yaml",
        "retrieval/fusion.json",
    ):
        assert expected in names
    assert "patchgate = patchgate.start:main" in entry
