"""How long tests may run: the whole run's limit, and each test's (``tools.hanglimit``), on the change and the base.

A run past its limit is the change's only where the base finishes the same tests; a test that hangs is cut at its
own limit and named, and the others go on to judge the change.
"""

from __future__ import annotations

from core.settings import TestSettings
from tests.conftest import diff_of
from tests.gates.test_tests_gate import gate_report
from tools import hanglimit
from tools.gates import review

# The whole run's limit in the tests below: long enough for pytest to start and reach the test on a loaded 2-core
# machine (2 s was not, at load 6: the base's run was cut before its test ran). Each test is cut at a fifth of it.
HANG_LIMIT = 8
PER_TEST = hanglimit.per_test_limit(HANG_LIMIT)
# a dozen tests that each take X - 1 seconds: within each one's limit, past the whole run's when X is 2
SLOW_TESTS = "".join(f"\ndef test_{n}():\n    time.sleep(X - 1)\n" for n in range(12))
DOZEN = "import time\nfrom slow import X\n\n" + SLOW_TESTS


def test_a_run_past_its_time_fails_the_gate_when_the_base_finishes(make_repo) -> None:
    """A change that makes its tests slow past the run's limit is refused, saying the base finished them and how to
    give them more time."""
    root = make_repo({"slow.py": "X = 1\n", "tests/test_slow.py": DOZEN})
    diff = diff_of(root, {"slow.py": "X = 2\n"})
    report = gate_report(review(root, diff, tests=TestSettings(timeout=HANG_LIMIT)))
    assert not report.passed and report.findings[0].rule == "tests.not-run"
    message = report.findings[0].message
    assert f"within {HANG_LIMIT} s (more time: review --timeout or [tool.patchgate.tests] timeout)" in message
    assert message.endswith("on the base they finished (12 ran)")


def test_a_test_the_change_makes_hang_is_cut_and_named(make_repo) -> None:
    """A loop the change adds hangs one test: it is cut at its own limit and named, the run goes on, and the base,
    where it passed at once, makes it the change's failure; beside a test that waits on every commit, cut with the
    same words, it is still the change's (tried as a user: the loop committed, read as the environment's error)."""
    root = make_repo(
        {
            "slow.py": "X = 1\n",
            "tests/test_slow.py": "import time\nfrom slow import X\n\n\ndef test_slow():\n    time.sleep(X * 30 - 30)\n",
            "tests/test_server.py": "import time\n\nimport slow\n\n\ndef test_waits():\n    time.sleep(60)\n",
        }
    )
    report = gate_report(review(root, diff_of(root, {"slow.py": "X = 2\n"}), tests=TestSettings(timeout=HANG_LIMIT)))
    assert not report.passed
    (finding,) = [f for f in report.findings if f.severity == "error"]
    assert finding.rule == "tests.new-failure" and finding.message.startswith("tests.test_slow::test_slow fails:")
    assert f"{hanglimit.HUNG} {PER_TEST:g} s" in finding.message
    (old,) = [f.message for f in report.findings if f.rule == "tests.pre-existing-failure"]
    assert "tests.test_server::test_waits" in old


def test_a_hang_on_both_sides_is_cut_and_the_other_tests_still_judge(make_repo) -> None:
    """A test that waits forever on every commit (a server absent here) used the run's whole limit, and every
    review said the tests did not finish, here or on the base. The hanging test is cut and is the base's failure;
    a break beside it is still refused, and a docstring fix passes."""
    module = "def f():\n    return 1\n"
    root = make_repo(
        {
            "m.py": module,
            "tests/test_hang.py": "import time\nfrom m import f\n\n\ndef test_waits():\n    time.sleep(60)\n",
            "tests/test_m.py": "from m import f\n\n\ndef test_f():\n    assert f() == 1\n",
        }
    )
    for change, code in [("break", module.replace("1", "2")), ("docstring", '"""One."""\n' + module)]:
        report = gate_report(review(root, diff_of(root, {"m.py": code}), tests=TestSettings(timeout=HANG_LIMIT)))
        errors = [f.message for f in report.findings if f.severity == "error"]
        if change == "break":
            assert not report.passed and len(errors) == 1 and errors[0].startswith("tests.test_m::test_f fails")
        else:
            assert report.passed and not report.skipped and not errors, report
        (old,) = [f.message for f in report.findings if f.rule == "tests.pre-existing-failure"]
        assert "tests.test_hang::test_waits" in old


def test_a_test_cut_on_the_change_that_was_slow_on_the_base_judges_nothing(make_repo) -> None:
    """A test that took most of its limit on the base may be cut on the change for the machine's load alone: a
    warning that says so, not the change's failure."""
    slow = PER_TEST * 0.6  # past a quarter of the limit: slow here
    root = make_repo(
        {
            "slow.py": "X = 1\n",
            "tests/test_slow.py": f"import time\nfrom slow import X\n\n\ndef test_slow():\n    time.sleep({slow} * X)\n",
        }
    )
    report = gate_report(review(root, diff_of(root, {"slow.py": "X = 50\n"}), tests=TestSettings(timeout=HANG_LIMIT)))
    assert report.passed, report
    (finding,) = report.findings
    assert finding.rule == "tests.too-slow" and finding.severity == "warning"
    assert "too slow on this machine to tell a hang from the load, so it judges nothing" in finding.message


def test_a_run_past_its_time_on_the_base_too_judges_nothing(make_repo) -> None:
    """cachelib's version bump selected all its tests, which wait on servers absent here on every commit: blocked
    for "tests did not finish within 600 s". The base does not finish them either, so they judge nothing; and
    what the sandbox stopped them doing on both sides is the suite's (pip-tools' tests write into the venv)."""
    probe = (
        "\ndef test_probe():\n    try:\n        open('/usr/patchgate-probe', 'w')\n    except OSError:\n        pass\n"
    )
    root = make_repo(
        {"slow.py": "X = 2\n", "tests/test_slow.py": "import time\nfrom slow import X\n\n" + probe + SLOW_TESTS}
    )
    report = gate_report(review(root, diff_of(root, {"slow.py": "X = 2.0\n"}), tests=TestSettings(timeout=HANG_LIMIT)))
    assert report.passed and report.skipped, report
    assert sorted((f.rule, f.severity) for f in report.findings) == [
        ("tests.base-broken", "warning"),
        ("tests.sandbox-blocked", "warning"),
    ]
    said = next(f.message for f in report.findings if f.rule == "tests.base-broken")
    assert f"tests did not finish within {HANG_LIMIT} s" in said and said.endswith("; on the base too")
