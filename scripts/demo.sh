#!/usr/bin/env bash
# Bring up the platform with demo data: setup, pipeline through Airflow, Superset, until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/pipeline/bin/mognad demo "$@"
