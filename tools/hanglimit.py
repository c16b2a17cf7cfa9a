"""A test that hangs is cut at a limit of its own, and the run goes on to the others.

A review gives pytest one limit for the whole run (600 s). A change that made one test loop forever held the hook
for all of it, then was refused for "tests did not finish within 600 s" without the test's name; a test that
waits forever on every commit (for a server absent here) left every other test of the run unjudged. The plugin
(``PLUGIN``, written into the run's scratch folder and loaded with ``-p``, as ``tools.collectonce``'s is) gives
each test a fifth of the run's limit, setup and teardown included, through ``SIGALRM``: at the limit the test fails
with ``HUNG`` and pytest goes on. A test the project limits itself (pytest-timeout configured) is left to that
limit; where signals are not the main thread's to use, nothing is cut.

A cut test is compared with the base as any failure is (``tools.testcompare``): one that hangs on the base too is
a failure the base already had, one that passed there quickly (within a ``QUICK``-th of the limit) is the
change's, and one that passed there slowly is too slow on this machine to judge the change. Where every test after
a hang hangs too (tortoise-orm's, once a failed setUp left its database connection waiting), the run still
ends at its own limit.
"""

from __future__ import annotations

PLUGIN_NAME = "patchgate_hang_limit"
LIMIT_VARIABLE = "PATCHGATE_TEST_LIMIT"  # seconds each test may take
HUNG = "patchgate cut this test: it did not finish within"
SHARE = 5  # each test's limit is the run's limit over this (120 s of 600 s)
QUICK = 4  # a test the base passed within the limit over this judges a cut on the change

# Runs under the project's own Python and pytest (pytest 6.1-9.x, Python 3.6-3.11): no annotations, the
# old-style hook wrapper every pytest of those reads.
PLUGIN = '''"""patchgate: each test may take PATCHGATE_TEST_LIMIT seconds; then it fails and the run goes on."""
import os
import signal
import threading

import pytest

LIMIT = float(os.environ.get("PATCHGATE_TEST_LIMIT") or 0)


class Hung(Exception):
    pass


def _cut(signum, frame):
    raise Hung("%s %g s" % (HUNG, LIMIT))


def _own_limit(config):
    return config.pluginmanager.hasplugin("timeout") and bool(config.getini("timeout") or config.getoption("timeout", None))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    usable = (
        LIMIT > 0
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
        and not _own_limit(item.config)
    )
    if usable:
        before = signal.signal(signal.SIGALRM, _cut)
        signal.setitimer(signal.ITIMER_REAL, LIMIT)
    try:
        yield
    finally:
        if usable:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, before)
'''.replace("HUNG", repr(HUNG))


def per_test_limit(run_limit: float) -> float:
    """Each test's limit within a run of ``run_limit`` seconds."""
    return run_limit / SHARE
