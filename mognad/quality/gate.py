"""The raw-batch gate: each incoming raw batch (one load_id) against its feed's suite in
`expectations/raw/raw.<feed>.json`, before dbt (write-audit-publish: "audit").

A feed's new batches are validated in chunks of at most `GATE_CHUNK_ROWS` rows (bounded
memory at national scale); a failing chunk falls back to one batch at a time, so verdicts
stay per batch.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from mognad.config import Settings
from mognad.contract.reference import codebook, municipalities
from mognad.quality.gx import _Gx, _stamp, _write_report, load_raw_suites

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RawBatch:
    """One load in the raw zone, as the gate sees it."""

    feed: str
    municipality_code: str
    load_id: str
    path: Path


@dataclass
class BatchVerdict:
    batch: RawBatch
    success: bool
    failures: list[str] = field(default_factory=list)
    checked_at: datetime = field(default_factory=lambda: datetime.now(UTC).replace(tzinfo=None))


def raw_parameters() -> dict:
    books = codebook()
    return {
        "municipality_codes": sorted(municipalities()),
        "instruments": sorted(books),
        "item_codes": sorted({code for items in books.values() for code in items}),
    }


_BATCH_ROWS = """
    select d.* exclude (filename), p._path_load_id, p._path_municipality_code
    from read_parquet(?, hive_partitioning = false, union_by_name = true,
                      filename = true) as d
    inner join _gate_paths as p using (filename)
"""
"""The batches' rows with `_path_load_id` / `_path_municipality_code` from each file's
folder (the suites check the columns match their folder); the parameter is the file list,
inside `_batch_paths`."""


@contextmanager
def _batch_paths(con, batches: list[RawBatch]):
    """Register the batches' folder values as `_gate_paths` (an Arrow table joined on the
    file name: a VALUES list of 11,500 batches took seconds to bind); yields the file list."""
    import pyarrow as pa

    files = [str(b.path) for b in batches]
    paths = pa.table(
        {
            "filename": files,
            "_path_load_id": [b.load_id for b in batches],
            "_path_municipality_code": [b.municipality_code for b in batches],
        }
    )
    con.register("_gate_paths", paths)
    try:
        yield files
    finally:
        con.unregister("_gate_paths")


def _read_batches(con, batches: list[RawBatch]):
    """The batches' rows as one DataFrame (`_BATCH_ROWS`)."""
    with _batch_paths(con, batches) as files:
        return con.execute(_BATCH_ROWS, [files]).df()


def _gate_connection():
    """An in-memory DuckDB for reading raw batches. The external file cache would keep the
    bytes of every Parquet file read (~0.12 MB per file, gigabytes for a national first
    build); the gate needs no row order."""
    return duckdb.connect(
        config={
            "enable_external_file_cache": False,
            "preserve_insertion_order": False,
            "memory_limit": "1GB",
        }
    )


GATE_CHUNK_ROWS = 4_000_000
"""At most this many rows are reduced into one GX validation (`_distinct_frame`: the frame
holds their distinct values, at most this many); batches are never split."""


def _chunks(con, group: list[RawBatch], max_rows: int) -> list[list[RawBatch]]:
    """The batches in consecutive groups of at most `max_rows` rows (a larger batch alone),
    by the row counts in the Parquet footers; one group if those cannot be read."""
    try:
        counts = dict(
            con.execute(
                "select file_name, num_rows from parquet_file_metadata(?)",
                [[str(b.path) for b in group]],
            ).fetchall()
        )
    except duckdb.Error:
        return [group]
    chunks: list[list[RawBatch]] = [[]]
    rows = 0
    for b in group:
        n = counts.get(str(b.path), 0)
        if chunks[-1] and rows + n > max_rows:
            chunks.append([])
            rows = 0
        chunks[-1].append(b)
        rows += n
    return chunks


def _expectation_groups(spec: dict) -> list[tuple[str, ...]]:
    """The column groups the suite's row-wise expectations look at: one column, or a pair."""
    groups: list[tuple[str, ...]] = []
    for e in spec.get("expectations", []):
        kw = e.get("kwargs") or {}
        if "column_A" in kw:
            group = (kw["column_A"], kw["column_B"])
        elif "column" in kw:
            group = (kw["column"],)
        else:
            continue
        if group not in groups:
            groups.append(group)
    return groups


def _distinct_frame(con, batches: list[RawBatch], spec: dict):
    """The chunk reduced to what its row-wise expectations can see, and its rows per batch.

    Every expectation of the raw suites is a predicate on one row's value (or pair of
    values), so it passes on the rows exactly when it passes on their *distinct* values.
    One DuckDB scan (GROUPING SETS) gives the distinct values of each column or pair the
    suite names; each is repeated cyclically to the longest, so the frame holds no value
    that is not in the data. The other columns keep one real value (the column-set
    expectation only needs them present). A failing chunk is re-checked batch by batch on
    the real rows, so counts in a failure report are rows, never distinct values."""
    import numpy as np
    import pandas as pd

    with _batch_paths(con, batches) as files:
        sample = con.execute(f"select * from ({_BATCH_ROWS}) limit 1", [files]).df()
        groups = [g for g in _expectation_groups(spec) if all(c in sample.columns for c in g)]
        groups.append(("_path_load_id",))
        cols = list(dict.fromkeys(c for g in groups for c in g))
        quoted = ", ".join(f'"{c}"' for c in cols)
        sets = ", ".join("(" + ", ".join(f'"{c}"' for c in g) + ")" for g in groups)
        flags = ", ".join(f'grouping("{c}") as "_g_{i}"' for i, c in enumerate(cols))
        result = con.execute(
            f"select {flags}, {quoted}, count(*) as _n "
            f"from ({_BATCH_ROWS}) group by grouping sets ({sets})",
            [files],
        ).df()
    parts = []
    rows: dict[str, int] = {}
    for g in groups:
        mask = np.ones(len(result), dtype=bool)
        for i, c in enumerate(cols):  # grouping(c) is 0 where c is one of the set's columns
            mask &= (result[f"_g_{i}"] == 0).to_numpy() == (c in g)
        part = result.loc[mask, list(g) + ["_n"]]
        if g == ("_path_load_id",):
            rows = dict(zip(part["_path_load_id"], part["_n"], strict=True))
        parts.append(part[list(g)].reset_index(drop=True))
    length = max(len(p) for p in parts)
    frame = pd.DataFrame(index=range(length))
    # pairs first: a column checked alone and in a pair takes the pair's rows (a single
    # column's distinct values are all in the pair's); two pairs sharing a column cannot
    # both keep their rows, so such a suite is validated on the rows themselves
    for part in sorted(parts, key=lambda p: -len(p.columns)):
        taken = [c for c in part.columns if c in frame.columns]
        if taken and len(part.columns) > 1:
            raise ValueError(f"column {taken[0]} is in two pairs")
        if taken:
            continue
        cycled = part.iloc[np.arange(length) % len(part)].reset_index(drop=True)
        for c in part.columns:
            frame[c] = cycled[c]
    for c in sample.columns:
        if c not in frame.columns:
            frame[c] = sample[c].iloc[np.zeros(length, dtype=int)].reset_index(drop=True)
    return frame, rows


def _validate_chunk(con, runner, spec, parameters, feed, name, chunk, verdicts, report):
    """Validate a chunk of one feed's batches as one DataFrame of its distinct values
    (`_distinct_frame`); when that fails (or a batch is empty or unreadable), validate each
    batch of the chunk alone, on its rows, to name the culprits."""
    try:
        frame, rows = _distinct_frame(con, chunk, spec)
        if all(rows.get(b.load_id, 0) > 0 for b in chunk):
            ok, _lines, result = runner.run(spec, frame, parameters, samples=False)
            if ok:
                result = {
                    "rows": sum(rows.values()),
                    "distinct_rows_validated": len(frame),
                    **result,
                }
                report["results"][name] = result
                for b in chunk:
                    verdicts[b.load_id] = BatchVerdict(b, True)
                return
    except Exception as exc:  # noqa: BLE001 - fall back to one batch at a time
        log.warning("raw-batch gate: %s as a whole could not be validated: %s", name, exc)
    frame = None
    for b in chunk:
        try:
            frame = _read_batches(con, [b])
            if frame.empty:
                raise ValueError("the batch has no rows")
            ok, lines, result = runner.run(spec, frame, parameters, samples=False)
        except Exception as exc:  # noqa: BLE001 - an unreadable batch fails the gate
            ok, lines, result = False, [f"could not validate: {exc}"], {"error": str(exc)}
        verdicts[b.load_id] = BatchVerdict(b, ok, lines)
        report["results"][f"{feed}/{b.municipality_code}/{b.load_id}"] = result
        report["success"] = report["success"] and ok


def validate_raw_batches(
    settings: Settings, batches: list[RawBatch], progress=None
) -> tuple[list[BatchVerdict], Path | None]:
    """Validate each raw batch with its feed's suite (expectations/raw/raw.<feed>.json).

    For speed, the new batches of a feed are validated together first, in chunks of at most
    `GATE_CHUNK_ROWS` rows (memory stays bounded at any scale); only when a chunk fails (or
    a batch in it is empty) is each batch of that chunk validated alone, to name the
    culprits: every verdict, passed or failed, is per batch (load_id).
    A batch whose feed has no suite, or that cannot be read, fails with the reason.
    Returns the verdicts (in the order given) and the results JSON."""
    if not batches:
        return [], None
    stamp = _stamp()
    suites = load_raw_suites(settings.expectations_dir)
    runner = _Gx()
    parameters = raw_parameters()
    verdicts: dict[str, BatchVerdict] = {}
    report: dict = {"kind": "raw", "success": True, "validated_at": stamp, "results": {}}
    by_feed: dict[str, list[RawBatch]] = {}
    for b in batches:
        by_feed.setdefault(b.feed, []).append(b)
    con = _gate_connection()
    try:
        for feed, group in by_feed.items():
            spec = suites.get(feed)
            if spec is None:
                for b in group:
                    verdicts[b.load_id] = BatchVerdict(b, False, [f"no raw suite for {feed}"])
                report["success"] = False
                continue
            chunks = _chunks(con, group, GATE_CHUNK_ROWS)
            for i, chunk in enumerate(chunks, 1):
                name = f"{feed} ({len(chunk)} batches)"
                if len(chunks) > 1:
                    name = f"{feed} part {i}/{len(chunks)} ({len(chunk)} batches)"
                _validate_chunk(con, runner, spec, parameters, feed, name, chunk, verdicts, report)
            if progress:
                bad = sum(1 for b in group if not verdicts[b.load_id].success)
                if bad:
                    progress(f"raw-batch gate: {feed}: {len(group)} batch(es), {bad} failed")
                else:
                    progress(f"raw-batch gate: {feed}: {len(group)} batch(es) passed")
    finally:
        con.close()
    path = _write_report(settings, f"raw-{stamp}.json", report)
    return [verdicts[b.load_id] for b in batches], path
