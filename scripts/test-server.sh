#!/usr/bin/env bash
# Runs the reference server's tests (called by scripts/test.sh after the Python package step,
# reusing the package built into build/pyenv): the server's pinned requirements into that venv
# (scripts/pyenv.sh), then pytest server-example/tests: every endpoint through Django's test
# client, and scripts/serve.sh itself on an empty folder (starts, seeds, serves; a second run
# seeds nothing twice) with a small demo tenant.
#
#   scripts/test-server.sh [PYTEST_ARGS...]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/pyenv.sh
cd server-example
exec ../build/pyenv/bin/python -m pytest -q "$@"
