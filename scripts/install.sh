#!/usr/bin/env bash
# Create .venv/ at the repository root and install patchgate with its test tools.
# Takes the CPU build of torch (torch==2.13.0) unless PATCHGATE_TORCH=cuda is set,
# in which case pip's default (CUDA) build is installed instead.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
pip=".venv/bin/python -m pip"
if [ "${PATCHGATE_TORCH:-cpu}" = "cuda" ]; then
    $pip install --quiet torch
else
    $pip install --quiet "torch==2.13.0"
fi
$pip install --quiet -e ".[test]"
