"""Shared DAG settings: every mognad DAG takes its default_args and tags from here."""

from __future__ import annotations

from datetime import timedelta

OWNER = "mognad"
TAGS = ["mognad"]
WAREHOUSE_POOL = "mognad_warehouse"  # one slot: DuckDB has one writer at a time

DEFAULT_ARGS = {
    "owner": OWNER,
    "retries": 2,
    "retry_delay": timedelta(seconds=20),
    "retry_exponential_backoff": True,
}
