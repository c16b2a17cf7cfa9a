"""``patchgate eval solve``: does a patch resolve its issue, the way SWE-bench measures it?

    run.py           the command as a library call: work to do, resume, report
    dataset.py       instances and predictions in the harness's formats
    specs.py         what to install for a repository and version (SWE-bench's specs when present)
    environment.py   per-version uv environments, cached and locked
    instance.py      one instance: worktree, prediction, test patch, tests, the gates' verdict
    testrun.py       run exactly FAIL_TO_PASS/PASS_TO_PASS (sandboxed) and grade them
    pytest_select.py the pytest plugin that selects the tests and records outcomes
    predict.py       agent mode: patchgate solve writes the predictions
    executors.py     in process, local processes, or Ray tasks
    report.py        report.json (harness keys + ours), the --json line
    passk.py         the unbiased pass@k estimator
    store.py         what --out holds per instance, and resuming
"""
