"""Land parsed records in the raw zone: immutable Parquet, one folder per load."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from mognad.contract import feeds as feed_registry
from mognad.ingest import durable

# The raw zone's Arrow types, derived from the feed registry's DuckDB types.
_ARROW = {
    "VARCHAR": pa.string(),
    "INTEGER": pa.int32(),
    "BIGINT": pa.int64(),
    "DOUBLE": pa.float64(),
    "BOOLEAN": pa.bool_(),
    "DATE": pa.date32(),
    "TIMESTAMP": pa.timestamp("us"),
}

PROVENANCE = [(c.name, _ARROW[c.type]) for c in feed_registry.PROVENANCE]

FEED_SCHEMAS: dict[str, pa.Schema] = {
    name: pa.schema([(c.name, _ARROW[c.type]) for c in feed.raw_columns])
    for name, feed in feed_registry.FEEDS.items()
}


def load_dir(raw: Path, feed: str, municipality_code: str, load_id: str) -> Path:
    return raw / f"feed={feed}" / f"municipality_code={municipality_code}" / f"load_id={load_id}"


def land(
    raw: Path,
    feed: str,
    municipality_code: str,
    load_id: str,
    records: list[dict] | pa.Table,
    provenance: dict,
    received_at: dt.datetime,
) -> Path:
    """Write the load atomically (temp folder, fsync, rename). Idempotent per load_id."""
    target = load_dir(raw, feed, municipality_code, load_id)
    if (target / "data.parquet").exists():
        return target
    schema = FEED_SCHEMAS[feed]
    extra = {
        "load_id": load_id,
        "municipality_code": municipality_code,
        "source_file": provenance["file"],
        "sha256": provenance["sha256"],
        "received_at": received_at,
    }
    if isinstance(records, pa.Table):  # the columnar parse: add the provenance columns
        n = records.num_rows
        columns = {name: records.column(name) for name in records.column_names}
        for name, value in extra.items():
            columns[name] = pa.array([value] * n, schema.field(name).type)
        table = pa.Table.from_arrays([columns[f.name] for f in schema], schema=schema)
    else:
        columns = {}
        for name in schema.names:
            if name in extra:
                columns[name] = [extra[name]] * len(records)
            else:
                columns[name] = [r.get(name) for r in records]
        table = pa.Table.from_pydict(columns, schema=schema)
    table = table.replace_schema_metadata(
        {k.encode(): str(v).encode() for k, v in provenance.items()}
    )
    tmp = target.parent / f".tmp-{load_id}-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    try:
        path = tmp / "data.parquet"
        pq.write_table(table, path)
        with open(path, "rb") as f:
            durable.fsync_fd(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def remove_stale_temp(raw: Path) -> list[Path]:
    """Remove half-written load folders (``.tmp-<load_id>-<pid>``) left by a process that
    died; a live process's folder is left alone."""
    removed = []
    for tmp in raw.glob("feed=*/municipality_code=*/.tmp-*"):
        pid = tmp.name.rsplit("-", 1)[-1]
        if pid.isdigit() and int(pid) != os.getpid() and _alive(int(pid)):
            continue
        shutil.rmtree(tmp, ignore_errors=True)
        removed.append(tmp)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
