#!/usr/bin/env bash
# Map the generated secrets (.secrets/mognad.env, shared by every service) to Airflow's
# variable names, then run the component's command. Every Airflow process must get the
# same Fernet key, JWT secret and API secret key.
set -euo pipefail
export AIRFLOW__CORE__FERNET_KEY="${AIRFLOW__CORE__FERNET_KEY:-${AIRFLOW_FERNET_KEY:?}}"
export AIRFLOW__API_AUTH__JWT_SECRET="${AIRFLOW__API_AUTH__JWT_SECRET:-${AIRFLOW_JWT_SECRET:?}}"
export AIRFLOW__API__SECRET_KEY="${AIRFLOW__API__SECRET_KEY:-${AIRFLOW_API_SECRET_KEY:?}}"
mkdir -p "$AIRFLOW_HOME/plugins" "$MOGNAD_HOME/ingest"
if [ -n "${AIRFLOW_ADMIN_PASSWORD:-}" ]; then
  printf '{"admin": "%s"}' "$AIRFLOW_ADMIN_PASSWORD" > "$AIRFLOW_HOME/passwords.json"
  chmod 600 "$AIRFLOW_HOME/passwords.json"
fi
exec "$@"
