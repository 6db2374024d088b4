"""Shared DAG settings: every mognad DAG takes its default_args, tags and pools from here."""

from __future__ import annotations

from datetime import datetime, timedelta

OWNER = "mognad"
START_DATE = datetime(2024, 1, 1)
# Every DAG's tags come from this list (tests/integration/test_dag_policy.py checks it).
KNOWN_TAGS = frozenset(
    {"mognad", "ingest", "build", "nightly", "event-driven", "demo", "housekeeping"}
)
TAGS = ["mognad"]
WAREHOUSE_POOL = "mognad_warehouse"  # one slot: DuckDB has one writer at a time
HTTP_POOL = "mognad_http"  # be polite to the municipalities' and Kolada's servers

DEFAULT_ARGS = {
    "owner": OWNER,
    "retries": 2,
    "retry_delay": timedelta(seconds=20),
    "retry_exponential_backoff": True,
}
