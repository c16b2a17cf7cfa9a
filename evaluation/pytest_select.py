"""A pytest plugin that runs exactly the named tests and writes each one's outcome as JSON.

It is copied next to the instance's logs and loaded with ``-p pytest_select``
inside the instance's own environment, so it imports nothing but pytest and
the standard library. Reading outcomes from pytest's own reports avoids
parsing its terminal output, which plugins and parametrized ids with spaces
or brackets make ambiguous.

SWE-bench's test ids were cut at the first space by the harness's log parser
(``test_fix[select`` for ``test_fix[select * from t]``), so an id selects a
collected test when it is the test's node id, the node id's first word, or,
for an id with an unclosed ``[``, a prefix of it (the harness does the same).

Environment: ``PATCHGATE_EVAL_WANTED`` is a JSON file with the list of ids,
``PATCHGATE_EVAL_OUTCOMES`` the JSON file written at the end. It runs on
every Python an instance may ask for (3.6 and up), so it has no annotations.
"""

import json
import os

MESSAGE_CHARS = 2000


def selects(wanted, nodeid):
    """Whether the dataset id ``wanted`` names the collected test ``nodeid``."""
    if wanted == nodeid or wanted == nodeid.split(maxsplit=1)[0]:
        return True
    return wanted.count("[") > wanted.count("]") and nodeid.startswith(wanted)


class Recorder:
    def __init__(self, wanted, path):
        self.wanted = wanted
        self.path = path
        self.outcomes = {}  # node id -> {"outcome": ..., "message": ...}
        self.collect_errors = {}  # collector node id -> its error

    def pytest_collection_modifyitems(self, session, config, items):
        keep = []  # type: list
        drop = []  # type: list
        for item in items:
            (keep if any(selects(w, item.nodeid) for w in self.wanted) else drop).append(item)
        if drop:
            config.hook.pytest_deselected(items=drop)
        items[:] = keep

    def pytest_collectreport(self, report):
        if report.failed:
            self.collect_errors[report.nodeid] = str(report.longrepr)[-MESSAGE_CHARS:]

    def pytest_runtest_logreport(self, report):
        outcome = _outcome(report)
        if outcome is None:
            return
        previous = self.outcomes.get(report.nodeid, {}).get("outcome")
        if previous in ("failed", "error") and report.when == "teardown":
            return
        message = str(report.longrepr)[-MESSAGE_CHARS:] if report.longrepr else ""
        self.outcomes[report.nodeid] = {"outcome": outcome, "message": message}

    def pytest_sessionfinish(self, session, exitstatus):
        with open(self.path, "w", encoding="utf-8") as handle:
            json.dump({"outcomes": self.outcomes, "collect_errors": self.collect_errors}, handle)


def _outcome(report):
    """passed, failed, error, skipped, xfail or xpass; None for a phase that changes nothing."""
    xfail = hasattr(report, "wasxfail")
    if report.when == "call":
        if xfail:
            return "xfail" if report.skipped else "xpass"
        return report.outcome
    if report.failed:
        return "error"
    if report.when == "setup" and report.skipped:
        return "xfail" if xfail else "skipped"
    return None


def pytest_configure(config):
    wanted_file, outcomes_file = os.environ.get("PATCHGATE_EVAL_WANTED"), os.environ.get("PATCHGATE_EVAL_OUTCOMES")
    if wanted_file and outcomes_file:
        with open(wanted_file, encoding="utf-8") as handle:
            wanted = json.load(handle)
        config.pluginmanager.register(Recorder(wanted, outcomes_file), "patchgate-eval-recorder")
