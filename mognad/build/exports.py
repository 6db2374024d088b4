"""Exports for dbt: the ledger's attempts (`raw/ingest_log.parquet`), the files still
waiting in the inboxes (`raw/inbox_waiting.parquet`) and the raw-batch gate's verdicts
(`raw/batch_checks.parquet`), each written atomically with DuckDB's types."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from mognad.build.errors import say
from mognad.config import Settings
from mognad.contract.feeds import EXPORTS
from mognad.state.ledger import (
    read_attempt_columns,
    read_batch_checks,
)

# The ingest ledger's `attempts` table as exported (docs/architecture.md, "ingest log").
INGEST_LOG_COLUMNS: dict[str, str] = EXPORTS["ingest_log"].types


def _utc_naive(value):
    """A ledger timestamp (ISO text, epoch seconds or None) as a naive UTC datetime."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC).replace(tzinfo=None)
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def _read_ledger(ledger: Path) -> list[tuple]:
    rows = read_attempt_columns(ledger, INGEST_LOG_COLUMNS)
    ts = list(INGEST_LOG_COLUMNS).index("received_at")
    return [r[:ts] + (_utc_naive(r[ts]),) + r[ts + 1 :] for r in rows]


_ARROW_TYPES = {"VARCHAR": "string", "BIGINT": "int64", "TIMESTAMP": "timestamp[us]",
                "BOOLEAN": "bool", "DOUBLE": "double"}  # fmt: skip


def _write_parquet(rows: list[tuple], columns: dict[str, str], target: Path, order_by: str):
    """Write rows (tuples in `columns` order) to a Parquet file with those DuckDB types,
    atomically (tmp + os.replace). The rows go in as one Arrow table (at national scale 11,500
    rows through `executemany` took ~10 s each for the ingest log and the batch checks);
    values Arrow cannot take as the declared type go through `executemany` as before."""
    import pyarrow as pa

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    casts = ", ".join(f"cast({c} as {t}) as {c}" for c, t in columns.items())
    con = duckdb.connect()
    try:
        try:
            table = pa.table(
                {
                    c: pa.array([r[i] for r in rows], type=pa.type_for_alias(_ARROW_TYPES[t]))
                    for i, (c, t) in enumerate(columns.items())
                }
            )
            con.register("incoming", table)
            con.execute(f"create table staged as select {casts} from incoming")
        except (pa.ArrowException, TypeError, ValueError, OverflowError):
            con.execute(
                "create or replace table staged ("
                + ", ".join(f"{c} {t}" for c, t in columns.items())
                + ")"
            )
            marks = ", ".join("?" for _ in columns)
            con.executemany(f"insert into staged values ({marks})", rows)
        con.execute(f"copy (select * from staged order by {order_by}) to '{tmp}' (format parquet)")
    finally:
        con.close()
    os.replace(tmp, target)
    return target


def export_ingest_log(settings: Settings) -> Path:
    """Write every ingest attempt from the ledger to raw/ingest_log.parquet (atomically).

    A missing ledger or `attempts` table gives an empty file with the same columns."""
    rows = _read_ledger(settings.ledger_path)
    target = settings.raw / "ingest_log.parquet"
    _write_parquet(rows, INGEST_LOG_COLUMNS, target, order_by="attempt_id")
    say(f"exported {len(rows)} ingest attempts to {target}")
    return target


# Files still waiting in the inboxes when the build starts (mognad.quality.status.inbox_files), so
# the operations dashboard can show files nobody has taken (stale: an alarm).
INBOX_WAITING_COLUMNS: dict[str, str] = EXPORTS["inbox_waiting"].types


def export_inbox_waiting(settings: Settings) -> Path:
    """Write the files waiting in the inboxes now to raw/inbox_waiting.parquet (atomically)."""
    from mognad.quality.status import inbox_files

    waiting = inbox_files(settings)
    rows = [
        tuple(_utc_naive(f[c]) if c == "modified_at" else f[c] for c in INBOX_WAITING_COLUMNS)
        for f in waiting
    ]
    target = settings.raw / "inbox_waiting.parquet"
    _write_parquet(rows, INBOX_WAITING_COLUMNS, target, order_by="municipality_code, feed, file")
    stale = sum(1 for f in waiting if f["stale"])
    say(f"exported {len(rows)} waiting inbox files ({stale} stale) to {target}")
    return target


BATCH_CHECK_COLUMNS: dict[str, str] = EXPORTS["batch_checks"].types


def export_batch_checks(settings: Settings) -> Path:
    """Write the ledger's batch_checks to raw/batch_checks.parquet (atomically); dbt's
    staging models skip every load listed there with success = false."""
    rows = read_batch_checks(settings.ledger_path, BATCH_CHECK_COLUMNS)
    rows = [r[:4] + (_utc_naive(r[4]), bool(r[5]), r[6]) for r in rows]
    return _write_parquet(
        rows, BATCH_CHECK_COLUMNS, settings.raw / "batch_checks.parquet", order_by="load_id"
    )
