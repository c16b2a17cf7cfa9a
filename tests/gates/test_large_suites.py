"""The tests gate on a large suite: many selected files in one folder, run as one pytest run.

Speed is measured in ``benchmarks/bench_review_history.py`` (XlsxWriter, python-statemachine); these tests check
the mechanism that makes it so, and that what runs and what is judged stay as they were.
"""

from __future__ import annotations

import pytest

from tests.conftest import diff_of
from tests.gates.test_tests_gate import gate_report
from tools.gates import review


@pytest.mark.parametrize("package", [False, True], ids=["folder", "package"])
def test_a_folder_of_many_selected_test_files_is_collected_once_and_each_file_runs(make_repo, package: bool) -> None:
    """pytest 8 collects a named file's whole folder again for every file named: XlsxWriter's 1,019 comparison
    tests, selected by one change to its image module, ran in 140 s instead of 23 s, and the review took 256 s
    (``benchmarks/bench_review_history.py``). Each file is offered to collection once now, every selected file
    still runs, and a break in one of them is still its file's."""
    seen = (
        "import pytest\n\nSEEN = {}\n\n\ndef pytest_collect_file(file_path, parent):\n"
        "    SEEN[file_path.name] = SEEN.get(file_path.name, 0) + 1\n\n\n"
        "@pytest.fixture\ndef seen():\n    return SEEN\n"
    )
    files = {
        f"tests/test_sheet{n:02}.py": f"from calc.core import cell\n\n\ndef test_{n}():\n    assert cell({n}) == {n}\n"
        for n in range(12)
    }
    files["tests/test_seen.py"] = (
        "import calc.core\n\n\ndef test_each_file_once(seen):\n    assert max(seen.values()) == 1, seen\n"
    )
    root = make_repo(
        {
            "calc/__init__.py": "",
            "calc/core.py": "def cell(n):\n    return n\n",
            "tests/conftest.py": seen,
            **files,
            **({"tests/__init__.py": ""} if package else {}),
        }
    )
    documented = gate_report(
        review(root, diff_of(root, {"calc/core.py": '"""Cells."""\n\n\ndef cell(n):\n    return n\n'}))
    )
    assert documented.passed and not documented.findings, documented
    assert "13 test(s) ran from 13 file(s)" in documented.checked, documented.checked
    broken = gate_report(review(root, diff_of(root, {"calc/core.py": "def cell(n):\n    return n or 1\n"})))
    assert [(f.rule, f.path) for f in broken.findings] == [("tests.new-failure", "tests/test_sheet00.py")], broken
