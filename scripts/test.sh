#!/usr/bin/env bash
# The whole test suite: lint, unit, integration and end-to-end (real Airflow, dbt, Great
# Expectations, Superset and headless Chromium). `.ci/run` calls `make test`, which runs this.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --browser
echo "[test] ruff"
.venv/pipeline/bin/ruff check .
.venv/pipeline/bin/ruff format --check .
echo "[test] sqlfluff"
.venv/pipeline/bin/sqlfluff lint dbt_project/models dbt_project/macros
echo "[test] pytest"
# Two workers by default (MOGNAD_TEST_WORKERS; 0 = one process): tests that share a session
# fixture stay on one worker (groups in tests/conftest.py).
workers="${MOGNAD_TEST_WORKERS:-2}"
dist=()
[ "$workers" != 0 ] && dist=(-n "$workers" --dist loadgroup --no-loadscope-reorder)
exec .venv/pipeline/bin/pytest -p no:cacheprovider --timeout=1200 "${dist[@]}" "$@"
