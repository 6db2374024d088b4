#!/usr/bin/env bash
# Bring up the platform with demo data: setup, pipeline through Airflow, Superset, until Ctrl-C.
#   scripts/demo.sh [--airflow-port N] [--superset-port N] [--scale X] [--seed N]
# The ports may also come from MOGNAD_AIRFLOW_PORT / MOGNAD_SUPERSET_PORT, and every setting
# from the environment (MOGNAD_HOME, MOGNAD_SECRETS_FILE, …), so `make demo` alone can run
# beside another demo.
set -euo pipefail
cd "$(dirname "$0")/.."
args=()
[ -n "${MOGNAD_AIRFLOW_PORT:-}" ] && args+=(--airflow-port "$MOGNAD_AIRFLOW_PORT")
[ -n "${MOGNAD_SUPERSET_PORT:-}" ] && args+=(--superset-port "$MOGNAD_SUPERSET_PORT")
scripts/setup.sh
# exec: the demo is this process, so Ctrl-C, SIGTERM and a closed pipe reach it directly
exec .venv/pipeline/bin/mognad demo "${args[@]}" "$@"
