"""Exactly the named tests run, ids cut at a space still find their tests, and grading is SWE-bench's."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from evaluation.dataset import Instance
from evaluation.pytest_select import selects
from evaluation.testrun import grade

TESTS = '''
import pytest

@pytest.mark.parametrize("q", ["select * from t", "select 1", "a b"])
def test_query(q):
    assert q != "select 1"

def test_never_named():
    raise SystemExit("a test that was not asked for ran")

@pytest.mark.xfail(reason="known")
def test_known_bug():
    assert False

@pytest.mark.skip(reason="not here")
def test_skipped():
    pass

@pytest.fixture
def broken():
    raise RuntimeError("fixture fails")

def test_setup_error(broken):
    pass
'''


def run_plugin(tmp_path: Path, wanted: list[str]) -> dict:
    (tmp_path / "test_q.py").write_text(TESTS, encoding="utf-8")
    plugin = Path(__file__).parents[2] / "evaluation" / "pytest_select.py"
    shutil.copyfile(plugin, tmp_path / "pytest_select.py")
    (tmp_path / "wanted.json").write_text(json.dumps(wanted), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "PATCHGATE_EVAL_WANTED": str(tmp_path / "wanted.json"),
           "PATCHGATE_EVAL_OUTCOMES": str(tmp_path / "out.json")}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "pytest_select", "-p", "no:cacheprovider",
                           "test_q.py"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert "a test that was not asked for ran" not in proc.stdout
    return json.loads((tmp_path / "out.json").read_text())["outcomes"]


def test_only_the_named_tests_run_and_each_outcome_is_recorded(tmp_path: Path) -> None:
    outcomes = run_plugin(tmp_path, ["test_q.py::test_query[select", "test_q.py::test_known_bug",
                                     "test_q.py::test_skipped", "test_q.py::test_setup_error"])
    got = {k: v["outcome"] for k, v in outcomes.items()}
    assert got == {"test_q.py::test_query[select * from t]": "passed", "test_q.py::test_query[select 1]": "failed",
                   "test_q.py::test_known_bug": "xfail", "test_q.py::test_skipped": "skipped",
                   "test_q.py::test_setup_error": "error"}
    assert "fixture fails" in outcomes["test_q.py::test_setup_error"]["message"]


def test_an_id_cut_at_a_space_fails_if_any_test_it_names_fails() -> None:
    instance = Instance(instance_id="x", repo="a/b", base_commit="c", problem_statement="", patch="",
                        FAIL_TO_PASS=["t.py::test_q[select"], PASS_TO_PASS=["t.py::test_q[a", "t.py::test_s", "t.py::gone"])
    outcomes = {"t.py::test_q[select * from t]": {"outcome": "passed"}, "t.py::test_q[select 1]": {"outcome": "failed"},
                "t.py::test_q[a b]": {"outcome": "passed"}, "t.py::test_s": {"outcome": "skipped"}}
    result = grade(instance, outcomes)
    assert result.tests == {"t.py::test_q[select": "failed", "t.py::test_q[a": "passed", "t.py::test_s": "skipped",
                            "t.py::gone": "missing"}
    assert result.fail_to_pass_failed == ["t.py::test_q[select"]
    assert result.pass_to_pass_failed == ["t.py::gone"]  # a skipped PASS_TO_PASS test is no regression
    assert not result.resolved


def test_selects_exact_first_word_and_unclosed_prefix_only() -> None:
    assert selects("t.py::f[a", "t.py::f[a b]")
    assert selects("t.py::f", "t.py::f")
    assert not selects("t.py::f", "t.py::f_other")  # a closed id is never a prefix match
    assert not selects("t.py::f[a]", "t.py::f[a b]")
