"""Each folder of tests collected once, however many of its files pytest is given by name.

A review runs the selected test files by name (``pytest a/test_1.py a/test_2.py ...``). pytest 8 collects a
file named on its command line by collecting its folder and keeping the file's node, and it collects the folder
again for every file named (``Session.collect``: a file given twice must run twice, so that level is never taken
from its cache). A folder of n test files named one by one is n collections of n files: XlsxWriter's 1,019
comparison tests, all selected by a change to its image module, took 140 s to run where ``pytest
xlsxwriter/test`` took 23 s, and its review 256 s. The plugin (``PLUGIN``, written into the run's scratch folder
beside the test scripts' and loaded with ``-p``) answers a folder's collection from its first answer, the same
nodes, so each folder is listed once and the files named are what runs, as before.

Files named twice are never given (the selection names each once), so pytest's reason for collecting again does
not arise. pytest older than 8 has no ``pytest.Directory`` and did not collect that way: there the plugin does
nothing.
"""

from __future__ import annotations

PLUGIN_NAME = "patchgate_collect_once"

# Runs under the project's own Python and pytest (pytest 6.1-9.x, Python 3.6-3.11): no annotations, the
# old-style hook wrapper every pytest of those reads.
PLUGIN = '''"""patchgate: each folder of tests collected once, however many of its files are named."""
import pytest

DIRECTORY = getattr(pytest, "Directory", None)
REPORTS = {}


def _folder(collector):
    return DIRECTORY is not None and isinstance(collector, DIRECTORY)


class _Answer:
    @pytest.hookimpl(tryfirst=True)
    def pytest_make_collect_report(self, collector):
        return REPORTS.get(collector) if _folder(collector) else None


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    if _folder(collector):
        REPORTS.setdefault(collector, outcome.get_result())


def pytest_configure(config):
    config.pluginmanager.register(_Answer(), "patchgate-collect-once-answer")
'''
