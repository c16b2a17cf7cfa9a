#!/usr/bin/env bash
# The project's checks, in the order a reviewer reads them: lint, types, then the tests.
# Run after scripts/install.sh; extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy -p core -p retrieval -p tools -p agent -p evaluation -p patchgate -p benchmarks
.venv/bin/python -m pytest -q "$@"
