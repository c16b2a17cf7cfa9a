"""Whose failure a run in which no FAIL_TO_PASS test ran is: the prediction's (unresolved, as the harness calls it)
or the harness's own (error)."""

from __future__ import annotations

from pathlib import Path

from evaluation.instance import _patch_failure

# scikit-learn 0.22's tests on Python 3.6, the empty patch: the test patch imports the name the fix adds, and 3.6's
# ImportError does not say from where
PY36_LOG = """\
ImportError while importing test module '/tmp/w/tree/sklearn/utils/tests/test_utils.py'.
Traceback:
sklearn/utils/tests/test_utils.py:31: in <module>
    from sklearn.utils import _to_object_array
E   ImportError: cannot import name '_to_object_array'
"""


def blame(tmp_path: Path, log: str, package: str = "sklearn") -> str:
    (tmp_path / "tree" / package).mkdir(parents=True)
    (tmp_path / "log.txt").write_text(log, encoding="utf-8")
    return _patch_failure("", tmp_path / "tree", tmp_path / "log.txt", "none of the FAIL_TO_PASS tests ran")


def test_a_name_the_tests_import_from_the_repository_on_python_3_6_is_the_prediction_s_to_define(
    tmp_path: Path,
) -> None:
    """The empty patch was "error" (the harness's failure) where the harness says unresolved."""
    assert blame(tmp_path, PY36_LOG) == (
        "the tests import _to_object_array from sklearn.utils, which the prediction does not define"
    )


def test_a_name_missing_from_a_package_outside_the_tree_stays_the_harness_s_error(tmp_path: Path) -> None:
    """The environment lacks what the tests import: nothing a prediction does makes it run."""
    log = PY36_LOG.replace("sklearn.utils import", "scipy.sparse import")
    assert blame(tmp_path, log) == ""
