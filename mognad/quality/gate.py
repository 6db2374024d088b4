"""Great Expectations 1.x gates (suites in expectations/), and Data Docs readable offline.

Two gates, both on pandas DataFrames read with duckdb (GX's SQL datasource does not work on
DuckDB), in one ephemeral context whose suites, assets, batch definitions, validation
definitions and checkpoints are add-or-update, so setup can run any number of times:

- `validate_raw_batches`: each incoming raw batch (one load_id) against its feed's suite
  in `expectations/raw/raw.<feed>.json`, before dbt (write-audit-publish: "audit");
- `validate_marts`: the built marts against `expectations/suites/*.json`, before publish.

The mart suites hold only the publication invariants; dbt owns the structural tests
(not_null, unique, accepted_values, relationships: a test may live in one place only, and
`tests/integration/test_build_quality.py` fails when a suite repeats one). The invariants:
no shown count below `min_cell`, ranges (0–100), suppression consistency (`suppressed`
exactly where the values are NULL), and the row count against the last publish: a table
may not shrink below `MOGNAD_MIN_ROW_SHARE` (default 0.5) of its rows in the published file
(`min_row_count`, per table; 0 for a first publish or a new table; set the share to 0 to
publish a deliberate shrink).

Every run writes its results as JSON in `$MOGNAD_HOME/quality/` and re-renders
`quality/index.html` (`render_data_docs`): plain static HTML with inline CSS, no scripts
and nothing fetched from a CDN, so it reads offline.
"""

from __future__ import annotations

import html
import json
import logging
import math
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from mognad.config import Settings
from mognad.contract.reference import codebook, municipalities

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ValidationOutcome:
    success: bool
    summary: str
    result_path: Path | None
    expectations: int = 0
    failed: int = 0


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


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def load_suites(expectations_dir: Path) -> list[dict]:
    """The mart suite definitions (JSON) in expectations/suites, sorted by name."""
    suites = []
    for path in sorted((expectations_dir / "suites").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if "table" not in data.get("meta", {}):
            raise ValueError(f"{path.name}: meta.table is missing")
        suites.append(data)
    return suites


def load_raw_suites(expectations_dir: Path) -> dict[str, dict]:
    """feed -> raw-batch suite definition (expectations/raw/raw.<feed>.json)."""
    suites = {}
    for path in sorted((expectations_dir / "raw").glob("raw.*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        suites[data["meta"]["feed"]] = data
    return suites


def _read_tables(build_db: Path, tables: list[str]) -> dict:
    con = duckdb.connect(str(build_db), read_only=True)
    try:
        return {table: con.sql(f"select * from {table}").df() for table in tables}
    finally:
        con.close()


_SAMPLE_KEYS = (
    "partial_unexpected_list",
    "partial_unexpected_counts",
    "partial_unexpected_index_list",
    "unexpected_list",
    "unexpected_index_list",
    "unexpected_index_query",
    "details",
)


def _without_samples(value):
    """A result with every sampled data value removed (counts and percentages kept): a raw
    batch may hold personal data (e.g. a clear personnummer where a pseudonym belongs), and
    results end up in receipts, the ledger and the Data Docs."""
    if isinstance(value, dict):
        return {k: _without_samples(v) for k, v in value.items() if k not in _SAMPLE_KEYS}
    if isinstance(value, list):
        return [_without_samples(v) for v in value]
    return value


def _failed(result, samples: bool = True) -> list[str]:
    lines = []
    for r in result.results:
        if r.success:
            continue
        cfg = r.expectation_config
        kwargs = {k: v for k, v in cfg.kwargs.items() if k not in ("batch_id", "value_set")}
        res = r.result or {}
        detail = ""
        if "unexpected_count" in res:
            sample = res.get("partial_unexpected_list") or []
            detail = f": {res['unexpected_count']} unexpected"
            if samples:
                detail += f", e.g. {sample[:3]}"
        elif "observed_value" in res and samples:
            detail = f": observed {res['observed_value']}"
        if r.exception_info and r.exception_info.get("raised_exception"):
            detail += f" (error: {r.exception_info.get('exception_message')})"
        lines.append(f"{cfg.type} {kwargs}{detail}")
    return lines


class _Gx:
    """One ephemeral GX context; a checkpoint per suite, reused for every batch."""

    def __init__(self) -> None:
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        logging.getLogger("great_expectations").setLevel(logging.WARNING)
        self.gx = gx
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        self.datasource = self.context.data_sources.add_or_update_pandas(name="mognad")
        self.checkpoints: dict[str, object] = {}

    def checkpoint(self, spec: dict):
        name = spec["name"]
        if name in self.checkpoints:
            return self.checkpoints[name]
        gx = self.gx
        suite = gx.ExpectationSuite(
            name=name, expectations=spec["expectations"], meta=spec.get("meta")
        )
        if len(suite.expectations) != len(spec["expectations"]):
            raise ValueError(f"suite {name}: some expectations are invalid")
        suite = self.context.suites.add_or_update(suite)
        asset_name = name.replace(".", "__")
        try:
            asset = self.datasource.get_asset(asset_name)
        except LookupError:
            asset = self.datasource.add_dataframe_asset(name=asset_name)
        try:
            batch_def = asset.get_batch_definition("whole")
        except (KeyError, LookupError):
            batch_def = asset.add_batch_definition_whole_dataframe("whole")
        vd = self.context.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=name, data=batch_def, suite=suite)
        )
        cp = self.context.checkpoints.add_or_update(
            gx.Checkpoint(name=name, validation_definitions=[vd])
        )
        self.checkpoints[name] = cp
        return cp

    def run(self, spec: dict, frame, parameters: dict, samples: bool = True):
        """(success, failure lines, result as JSON dict); `samples=False` leaves every data
        value out of both (for raw batches)."""
        run = self.checkpoint(spec).run(
            batch_parameters={"dataframe": frame}, expectation_parameters=parameters
        )
        [vr] = list(run.run_results.values())
        lines = [] if vr.success else _failed(vr, samples)
        result = vr.to_json_dict()
        return vr.success, lines, (result if samples else _without_samples(result))


def _write_report(settings: Settings, name: str, report: dict) -> Path:
    settings.quality_dir.mkdir(parents=True, exist_ok=True)
    path = settings.quality_dir / name
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str), "utf-8")
    tmp.replace(path)
    try:
        render_data_docs(settings)
    except Exception:  # noqa: BLE001 - docs are a view; never fail a gate on them
        log.exception("could not render the data docs")
    return path


MIN_ROW_SHARE = 0.5
"""Default of `MOGNAD_MIN_ROW_SHARE`: a mart may lose at most half its rows between two
publishes (a correction or a withdrawn delivery shrinks a little; a broken join or a lost
feed empties a table)."""


def min_row_share() -> float:
    """`MOGNAD_MIN_ROW_SHARE` (0–1); 0 lets a table shrink to nothing."""
    raw = os.environ.get("MOGNAD_MIN_ROW_SHARE")
    if raw is None or raw.strip() == "":
        return MIN_ROW_SHARE
    try:
        share = float(raw)
    except ValueError:
        raise ValueError(
            f"MOGNAD_MIN_ROW_SHARE måste vara ett tal 0–1 / must be a number 0–1: {raw!r}"
        ) from None
    if not 0 <= share <= 1:
        raise ValueError(f"MOGNAD_MIN_ROW_SHARE måste vara 0–1 / must be 0–1: {share}")
    return share


def published_row_counts(published_db: Path, tables: list[str]) -> dict[str, int]:
    """Rows per table (`schema.table`) in the last published file; tables it does not hold
    are left out, and an absent or unreadable file gives {} (nothing to compare with)."""
    if not published_db.exists():
        return {}
    try:
        con = duckdb.connect(str(published_db), read_only=True)
    except duckdb.Error as exc:
        log.warning("row-count check: cannot read %s: %s", published_db, exc)
        return {}
    try:
        present = {
            f"{schema}.{name}"
            for schema, name in con.execute(
                "select schema_name, table_name from duckdb_tables() "
                "where database_name = current_database()"
            ).fetchall()
        }
        return {
            t: con.execute(f"select count(*) from {t}").fetchall()[0][0]
            for t in tables
            if t in present
        }
    finally:
        con.close()


def validate_marts(settings: Settings) -> ValidationOutcome:
    """Validate every suite's table in the build file; never raises."""
    stamp = _stamp()
    try:
        suites = load_suites(settings.expectations_dir)
        if not suites:
            return ValidationOutcome(False, "no expectation suites found", None)
        tables = [s["meta"]["table"] for s in suites]
        frames = _read_tables(settings.build_db, tables)
        share = min_row_share()
        previous = published_row_counts(settings.published_db, tables)
    except Exception as exc:  # noqa: BLE001 - the caller decides; we report
        return ValidationOutcome(False, f"could not read the marts: {exc}", None)

    n = sum(len(s["expectations"]) for s in suites)
    try:
        runner = _Gx()
        parameters = {
            "min_cell": settings.min_cell,
            "municipality_codes": sorted(municipalities()),
        }
        report: dict = {
            "kind": "marts",
            "success": True,
            "validated_at": stamp,
            "parameters": {"min_cell": settings.min_cell, "min_row_share": share},
            "row_counts": {},
            "results": {},
        }
        failures: list[str] = []
        for spec in suites:
            table = spec["meta"]["table"]
            floor = math.floor(previous.get(table, 0) * share)
            report["row_counts"][table] = {
                "published": previous.get(table),
                "built": len(frames[table]),
                "min_row_count": floor,
            }
            ok, lines, result = runner.run(
                spec, frames[table], {**parameters, "min_row_count": floor}
            )
            report["results"][table] = result
            if not ok:
                report["success"] = False
                for line in lines:
                    if line.startswith("expect_table_row_count_to_be_between"):
                        line += (
                            f" (senast publicerat / last published {previous.get(table)} rader"
                            f"/rows, minst / at least {floor}: MOGNAD_MIN_ROW_SHARE={share})"
                        )
                    failures.append(f"{table}: {line}")
        result_path = _write_report(settings, f"marts-{stamp}.json", report)
    except Exception as exc:  # noqa: BLE001
        log.exception("validation could not run")
        return ValidationOutcome(False, f"validation could not run: {exc}", None, n)

    if report["success"]:
        summary = f"all {n} expectations passed on {len(suites)} tables"
    else:
        summary = f"{len(failures)} expectation(s) failed:\n" + "\n".join(failures)
    return ValidationOutcome(report["success"], summary, result_path, n, len(failures))


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


# --- Data Docs (offline) -----------------------------------------------------------------

_CSS = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#222;max-width:70rem}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}
td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f0f0f0}.ok{color:#1a7f37}.fail{color:#b00020;font-weight:bold}
code{font-size:.85em}details{margin:.25rem 0}
"""


def _page(title: str, body: str) -> str:
    return (
        "<!doctype html><html lang='sv'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>\n"
    )


def _mark(ok: bool) -> str:
    return (
        "<span class='ok'>✔ godkänd / passed</span>"
        if ok
        else ("<span class='fail'>✘ underkänd / failed</span>")
    )


def _result_table(result: dict) -> str:
    rows = []
    for r in result.get("results", []):
        cfg = r.get("expectation_config", {})
        kwargs = {k: v for k, v in cfg.get("kwargs", {}).items() if k != "batch_id"}
        res = r.get("result") or {}
        observed = {
            k: res[k]
            for k in ("observed_value", "unexpected_count", "partial_unexpected_list")
            if k in res
        }
        rows.append(
            f"<tr><td>{_mark(r.get('success', False))}</td>"
            f"<td><code>{html.escape(cfg.get('type', ''))}</code></td>"
            f"<td><code>{html.escape(json.dumps(kwargs, ensure_ascii=False, default=str)[:400])}"
            f"</code></td><td><code>"
            f"{html.escape(json.dumps(observed, ensure_ascii=False, default=str)[:400])}"
            "</code></td></tr>"
        )
    if "error" in result:
        rows.append(f"<tr><td colspan=4 class='fail'>{html.escape(result['error'])}</td></tr>")
    return (
        "<table><tr><th>resultat</th><th>förväntan / expectation</th><th>argument</th>"
        "<th>observerat / observed</th></tr>" + "".join(rows) + "</table>"
    )


def render_run(report: dict, title: str) -> str:
    parts = [f"<p>{_mark(report.get('success', False))} — {html.escape(title)}</p>"]
    for name, result in report.get("results", {}).items():
        ok = result.get("success", False)
        body = _result_table(result)
        if report.get("kind") == "raw" and ok:
            parts.append(
                f"<details><summary>{html.escape(name)} {_mark(ok)}</summary>{body}</details>"
            )
        else:
            parts.append(f"<h2>{html.escape(name)} {_mark(ok)}</h2>{body}")
    return _page(title, "".join(parts))


def render_data_docs(settings: Settings, keep: int = 200) -> Path:
    """Render `quality/index.html` and one page per results JSON (newest `keep` runs)."""
    folder = settings.quality_dir
    folder.mkdir(parents=True, exist_ok=True)
    runs = sorted(
        [p for p in folder.glob("*.json") if p.name.startswith(("marts-", "raw-"))],
        key=lambda p: p.name.split("-", 1)[1],
        reverse=True,
    )[:keep]
    items = []
    for path in runs:
        page = path.with_suffix(".html")
        try:
            report = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        kind = (
            "marter / marts"
            if report.get("kind", "marts") == "marts"
            else "råbatcher / raw batches"
        )
        title = f"{kind} {report.get('validated_at', path.stem)}"
        if not page.exists() or page.stat().st_mtime < path.stat().st_mtime:
            page.write_text(render_run(report, title), encoding="utf-8")
        n = len(report.get("results", {}))
        failed = sum(1 for r in report.get("results", {}).values() if not r.get("success"))
        items.append(
            f"<tr><td><a href='{html.escape(page.name)}'>{html.escape(title)}</a></td>"
            f"<td>{_mark(report.get('success', False))}</td><td>{n}</td><td>{failed}</td></tr>"
        )
    body = (
        "<p>Resultat från Great Expectations, nyaste först. / Great Expectations results, "
        "newest first.</p><table><tr><th>körning / run</th><th>resultat</th>"
        "<th>tabeller eller batcher</th><th>underkända / failed</th></tr>"
        + "".join(items)
        + "</table>"
    )
    index = folder / "index.html"
    index.write_text(_page("mognad – datakvalitet / data quality", body), encoding="utf-8")
    return index
