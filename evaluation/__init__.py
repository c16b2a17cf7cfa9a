"""``patchgate eval solve``: does a patch resolve its issue, the way SWE-bench measures it?

run.py           the command as a library call: work to do, resume, report
dataset.py       instances and predictions in the harness's formats
harness.py       the SWE-bench harness as a library: specs, test directives, log parsers, grading
environment.py   an instance's spec as a recipe for the one builder (tools.envbuild)
instance.py      one instance: worktree, prediction, test patch, the tree installed, tests, gates
testrun.py       the spec's test command over the directives (sandboxed), graded from the log
predict.py       agent mode: patchgate solve writes the predictions
executors.py     in process, local processes, or Ray tasks
report.py        report.json (harness keys + ours), the --json line
passk.py         the unbiased pass@k estimator
store.py         what --out holds per instance, and resuming
"""
