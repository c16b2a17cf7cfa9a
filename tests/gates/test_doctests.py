"""With --doctest-modules, a module's examples are tests: selected as tests are, and their failures said plainly."""

from __future__ import annotations

from tests.conftest import diff_of
from tools.gates import review


def gate_report(result):  # not test*: pytest would collect it
    return next(g for g in result.gates if g.name == "tests")


DOCTESTED = {
    "pytest.ini": "[pytest]\naddopts = --doctest-modules\n",
    "setup.py": '"""Setup.\n\n>>> 1 + 1\n3\n"""\n',  # pytest's doctest plugin never collects setup.py
    "words/__init__.py": "from words.case import shout\n",
    "words/case.py": 'def shout(text):\n    """Loud.\n\n    >>> shout("hi")\n    \'HI!\'\n    """\n'
    '    return text.upper() + "!"\n',
    "words/greet.py": 'from words import shout\n\n\ndef hello():\n    """Greet.\n\n    >>> hello()\n    \'HELLO!\'\n'
    '    """\n    return shout("hello")\n',
    "words/plain.py": "def noop():\n    return None\n",  # no example: no doctest to run
}


def test_with_doctest_modules_a_modules_examples_are_its_tests(make_repo) -> None:
    """jaraco's projects (``--doctest-modules`` in addopts) keep their tests in their modules' docstrings: a fix
    to jaraco.context's only module ran no test ("no related tests"). The changed module's examples run, and those
    of every module that imports it, through a package's re-export too; a module with no example is not a test."""
    root = make_repo(DOCTESTED)
    prose = DOCTESTED["words/case.py"].replace("Loud.", "Shout the text.")
    fine = gate_report(
        review(root, diff_of(root, {"words/case.py": prose, "words/plain.py": "def noop():\n    pass\n"}))
    )
    assert fine.passed and fine.checked.startswith("2 test(s) ran from 2 file(s)"), fine
    assert "words/case.py (doctests of a changed module)" in fine.checked
    assert "words/greet.py (doctests: imports words, which imports words.case (changed))" in fine.checked
    broken = DOCTESTED["words/case.py"].replace('"!"', '"?"').replace("'HI!'", "'HI?'")  # its own example follows
    report = gate_report(review(root, diff_of(root, {"words/case.py": broken})))
    assert not report.passed
    assert [f.rule for f in report.findings] == ["tests.new-failure"]
    assert report.findings[0].message == (  # the example and what it printed, not the docstring's first line
        "words.greet::words.greet.hello fails: >>> hello(): expected 'HELLO!', got 'HELLO?'"
    )


def test_doctest_modules_given_on_the_projects_command_line_counts_too(make_repo) -> None:
    """multipledispatch's CI runs ``py.test --doctest-modules multipledispatch`` and configures no addopts: its
    modules' examples are tests as the command runs them, and a break of one is refused."""
    files = {**DOCTESTED, ".travis.yml": "script:\n  - py.test --doctest-modules words\n"}
    del files["pytest.ini"]
    root = make_repo(files)
    prose = DOCTESTED["words/case.py"].replace("Loud.", "Shout the text.")
    fine = gate_report(review(root, diff_of(root, {"words/case.py": prose})))
    assert fine.passed and fine.checked.startswith("2 test(s) ran from 2 file(s)"), fine
    broken = DOCTESTED["words/case.py"].replace('"!"', '"?"')
    report = gate_report(review(root, diff_of(root, {"words/case.py": broken})))
    assert [f.rule for f in report.findings] == ["tests.new-failure", "tests.new-failure"], report
