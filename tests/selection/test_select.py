"""``select`` on real repositories: each signal has a case where it alone decides, and bad input is refused.

The repository is a small package whose ``add`` subtracts. Its related tests
pass on the base (they only check ``add(0, 0)`` and ``add(5, 0)``), so the
tests cannot tell a right fix from a plausible wrong one: the other signals
must. Each deciding case also runs with that signal switched off and shows the
other answer, so the test proves the signal, not the setup.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.selection import SIGNALS, select
from core.settings import resolve
from tests.conftest import diff_of

OPS = "def add(a, b):\n    return a - b\n\n\ndef mul(a, b):\n    return a * b\n"
TESTS = (
    "from calc.ops import add, mul\n\n\n"
    "def test_add_zero():\n    assert add(0, 0) == 0\n\n\n"
    "def test_add_right_zero():\n    assert add(5, 0) == 5\n\n\n"
    "def test_mul():\n    assert mul(2, 3) == 6\n"
)
FILES = {"calc/__init__.py": "", "calc/ops.py": OPS, "tests/test_ops.py": TESTS}
ISSUE = (
    "add() gives the wrong sum\n\n```python\n>>> from calc.ops import add\n>>> add(2, 3)\n-1\n"
    ">>> add(-1, -1)\n0\n```\nIt should be 5 and -2.\n"
)
ALL = frozenset(SIGNALS)


def ops(body: str) -> dict[str, str]:
    """calc/ops.py with ``add``'s body replaced."""
    return {"calc/ops.py": OPS.replace("    return a - b\n", body)}


@pytest.fixture
def repo(make_repo) -> Path:
    return make_repo(FILES)


def run(repo: Path, diffs: list[str], signals=ALL, tests: str = "related", issue: str = ISSUE, progress=None):
    settings = resolve(repo, base="HEAD", review={"tests": tests})
    return select(repo, issue, diffs, settings=settings, signals=signals, progress=progress)


def test_a_patch_that_does_not_apply_or_parse_never_wins(repo: Path) -> None:
    broken = diff_of(repo, ops("    return (a + b\n"))
    stale = diff_of(repo, ops("    return a + b\n")).replace("return a - b", "return a - c")
    wrong = diff_of(repo, ops("    return a + abs(b)\n"))
    result = run(repo, [broken, stale, wrong])
    assert result.chosen == 2  # the only candidate left is chosen, though it is not the right fix
    assert [r.index for r in result.ranking][-2:] == [0, 1] or [r.index for r in result.ranking][-2:] == [1, 0]
    reasons = {r.index: r.reason for r in result.ranking}
    assert reasons[0].startswith("does not parse") and reasons[1].startswith("does not apply")
    only_errors = run(repo, [broken, stale])
    assert only_errors.chosen is None and only_errors.best is None


def test_a_test_that_passed_on_the_base_and_fails_weighs_heavily(repo: Path) -> None:
    # both fail one gate: the debug print a policy, the other the tests (add(0, 0) is 1 now)
    breaks = diff_of(repo, ops("    return a + b if a else 1\n"))
    noisy = diff_of(repo, ops("    print('debug', a, b)\n    return a + b\n"))
    said: list[str] = []
    result = run(repo, [breaks, noisy], progress=said.append)
    assert [r.index for r in result.ranking] == [1, 0]
    # what the command's status line shows while each candidate's tests run, named for the candidate
    shown = {"candidate 0: tests: 1 test file on the change", "candidate 0: tests: 1 test file on the base, to compare"}
    assert shown <= set(said), said
    assert "candidate 1: the security gate" in said, said
    assert "breaks 1 test(s) that pass on the base: " in result.ranking[1].reason
    assert "test_add_zero" in result.ranking[1].reason
    assert result.chosen is None  # neither passed every gate
    without = run(repo, [breaks, noisy], ALL - {"regressions"})
    assert without.ranking[0].index == 0  # the smaller diff then wins


def test_candidates_that_behave_alike_outvote_a_smaller_wrong_fix(repo: Path) -> None:
    wrong = diff_of(repo, ops("    return a + abs(b)\n"))  # right on add(2, 3), wrong on add(-1, -1)
    right = diff_of(repo, ops("    total = a + b\n    return total\n"))
    also_right = diff_of(repo, ops("    return sum((a, b))\n"))
    result = run(repo, [wrong, right, also_right])
    assert result.chosen in (1, 2), result.ranking
    assert "2 of 3 candidates agree (same test and probe outcomes)" in result.ranking[0].reason
    assert {"by": "behaviour", "members": [1, 2]} in result.clusters
    assert run(repo, [wrong, right, also_right], ALL - {"agreement"}).chosen == 0


def test_the_same_change_written_twice_is_one_cluster_by_its_normalized_ast(repo: Path) -> None:
    wrong = diff_of(repo, ops("    return a + abs(b)\n"))
    right = diff_of(repo, ops("    total = a + b  # the sum\n    return total\n"))
    renamed = diff_of(repo, ops("    result = (a +\n              b)\n    return result\n"))
    result = run(repo, [wrong, right, renamed], tests="none")  # no tests, no probes: only the AST can tell
    assert {"by": "change", "members": [1, 2]} in result.clusters
    assert result.chosen in (1, 2)
    assert "2 of 3 candidates agree (same change)" in result.ranking[0].reason


def test_the_candidate_that_touches_what_the_issue_names_wins(repo: Path) -> None:
    elsewhere = diff_of(repo, {"calc/ops.py": OPS.replace("a * b", "b * a")})
    named = diff_of(repo, ops("    return a + b\n"))
    result = run(repo, [elsewhere, named])
    assert result.chosen == 1
    assert "touches `ops.add` named in the issue" in result.ranking[0].reason
    assert run(repo, [elsewhere, named], ALL - {"issue"}).chosen == 0  # the smaller diff otherwise


def test_a_candidate_that_edits_the_tests_to_pass_loses(repo: Path) -> None:
    cheat = diff_of(repo, {"tests/test_ops.py": TESTS.replace("assert add(5, 0) == 5", "assert add(5, 0) in (5, -5)")})
    dropped = diff_of(repo, {"tests/test_ops.py": TESTS.replace("    assert add(0, 0) == 0\n", "    add(0, 0)\n")})
    fix = diff_of(repo, ops("    return a + b\n"))
    result = run(repo, [cheat, dropped, fix])
    assert result.chosen == 2
    reasons = {r.index: r.reason for r in result.ranking}
    assert "edits existing tests" in reasons[0] and "edits existing tests" in reasons[1]
    assert "fails gate(s) scope" in reasons[1]


def test_two_identical_patches_are_reviewed_once_and_agree(repo: Path) -> None:
    fix = diff_of(repo, ops("    return a + b\n"))
    result = run(repo, [fix, fix.replace("\n", "  \n")], tests="none")  # the second with trailing blanks
    assert result.checked.startswith("2 candidate(s), 1 distinct patch(es) reviewed")
    assert result.chosen == 0
    assert "same patch as #0" in next(r.reason for r in result.ranking if r.index == 1)


def test_no_candidates_is_bad_input(repo: Path) -> None:
    from core.errors import InputError

    with pytest.raises(InputError, match="no candidates"):
        run(repo, [])


def test_the_judge_orders_green_candidates_but_never_lifts_a_failed_one(repo: Path, tmp_path: Path) -> None:
    from agent.models.registry import resolve_model
    from agent.selection.judge import model_judge

    plain = diff_of(repo, ops("    return a + b\n"))
    spelled = diff_of(repo, ops("    return b + a  # commutative\n"))
    failing = diff_of(repo, ops("    return (a + b\n"))
    answers = tmp_path / "judge.json"
    answers.write_text(json.dumps([json.dumps({"best": 1, "reason": "reads clearly"})]))
    judge = model_judge(resolve_model(resolve(repo, model=f"scripted:{answers}"), repo))
    result = select(
        repo,
        ISSUE,
        [plain, spelled, failing],
        settings=resolve(repo, base="HEAD", review={"tests": "none"}),
        judge=judge,
    )
    assert result.chosen == 1
    assert "judge: reads clearly" in result.ranking[0].reason
    assert result.ranking[-1].index == 2


def test_a_candidate_that_changes_only_comments_cannot_be_the_fix(repo: Path) -> None:
    comment = diff_of(repo, ops("    return a - b  # fixed\n"))  # every gate passes: the tests never saw the bug
    fix = diff_of(repo, ops("    total = a + b\n    return total\n"))
    result = run(repo, [comment, fix], tests="none")
    assert result.chosen == 1
    assert "changes no code (comments, docstrings or layout only)" in result.ranking[1].reason
    assert run(repo, [comment, fix], ALL - {"change"}, tests="none").chosen == 0


def test_candidates_that_differ_only_in_comments_run_their_tests_once(repo: Path) -> None:
    fix = diff_of(repo, ops("    return a + b\n"))
    commented = diff_of(repo, ops("    # the sum, as the issue asks\n    return a + b\n"))
    result = run(repo, [fix, commented])
    assert "2 distinct patch(es) reviewed (1 the same program as another" in result.checked
    assert [r.passed for r in result.ranking] == [True, True]
    lent = result.reviews[1]
    assert (
        next(g for g in lent.gates if g.name == "tests").detail
        == next(g for g in result.reviews[0].gates if g.name == "tests").detail
    )  # the second's tests report is the first's
    assert "passes 3 of 3 related tests" in next(r.reason for r in result.ranking if r.index == 1)
