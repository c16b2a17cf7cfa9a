"""`context` as a user pipes it: stdout is the packed context only, with a repo map; reasons say what matched."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from retrieval.context import pack
from retrieval.embeddings import EmbeddingConfig
from retrieval.index import build_index, open_index
from retrieval.rank import rank

ROOT = Path(__file__).resolve().parents[2]
ISSUE = "checkout total ignores the discount"
# enough files that the full map (15 files, their signatures) is far bigger than a small budget
REPO = {
    f"shop/part{n}.py": "".join(f"def handler_{n}_{k}(request, discount):\n    return request\n\n\n" for k in range(12))
    for n in range(20)
}
REPO |= {
    "shop/__init__.py": "",
    "shop/cart.py": "class Cart:\n    def checkout_total(self, items):\n        return apply_discount(sum(items))\n",
}


def cli(root: Path, *args: str, columns: int = 200) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": str(columns), "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-P", "-m", "patchgate", *args], cwd=root, env=env, capture_output=True, text=True, timeout=120
    )


def test_budget_stdout_is_exactly_the_packed_context(make_repo) -> None:
    root = make_repo(REPO)
    build_index(root, config=EmbeddingConfig(dense="none"), progress=False)
    result = cli(root, "context", ISSUE, "--budget", "4000", "--no-refresh")
    assert result.returncode == 0, result.stderr
    expected = pack(open_index(root), ISSUE, budget=4000).text
    assert result.stdout == expected + "\n"  # what `> prompt.txt` captures is what a model would read
    assert result.stdout.startswith("## Repository map") and "─" not in result.stdout
    assert "ranked files" in result.stderr and "of 4000 tokens" in result.stderr


def test_a_small_repo_map_at_every_budget_that_can_hold_one(make_repo) -> None:
    root = make_repo(REPO)
    build_index(root, config=EmbeddingConfig(dense="none"), progress=False)
    index = open_index(root)
    sizes = []
    for budget in (100, 300, 1000, 4000, 16000):
        packed = pack(index, ISSUE, budget=budget)
        assert packed.text.startswith("## Repository map\n") or packed.text.startswith("## Repository map ")
        assert "shop/cart.py:" in packed.text.split("\n## ", 1)[0] and packed.tokens <= budget
        sizes.append(len(packed.text.split("\n## ", 1)[0]))
    assert sizes == sorted(sizes) and sizes[0] < sizes[-1]  # the map grows with the budget, never vanishes


def test_the_lexical_reason_names_the_words_that_matched(make_repo) -> None:
    root = make_repo(REPO)
    build_index(root, config=EmbeddingConfig(dense="none"), progress=False)
    cart = next(f for f in rank(open_index(root), ISSUE).files if f.path == "shop/cart.py")
    lexical = next(r for r in cart.reasons if r.signal == "lexical_file")
    assert lexical.detail.startswith("matches ") and {"checkout", "total", "discount"} <= set(
        lexical.detail.removeprefix("matches ").split(", ")
    )
    two_lines = next(
        f for f in rank(open_index(root), "checkout total\nignores the discount").files if f.path == "shop/cart.py"
    )
    title = next(r for r in two_lines.reasons if r.signal == "lexical_title")  # the first line's words only
    assert title.detail == "matches checkout, total"


def test_the_ranked_table_fits_80_columns_with_its_reasons(make_repo) -> None:
    root = make_repo(REPO)
    result = cli(root, "context", ISSUE, columns=80)
    assert result.returncode == 0, result.stderr
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    assert "matches" in result.stdout and "…" not in result.stdout  # reasons wrap, they are not cut


def test_the_table_says_what_held_a_matching_config_file_down(make_repo) -> None:
    """The YAML file matches every word of the issue yet ranks below the code; its row says why."""
    root = make_repo(
        {
            "shop/__init__.py": "",
            "shop/prices.py": "def apply_discount(amount):\n    return amount * 0.9\n",
            "shop/cart.py": "from shop.prices import apply_discount\n\n\nclass Cart:\n"
            "    def checkout_total(self, items):\n        return apply_discount(sum(items))\n",
            "deploy/checkout.yml": "checkout:\n  discount: 0.9\n  discount_rounding: half_up\n  total: checkout total\n",
        }
    )
    build_index(root, config=EmbeddingConfig(dense="none"), progress=False)
    result = cli(root, "context", "The checkout total applies the discount rounding twice", "--no-refresh")
    assert result.returncode == 0, result.stderr
    rows = [[cell.strip() for cell in line.split("│")] for line in result.stdout.splitlines() if "│" in line]
    files = [row[2] for row in rows]  # | # | file | score | reasons |, one line a file at this width
    config = files.index("deploy/checkout.yml")
    assert "held down by not_code" in rows[config][4]
    assert files.index("shop/cart.py") < config
    assert not any("held down" in row[4] for row in rows[:config])
