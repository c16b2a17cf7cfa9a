"""Ranking and packing: what the issue names comes first, with the reason shown."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from retrieval.context import count_tokens, pack
from retrieval.embeddings import EmbeddingConfig
from retrieval.index import build_index, open_index
from retrieval.mentions import extract
from retrieval.rank import rank
from retrieval.signals import SIGNALS, compute
from retrieval.static_tables import StaticTables

ROOT = Path(__file__).resolve().parents[2]
REPO = {
    "shop/__init__.py": "",
    "shop/cart.py": "from shop.prices import apply_discount\n\n\nclass Cart:\n"
    "    def checkout_total(self, items):\n        return apply_discount(sum(items))\n",
    "shop/prices.py": "def apply_discount(amount):\n    return amount * 0.9\n",
    "shop/users.py": "def user_name(user):\n    return user.name.title()\n",
    "tests/test_cart.py": "from shop.cart import Cart\n\n\ndef test_checkout_total():\n"
    "    assert Cart().checkout_total([1]) == 1\n",
    "docs/guide.md": "The discount is applied at checkout. Discount discount discount.\n",
}


def indexed(make_repo):
    root = make_repo(REPO)
    build_index(root, config=EmbeddingConfig(dense="none"), progress=False)
    return root, open_index(root)


def test_mentions_cover_paths_frames_modules_identifiers_and_tests() -> None:
    m = extract(
        'Traceback:\n  File "/site-packages/shop/cart.py", line 6, in checkout_total\n'
        "Calling `Cart.checkout_total()` in shop.prices breaks; see shop/users.py and test_checkout_total."
    )
    assert m.frames == [("/site-packages/shop/cart.py", 6, "checkout_total")]
    assert "shop/users.py" in m.paths
    assert "shop.prices" in m.modules
    assert m.identifiers["checkout_total"] == 1.0 and "Cart" in m.identifiers
    assert m.tests == ["test_checkout_total"]


def test_a_stack_frame_ranks_its_file_first_with_the_reason(make_repo) -> None:
    _, index = indexed(make_repo)
    ranking = rank(index, 'It crashes:\n  File "/usr/lib/site-packages/shop/users.py", line 2, in user_name\n')
    top = ranking.files[0]
    assert top.path == "shop/users.py"
    named = next(r for r in top.reasons if r.signal == "named")
    assert "innermost frame" in named.detail and "user_name" in named.detail


def test_identifier_beats_docs_and_pulls_in_import_neighbours(make_repo) -> None:
    _, index = indexed(make_repo)
    files = [f.path for f in rank(index, "The discount from `apply_discount` is wrong at checkout").files]
    assert files[0] == "shop/prices.py"
    assert files.index("shop/cart.py") < files.index("docs/guide.md")
    cart = next(f for f in rank(index, "`apply_discount` is wrong").files if f.path == "shop/cart.py")
    assert any(r.signal == "import_graph" for r in cart.reasons)


def test_current_file_locality_is_a_reason(make_repo) -> None:
    _, index = indexed(make_repo)
    ranking = rank(index, "something about names", current_file="shop/cart.py")
    users = next(f for f in ranking.files if f.path == "shop/users.py")
    assert any(r.signal == "locality" for r in users.reasons)


def test_packed_context_fits_the_budget_and_has_path_headers(make_repo) -> None:
    _, index = indexed(make_repo)
    for budget in (120, 400, 4000):
        packed = pack(index, "checkout total with discount", budget=budget)
        assert packed.tokens <= budget and count_tokens(packed.text) <= budget
    packed = pack(index, "checkout total with discount", budget=4000)
    assert "## Repository map" in packed.text and "## shop/cart.py:" in packed.text
    assert "def checkout_total" in packed.text


def test_context_command_json(make_repo) -> None:
    root, _ = indexed(make_repo)
    env = dict(os.environ)
    (root / ".patchgate.toml").write_text('[index]\ndense = "none"\n')
    result = subprocess.run(
        [sys.executable, "-P", "-m", "patchgate", "context", "--json", "-"],
        cwd=root,
        env=env,
        input="user_name returns the wrong case",
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout.strip().splitlines()[-1])
    assert payload["files"][0]["path"] == "shop/users.py"
    assert payload["files"][0]["reasons"][0]["signal"] in {"named", "lexical_file", "lexical_chunk"}
    empty = subprocess.run(
        [sys.executable, "-P", "-m", "patchgate", "context", ""], cwd=root, env=env, capture_output=True, text=True
    )
    assert empty.returncode == 2 and empty.stderr.startswith("error: no issue text")


def test_innermost_frame_named_test_and_unique_code_symbol_point_at_their_files(make_repo) -> None:
    _, index = indexed(make_repo)
    trace = (
        'Traceback (most recent call last):\n  File "/app/shop/cart.py", line 6, in checkout_total\n'
        '  File "/app/shop/prices.py", line 2, in apply_discount\nTypeError: bad operand\n'
    )
    files = {f.path: f for f in rank(index, trace).files}
    inner = next(r for r in files["shop/prices.py"].reasons if r.signal == "named")
    outer = next(r for r in files["shop/cart.py"].reasons if r.signal == "named")
    assert "innermost" in inner.detail and "innermost" not in outer.detail and inner.score >= outer.score
    tested = rank(index, "test_user_name fails on the new CI image").files
    assert any(
        r.signal == "test_target" and "test_user_name" in r.detail
        for f in tested
        if f.path == "shop/users.py"
        for r in f.reasons
    )
    coded = {f.path: f for f in rank(index, "The result of `apply_discount` looks off").files}
    assert any(r.signal == "unique_code" for r in coded["shop/prices.py"].reasons)
    assert not any(r.signal == "unique_code" for r in coded["shop/cart.py"].reasons)


def test_a_quoted_message_points_at_the_file_that_holds_it_verbatim(make_repo) -> None:
    root = make_repo(
        {
            **REPO,
            "shop/prices.py": REPO["shop/prices.py"] + "\n\ndef check(amount, price):\n"
            "    if amount > price:\n        raise ValueError(f'Discount must stay below the item price, "
            "got {amount}')\n",
            "shop/users.py": REPO["shop/users.py"] + "\n\ndef bad(user):\n"
            "    raise AttributeError('User object has no attribute name')\n",
            "shop/legacy.py": "NOTE = 'the cart total at checkout is kept in the cart for checkout'\n",
            "shop/session.py": "# the cart total at checkout is kept per session\n",
        }
    )
    build_index(root, config=EmbeddingConfig(dense="none"), progress=False)
    index = open_index(root)
    issue = "Payment crashes:\nValueError: Discount must stay below the item price, got 0.5\n"
    sig = compute(index, issue)
    named = dict(zip(sig.files, sig.values[:, SIGNALS.index("named")], strict=True))
    assert named["shop/prices.py"] == 1.0 and named["shop/cart.py"] < 1.0
    assert "Discount must stay below the item" in sig.details["named"][sig.files.index("shop/prices.py")]
    assert rank(index, issue).files[0].path == "shop/prices.py"
    # the interpreter's own message names no file of the repository, even one that happens to hold it
    builtin = compute(index, "AttributeError: 'User' object has no attribute 'name' when rendering the cart")
    assert not any("quoted" in detail for detail in builtin.details["named"].values())
    # a message two source files hold points at both, half as strongly
    shared = compute(index, 'The log says "the cart total at checkout is kept" twice')
    both = dict(zip(shared.files, shared.values[:, SIGNALS.index("named")], strict=True))
    assert both["shop/legacy.py"] == both["shop/session.py"] == 0.5
    assert sum("quoted" in detail for detail in shared.details["named"].values()) == 2


def test_functions_lead_with_the_ones_the_traceback_runs_through(make_repo) -> None:
    _, index = indexed(make_repo)
    trace = (
        'It crashes:\n  File "/app/shop/cart.py", line 6, in checkout_total\n'
        '  File "/app/shop/prices.py", line 2, in apply_discount\nTypeError: bad operand\n'
    )
    functions = rank(index, trace).functions
    assert {f.chunk.name for f in functions[:2]} == {"Cart.checkout_total", "apply_discount"}
    assert all(any(r.signal == "frame" for r in f.reasons) for f in functions[:2])
    assert 0.0 < functions[-1].score <= functions[0].score < 1.0  # the fitted chance the fix is in each
    assert abs(sum(f.score for f in functions) - 1.0) < 1e-5


CONFIGURED = {
    **REPO,
    "deploy/checkout.yml": "checkout:\n  discount: 0.9\n  discount_rounding: half_up\n  total: checkout total\n",
}


def test_a_config_file_full_of_the_issue_s_words_ranks_below_the_code_unless_the_issue_names_it(make_repo) -> None:
    """Fixes of a code repository's issues land in its code: a YAML file repeating the issue's words is held down
    (the reason says why), but one the issue names by path is ranked on its evidence like any file."""
    root = make_repo(CONFIGURED)
    build_index(root, config=EmbeddingConfig(dense="none"), progress=False)
    index = open_index(root)
    files = rank(index, "The checkout total applies the discount rounding twice").files
    order = [f.path for f in files]
    assert order.index("shop/prices.py") < order.index("deploy/checkout.yml")
    config = files[order.index("deploy/checkout.yml")]
    held = next(r for r in config.reasons if r.signal == "not_code")
    assert held.score < 0
    naming = "deploy/checkout.yml sets the discount rounding wrong"
    named = compute(index, naming)
    not_code = dict(zip(named.files, named.values[:, SIGNALS.index("not_code")], strict=True))
    assert not_code["deploy/checkout.yml"] == 0.0 and not_code["docs/guide.md"] == 1.0
    assert rank(index, naming).files[0].path == "deploy/checkout.yml"


def test_a_repository_without_code_holds_none_of_its_files_down(make_repo) -> None:
    """Kubernetes manifests or a docs site: every file is text, so no file is damped for being text."""
    root = make_repo({"base/deploy.yaml": "kind: Deployment\nreplicas: 3\n", "README.md": "Manifests for the shop.\n"})
    build_index(root, config=EmbeddingConfig(dense="none"), progress=False)
    sig = compute(open_index(root), "the Deployment has too many replicas")
    assert not sig.values[:, SIGNALS.index("not_code")].any()


def test_an_index_of_the_tuned_encoder_ranks_with_the_trees_fitted_on_its_cosines(make_repo) -> None:
    """The tuned encoder's cosines are spread otherwise than the static model's, so its index is ranked by the
    trees fitted on them (``fusion_tuned.json``), and the file the issue describes still comes first, with the
    dense reason shown."""
    from retrieval.rank import TUNED_TREES_FILE, model

    root = make_repo(REPO)
    build_index(root, config=EmbeddingConfig(dense="tuned", device="cpu"), progress=False)
    index = open_index(root)
    assert index.dense_kind == "tuned"
    assert json.loads(TUNED_TREES_FILE.read_text(encoding="utf-8"))["dense"] == "tuned"
    assert model("tuned").signals == model("static").signals and model("tuned") is not model("static")
    top = rank(index, "The discount applied to an amount is wrong: apply_discount should take 10 percent off").files[0]
    assert top.path == "shop/prices.py"
    dense = next(r for r in top.reasons if r.signal == "dense")  # what the trained encoder's closeness means
    assert dense.detail.endswith("(lines 1-2), like code fixed for similar reports"), dense.detail


def test_an_index_is_searched_with_the_encoder_that_made_its_vectors(make_repo, monkeypatch) -> None:
    """``auto`` resolves per machine (tuned where the CPU has AMX, static on a CPU without bfloat16, and it meant
    static everywhere before): an index built under one choice is searched with that encoder, not with another's
    queries against its vectors."""
    from retrieval import embeddings

    monkeypatch.setattr(embeddings, "_cpu_flags", lambda: frozenset({"amx_bf16"}))
    root = make_repo(REPO)
    build_index(root, config=EmbeddingConfig(device="cpu"), progress=False)
    monkeypatch.setattr(embeddings, "_cpu_flags", frozenset)  # read where auto would mean the static model
    index = open_index(root)
    assert index.dense_kind == "tuned"
    top = rank(index, "The discount applied to an amount is wrong: apply_discount should take 10 percent off").files[0]
    assert top.path == "shop/prices.py" and any(r.signal == "dense" for r in top.reasons)


def test_on_a_cpu_auto_indexes_with_the_tuned_encoder_what_fits_and_switches_back_without_embedding_again(
    make_repo, monkeypatch, tmp_path: Path, static_folder: Path
) -> None:
    """On a CPU with bfloat16 instructions the tuned encoder embeds 120-420 chunks a second on two cores, by the
    machine: ``auto`` gives it a repository whose first index fits the time at the rate timed here, and the static
    model one beyond. A repository that grows past the limit is indexed again with the static model and searched
    with it; back under the limit, its chunks' tuned vectors come from the vector cache, none embedded again."""
    from retrieval import embeddings, encoder_rate

    monkeypatch.setenv("PATCHGATE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(embeddings, "_cpu_flags", lambda: frozenset({"avx512_bf16"}))
    monkeypatch.setattr(encoder_rate, "_measure", lambda embed: 100.0)  # chunks/s; timing itself: test_encoder_rate
    monkeypatch.setattr(embeddings, "_distilled", lambda model: static_folder)  # a random table, not 15 s of distilling
    monkeypatch.setattr(embeddings, "_static_model", lambda model: StaticTables(static_folder))
    root = make_repo(REPO)
    config = EmbeddingConfig(device="cpu")
    first = build_index(root, config=config, progress=False)
    assert first.dense == "tuned" and open_index(root).dense_kind == "tuned"
    issue = "The discount applied to an amount is wrong: apply_discount should take 10 percent off"
    assert rank(open_index(root), issue).files[0].path == "shop/prices.py"

    monkeypatch.setattr(embeddings, "TUNED_VECTOR_SECONDS", first.chunks / 100)  # the limit: this many chunks
    (root / "shop" / "tax.py").write_text("def vat(amount):\n    return amount * 0.2\n")
    grown = build_index(root, config=config, progress=False)
    assert grown.chunks > first.chunks and grown.dense == "static" and open_index(root).dense_kind == "static"

    (root / "shop" / "tax.py").unlink()
    back = build_index(root, config=config, progress=False)
    assert back.dense == "tuned" and open_index(root).dense_kind == "tuned"
    assert back.embedded == 0 and back.reused_vectors == first.chunks
    top = rank(open_index(root), issue).files[0]
    assert top.path == "shop/prices.py" and any(r.signal == "dense" for r in top.reasons)


def test_a_first_index_that_distils_the_static_model_shows_its_bar_between_the_others(
    make_repo, monkeypatch, tmp_path: Path, static_folder: Path
) -> None:
    """The encoder is chosen once the parse has counted the chunks, and distilling the static model (once per
    machine) shows a bar of its own: it runs between the parse's bar and the embedding's, never inside one, since
    rich before 14.1 (pyproject allows 13) refuses a second live display."""
    import shutil
    from collections.abc import Iterator
    from contextlib import contextmanager

    from core import console
    from retrieval import embeddings

    shown = console.progress
    open_bars: list[object] = []
    most_open = 0

    @contextmanager
    def counted(**options: bool) -> Iterator[object]:
        nonlocal most_open
        with shown(**options) as bar:
            open_bars.append(bar)
            most_open = max(most_open, len(open_bars))
            try:
                yield bar
            finally:
                open_bars.pop()

    def distil(model: str, path: Path) -> None:  # the real one's bar, then a random table instead of 15 s of work
        with console.progress(transient=False) as bar:
            bar.add_task("distilling the embedding model (tokens)", total=1)
        shutil.copytree(static_folder, path)
        distilled.append(path)

    distilled: list[Path] = []
    monkeypatch.setattr(console, "progress", counted)
    monkeypatch.setenv("PATCHGATE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(embeddings, "_cpu_flags", frozenset)  # no bfloat16: auto means the static model
    monkeypatch.setattr(embeddings, "_distill", distil)
    monkeypatch.setattr(embeddings, "_static_model", lambda model: StaticTables(static_folder))
    root = make_repo(REPO)
    stats = build_index(root, config=EmbeddingConfig(device="cpu"), progress=True)
    assert stats.dense == "static" and len(distilled) == 1 and open_index(root).dense_kind == "static"
    assert most_open == 1, "a bar opened inside another"
