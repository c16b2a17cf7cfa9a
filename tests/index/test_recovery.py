"""A damaged, missing or hostile piece of on-disk state is refused or rebuilt with one line, never a crash.

Each case is what a user would do: run `patchgate index` or `patchgate context` after the damage,
through the real entry point, and read the exit code and the one line on stderr.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from filelock import FileLock

from retrieval.index import open_index
from tests.agent.agentkit import run_cli

SHOP = {
    "shop/cart.py": "class Cart:\n    def total(self, items):\n        return sum(items)\n",
    "shop/user.py": "def user_name(user):\n    return user.name\n",
    "README.md": "# shop\n",
}


@pytest.fixture(autouse=True)
def quiet_model_loading() -> Iterator[None]:
    """transformers' own weight-loading bar is not ours to test; every line left on stderr is."""
    from transformers.utils import logging

    logging.disable_progress_bar()
    yield
    logging.enable_progress_bar()


@pytest.fixture
def shop(make_repo, tiny_embedder: Path) -> Path:
    """A repository indexed with dense vectors (a tiny transformer), so every index part exists."""
    config = f'[index]\ndense = "transformer"\nembedding_model = "{tiny_embedder}"\ndevice = "cpu"\n'
    root = make_repo({**SHOP, ".patchgate.toml": config})
    assert run_cli("index", "--json", cwd=root).returncode == 0
    return root


def live(root: Path) -> Path:
    return root / ".patchgate" / (root / ".patchgate" / "CURRENT").read_text().strip()


def context_works(root: Path, *flags: str) -> str:
    """`patchgate context` answers with the right file first; returns what it said on stderr."""
    result = run_cli("context", "the cart total is wrong", "--json", *flags, cwd=root)
    assert result.returncode == 0, result.stderr
    assert '"path": "shop/cart.py"' in result.stdout.split("}")[0]
    return result.stderr


def one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    return lines[0]


@pytest.mark.parametrize("damage", ["faiss", "bm25", "table"])
def test_a_damaged_index_part_is_rebuilt_with_one_line(shop: Path, damage: str) -> None:
    build = live(shop)
    if damage == "faiss":
        (build / "vectors.faiss").write_bytes(b"\x00garbage" * 64)
    elif damage == "bm25":
        for part in (build / "bm25-chunks").iterdir():
            part.unlink()
        (build / "bm25-chunks").rmdir()
    else:
        with sqlite3.connect(build / "meta.sqlite") as db:
            db.execute("DROP TABLE chunks")
    said = context_works(shop, "--no-refresh")
    assert "rebuilding" in one_line(said)
    result = run_cli("index", "--json", cwd=shop)  # and the advised command works too
    assert result.returncode == 0, result.stderr
    context_works(shop, "--no-refresh")


def test_index_repairs_damaged_vectors_even_when_no_file_changed(shop: Path) -> None:
    (live(shop) / "vectors.faiss").write_bytes(b"\x00garbage" * 64)
    result = run_cli("index", "--json", cwd=shop)
    assert result.returncode == 0, result.stderr
    said = context_works(shop, "--no-refresh")
    assert "rebuilding" not in said and "damaged" not in said


def test_a_dropped_table_does_not_break_the_next_index_run(shop: Path) -> None:
    with sqlite3.connect(live(shop) / "meta.sqlite") as db:
        db.execute("DROP TABLE imports")
    result = run_cli("index", "--json", cwd=shop)
    assert result.returncode == 0, result.stderr
    assert "rebuilding" in one_line(result.stderr)
    context_works(shop)


def test_a_truncated_vector_cache_is_replaced_once_with_one_line(shop: Path) -> None:
    cache = shop / ".git" / "patchgate" / "vectors.sqlite"
    cache.write_bytes(cache.read_bytes()[:100])
    (shop / "shop" / "new.py").write_text("def brand_new():\n    return 1\n")
    first = run_cli("index", "--json", cwd=shop)
    assert first.returncode == 0, first.stderr
    assert "vector cache" in one_line(first.stderr)
    second = run_cli("index", "--json", cwd=shop)
    assert second.returncode == 0 and second.stderr == ""  # fixed for good, not on every run


def test_a_vector_cache_damaged_inside_is_replaced_where_it_is_read(shop: Path) -> None:
    """Damage past the header shows only when the pages are read: the cache starts over there, once."""
    cache = shop / ".git" / "patchgate" / "vectors.sqlite"
    data = bytearray(cache.read_bytes())
    data[4096:] = b"\xff" * (len(data) - 4096)  # every page but the first
    cache.write_bytes(bytes(data))
    (shop / "shop" / "new.py").write_text("def brand_new():\n    return 1\n")
    first = run_cli("index", "--json", cwd=shop)
    assert first.returncode == 0, first.stderr
    assert "vector cache" in one_line(first.stderr)
    context_works(shop, "--no-refresh")


def test_a_symlinked_state_folder_is_refused_and_nothing_outside_is_touched(make_repo, tmp_path: Path) -> None:
    root = make_repo(SHOP)
    elsewhere = tmp_path / "precious"
    (elsewhere / "index-0123456789ab").mkdir(parents=True)
    (elsewhere / "index-0123456789ab" / "keep.txt").write_text("mine")
    (root / ".patchgate").symlink_to(elsewhere)
    for args in (["index", "--dense", "none"], ["context", "cart total"], ["runs"]):
        result = run_cli(*args, cwd=root)
        assert result.returncode == 2
        assert "is a symbolic link; patchgate never follows it" in one_line(result.stderr)
    assert [p.name for p in elsewhere.rglob("*")] == ["index-0123456789ab", "keep.txt"]


def test_a_symlinked_cache_folder_is_refused(shop: Path, tmp_path: Path) -> None:
    cache = shop / ".git" / "patchgate"
    for part in cache.iterdir():
        part.unlink()
    cache.rmdir()
    cache.symlink_to(tmp_path)
    (shop / "shop" / "new.py").write_text("def brand_new():\n    return 1\n")
    result = run_cli("index", cwd=shop)
    assert result.returncode == 2 and "is a symbolic link" in one_line(result.stderr)
    assert list(tmp_path.glob("vectors.sqlite*")) == []


def test_a_state_path_that_is_a_file_is_reported_not_overwritten(make_repo) -> None:
    root = make_repo(SHOP)
    (root / ".patchgate").write_text("my notes\n")
    result = run_cli("index", "--dense", "none", cwd=root)
    assert result.returncode == 2 and "is a file, not a folder" in one_line(result.stderr)
    assert (root / ".patchgate").read_text() == "my notes\n"


def test_a_file_name_that_is_not_utf8_is_skipped_with_one_line(make_repo) -> None:
    root = make_repo(SHOP)
    (root / "shop").joinpath(b"caf\xe9.py".decode("utf-8", "surrogateescape")).write_text("def espresso():\n    pass\n")
    result = run_cli("index", "--dense", "none", "--json", cwd=root)
    assert result.returncode == 0, result.stderr
    assert "not valid UTF-8" in one_line(result.stderr)
    assert '"files": 3' in result.stdout


def index_process(root: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-P", "-m", "patchgate", "index", "--dense", "none", "--json"],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_second_build_says_it_waits_for_the_first_and_then_runs(make_repo) -> None:
    root = make_repo(SHOP)
    (root / ".patchgate").mkdir()
    with FileLock(root / ".patchgate" / "build.lock"):  # a first build, as far as the second can tell
        second = index_process(root)
        said = second.stderr.readline()  # type: ignore[union-attr]
        assert said.strip() == "another `patchgate index` is building this index; waiting for it to finish"
        assert second.poll() is None and not (root / ".patchgate" / "CURRENT").exists()
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0 and err == "", err
    assert '"files": 3' in out


def test_concurrent_index_runs_leave_a_usable_index(make_repo) -> None:
    files = {f"pkg/mod_{i:03d}.py": f"def function_{i}(value):\n    return value + {i}\n" for i in range(300)}
    root = make_repo(files)
    runs = [index_process(root) for _ in range(2)]
    results = [(run.wait(timeout=300), run.stderr.read()) for run in runs]  # type: ignore[union-attr]
    assert [code for code, _ in results] == [0, 0], results
    index = open_index(root)
    assert len(index.files()) == 300 and index.lexical_search("function_42", 1)
    assert len(list((root / ".patchgate").glob("index-*"))) == 1
