#!/usr/bin/env bash
# The project's checks, in the order a reviewer reads them: lint, types, then the tests.
# Run after scripts/install.sh; extra arguments go to pytest. The tests run on a worker per CPU (pytest-xdist): most
# of them wait on a subprocess (git, a sandboxed pytest, uv, a client), and each keeps to its own tmp_path;
# `-n 0` runs them in one process.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy -p core -p retrieval -p tools -p agent -p evaluation -p patchgate -p benchmarks
.venv/bin/python -m pytest -q -n logical "$@"
