"""Chunks, symbols and imports as a reader of the code would name them."""

from __future__ import annotations

from retrieval.chunking import chunk_file
from retrieval.graph import python_imports, resolve_imports

PY = '''import os


class Cart:
    """A cart."""

    TAX = 0.2

    def total(self, items):
        return sum(items)

    @property
    def empty(self):
        return True


def helper(x):
    return x
'''


def test_python_functions_methods_and_classes() -> None:
    chunks = {(c.kind, c.name): c for c in chunk_file("python", PY).chunks}
    assert set(chunks) == {
        ("module", ""),
        ("class", "Cart"),
        ("method", "Cart.total"),
        ("method", "Cart.empty"),
        ("function", "helper"),
    }
    total = chunks[("method", "Cart.total")]
    assert (total.start_line, total.end_line) == (9, 10)
    assert total.signature == "class Cart:\n    def total(self, items):"
    empty = chunks[("method", "Cart.empty")]
    assert empty.start_line == 12 and "def empty" in empty.signature  # decorator included, signature is the def
    cart = chunks[("class", "Cart")]
    assert "TAX = 0.2" in cart.text and "return sum(items)" not in cart.text


def test_javascript_and_go_definitions() -> None:
    js = chunk_file("javascript", "class Shop {\n  checkout(cart) {\n    return cart;\n  }\n}\nfunction pay() {}\n")
    assert {(c.kind, c.name) for c in js.chunks} >= {
        ("class", "Shop"),
        ("method", "Shop.checkout"),
        ("function", "pay"),
    }
    go = chunk_file("go", "package shop\n\nfunc (s *Shop) Checkout() int {\n\treturn 1\n}\n\nfunc Pay() {}\n")
    assert {c.name for c in go.chunks if c.kind == "function"} == {"Checkout", "Pay"}


def test_unknown_language_falls_back_to_line_windows() -> None:
    text = "\n".join(f"line {i}" for i in range(130))
    chunks = chunk_file("text", text).chunks
    assert [c.kind for c in chunks] == ["window"] * 3
    assert chunks[0].start_line == 1 and chunks[1].start_line == 51 and chunks[-1].end_line == 130


def test_relative_absolute_and_src_layout_imports_resolve() -> None:
    raw = {
        "src/shop/__init__.py": python_imports("from .cart import Cart\n"),
        "src/shop/cart.py": python_imports("import os\nfrom . import prices\nfrom ..shop.util import fmt\n"),
        "src/shop/prices.py": [],
        "src/shop/util.py": [],
        "app.py": python_imports("import shop.cart\nfrom shop import prices\n"),
    }
    edges = {(e.src, e.dst) for e in resolve_imports(raw) if e.dst}
    assert edges == {
        ("src/shop/__init__.py", "src/shop/cart.py"),
        ("src/shop/cart.py", "src/shop/__init__.py"),
        ("src/shop/cart.py", "src/shop/prices.py"),
        ("src/shop/cart.py", "src/shop/util.py"),
        ("app.py", "src/shop/cart.py"),
        ("app.py", "src/shop/__init__.py"),
        ("app.py", "src/shop/prices.py"),
    }
