#!/usr/bin/env bash
# The test command of one mutant, run by cosmic-ray in a copy of the project with
# the mutant applied. A fresh numba cache, so the mutant is really compiled (the
# cache is keyed by the engine's sources anyway; this keeps the disk clean). The
# fast killers first: the rule tests, then the golden record, then the rest.
set -u
cache=$(mktemp -d)
export TAOBAO_SIM_CACHE_DIR="$cache" PYTHONPATH="$PWD/src" PYTHONDONTWRITEBYTECODE=1
python -m pytest -x -q -p no:cacheprovider -m "not slow" -k "not mesa and not dashboard" \
    tests/core tests/engines/test_month.py tests/test_golden.py tests/engines/test_fast.py \
    tests/engines/test_policies.py tests/output tests/apps/test_cli.py >/dev/null 2>&1
status=$?
rm -rf "$cache"
exit $status
