#!/usr/bin/env bash
# Create .venv/ at the repository root and install patchgate with its test tools.
# Takes the CPU build of torch (torch==2.13.0) unless PATCHGATE_TORCH=cuda is set,
# in which case pip's default (CUDA) build is installed instead.
#
# Each step says what it does, counts the packages pip has collected while it runs,
# and says how long it took; pip's full output goes to .venv/install.log and its
# tail is shown if a step fails.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS

step() {  # step LABEL COMMAND...: run COMMAND with a live package count, its log kept
    local label=$1 begin=$SECONDS
    shift
    printf '==> %s\n' "$label" >&2
    if ! "$@" 2>&1 | tee -a .venv/install.log | awk -v tty="$([ -t 2 ] && echo 1)" '
        /^Collecting / { n++; if (tty) printf "\r    %d packages collected", n > "/dev/stderr"; next }
        /^Installing collected packages/ { if (tty) printf "\r"  > "/dev/stderr";
                                           printf "    installing %d packages\n", n > "/dev/stderr" }'; then
        printf '\nfailed: %s; the end of .venv/install.log:\n' "$label" >&2
        tail -n 25 .venv/install.log >&2
        exit 1
    fi
    printf '    done in %ds\n' $((SECONDS - begin)) >&2
}

printf '==> creating .venv\n' >&2
python3 -m venv .venv
: > .venv/install.log
pip=(.venv/bin/python -m pip install --progress-bar off)
if [ "${PATCHGATE_TORCH:-cpu}" = "cuda" ]; then
    step "installing torch (CUDA build)" "${pip[@]}" torch
else
    step "installing torch==2.13.0 (CPU build)" "${pip[@]}" "torch==2.13.0"
fi
step "installing patchgate and its dependencies" "${pip[@]}" -e ".[test]"
# The coding agents patchgate's hooks and MCP server are tested with (tests/integrations), from npm, pinned,
# into .venv/node (never global). Without npm the step is skipped and those tests say why they skip.
if [ "${PATCHGATE_AGENT_CLIENTS:-1}" = "1" ] && command -v npm >/dev/null 2>&1; then
    printf '==> installing the agent clients (Claude Code, Codex, MCP Inspector) with npm\n' >&2
    begin=$SECONDS
    if ! npm install --prefix .venv/node --no-audit --no-fund --loglevel=error \
            @anthropic-ai/claude-code@2.1.197 @openai/codex@0.171.0 @modelcontextprotocol/inspector@0.15.0 \
            >> .venv/install.log 2>&1; then
        printf 'failed: npm install; the end of .venv/install.log:\n' >&2
        tail -n 25 .venv/install.log >&2
        exit 1
    fi
    printf '    done in %ds\n' $((SECONDS - begin)) >&2
fi
printf 'installed in %ds: run .venv/bin/patchgate --help\n' $((SECONDS - started)) >&2
