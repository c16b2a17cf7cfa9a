#!/usr/bin/env bash
# The project's checks, in the order a reviewer reads them: lint, types, then the tests.
# Run after scripts/install.sh; extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check .
# mypy reads the folders as the installed package `patchgate` through a tree of symbolic links.
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
mkdir "$tree/patchgate"
for f in core/*; do ln -s "$PWD/$f" "$tree/patchgate/"; done
for d in agent retrieval tools policies; do ln -s "$PWD/$d" "$tree/patchgate/$d"; done
(cd "$tree" && "$OLDPWD/.venv/bin/mypy" --config-file "$OLDPWD/pyproject.toml" --cache-dir "$OLDPWD/.mypy_cache" \
    --python-executable "$OLDPWD/.venv/bin/python" -p patchgate)
.venv/bin/python -m pytest -q "$@"
