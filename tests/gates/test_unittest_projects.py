"""A project that runs its tests with unittest alone has them collected as unittest collects them."""

from __future__ import annotations

from tests.conftest import diff_of
from tools.gates import review

TESTS = (
    "import unittest\n\nfrom stack import push\n\n\n"
    "class TestBasePush:  # shared by the TestCase classes below, as CPython's tests share theirs\n"
    "    def test_push(self):\n        with self.subTest(x=1):\n            self.assertEqual(push([], 1), [1])\n\n\n"
    "class TestPush(TestBasePush, unittest.TestCase):\n    pass\n\n\n"
    "def test_helper_named_like_a_test():  # unittest never runs a module's functions\n"
    "    raise AssertionError('not a test under unittest')\n"
)
PROJECT = {
    "tox.ini": "[testenv]\ncommands = python -m unittest discover -s tests\n",
    "stack.py": "def push(items, x):\n    return [*items, x]\n",
    "tests/__init__.py": "",
    "tests/test_stack.py": TESTS,
}
MORE = "    def test_push_two(self):\n        self.assertEqual(push([1], 2), [1, 2])\n\n\nclass TestPush("


def gate_of(result):  # not test*: pytest would collect it
    return next(g for g in result.gates if g.name == "tests")


def test_a_unittest_project_runs_its_testcases_only_as_unittest_does(make_repo) -> None:
    """contextlib2 runs ``python -m unittest discover`` and keeps tests shared by its TestCase classes in a mixin,
    ``TestBaseExitStack``, as CPython does: pytest collected the mixin by its name and ran it alone, where
    ``self.subTest`` does not exist, and a sync of those tests from CPython was blocked. Now the tests are those
    unittest runs: a new shared test passes through the TestCase that inherits it, and a break is refused."""
    root = make_repo(PROJECT)
    grown = review(root, diff_of(root, {"tests/test_stack.py": TESTS.replace("class TestPush(", MORE)}))
    assert grown.passed and gate_of(grown).findings == [], gate_of(grown)
    assert gate_of(grown).checked.startswith("2 test(s) ran from 1 file(s)"), gate_of(grown)
    broken = review(root, diff_of(root, {"stack.py": "def push(items, x):\n    return [*items, x, x]\n"}))
    assert not broken.passed and [f.rule for f in gate_of(broken).findings] == ["tests.new-failure"]
