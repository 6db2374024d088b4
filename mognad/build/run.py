"""`mognad build`: write-audit-publish from the raw zone to the published mart.

The CLI and the Airflow DAG call these functions; each step can also run alone:

    prepare_build(settings) -> Prepared        ingest log export, raw-batch GX gate
    export_ingest_log(settings) -> Path        ledger -> raw/ingest_log.parquet
    check_raw_batches(settings) -> ...         the gate alone (new load_ids only)
    run_dbt(settings, full_refresh=False) -> DbtSummary
                                               dbt build into the persistent build file;
                                               staging reads only new loads (incremental)
    parse_dbt(settings) -> Path                dbt parse -> manifest.json (for cosmos)
    docs_generate(settings) -> Path            dbt docs generate (needs a built build file)
    validate_marts(settings) -> ValidationOutcome   Great Expectations on the marts
    publish(settings) -> Path                  marts -> warehouse/mognad.duckdb (atomic)
    build(settings, full=False) -> BuildResult all of it; BuildError on any failure

Incremental design: the build file `warehouse/build/mognad_build.duckdb` persists between
builds. The staging models are dbt incremental models keyed on load_id: each build reads
only the raw Parquet files of loads that are new since the last build (and not failed by
the gate). Only feeds with new loads have their downstream models rebuilt and re-tested
(`dbt_state.json`, see "selective incremental builds" below); the maturity intermediates
are incremental themselves (per load, per municipality). `full=True` (`mognad build
--full`) deletes the build file and rebuilds from the raw zone; so does a change to the dbt
project or MOGNAD_MIN_CELL (a fingerprint of both is kept beside the file).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from mognad.build.open_data import write_open_data
from mognad.build.publish import publish
from mognad.config import Settings
from mognad.quality.gate import RawBatch, ValidationOutcome, validate_marts, validate_raw_batches

__all__ = [
    "BuildError",
    "BuildResult",
    "ValidationOutcome",
    "build",
    "check_raw_batches",
    "docs_generate",
    "export_ingest_log",
    "input_state",
    "up_to_date",
    "prepare_build",
    "parse_dbt",
    "publish",
    "run_dbt",
    "validate_marts",
]

# The ingest ledger's `attempts` table as exported (docs/architecture.md, "ingest log").
INGEST_LOG_COLUMNS: dict[str, str] = {
    "attempt_id": "VARCHAR",
    "municipality_code": "VARCHAR",
    "feed": "VARCHAR",
    "file": "VARCHAR",
    "sha256": "VARCHAR",
    "status": "VARCHAR",
    "rows_read": "BIGINT",
    "rows_loaded": "BIGINT",
    "rows_rejected": "BIGINT",
    "received_at": "TIMESTAMP",
    "load_id": "VARCHAR",
    "reason": "VARCHAR",
}


class BuildError(RuntimeError):
    """A build step failed; the message is one line saying why."""


@dataclass(frozen=True)
class Prepared:
    ingest_log: Path
    batch_checks: Path
    batches_checked: int
    batches_failed: list[str]


@dataclass(frozen=True)
class DbtSummary:
    full_refresh: bool
    models: int = 0
    seeds: int = 0
    tests: int = 0
    unit_tests: int = 0
    seconds: float = 0.0
    skipped_feeds: tuple[str, ...] = ()
    """Feeds with no new loads whose downstream models were not rebuilt (incremental)."""


@dataclass(frozen=True)
class BuildResult:
    published_db: Path
    ingest_log: Path
    validation: ValidationOutcome
    seconds: float
    prepared: Prepared | None = None
    dbt: DbtSummary | None = None
    rows: dict[str, int] | None = None


def _say(message: str) -> None:
    print(f"mognad build: {message}", flush=True)


# --- 1. ingest log ----------------------------------------------------------------------


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
    if not ledger.exists():
        return []
    con = sqlite3.connect(f"file:{ledger}?mode=ro", uri=True)
    try:
        present = {r[1] for r in con.execute("pragma table_info(attempts)")}
        if not present:
            return []
        select = ", ".join(c if c in present else "null" for c in INGEST_LOG_COLUMNS)
        rows = con.execute(f"select {select} from attempts").fetchall()
    finally:
        con.close()
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
    _say(f"exported {len(rows)} ingest attempts to {target}")
    return target


# Files still waiting in the inboxes when the build starts (mognad.quality.status.inbox_files), so
# the operations dashboard can show files nobody has taken (stale: an alarm).
INBOX_WAITING_COLUMNS: dict[str, str] = {
    "municipality_code": "VARCHAR",
    "feed": "VARCHAR",
    "file": "VARCHAR",
    "modified_at": "TIMESTAMP",
    "waiting_minutes": "DOUBLE",
    "settled": "BOOLEAN",
    "stale": "BOOLEAN",
}


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
    _say(f"exported {len(rows)} waiting inbox files ({stale} stale) to {target}")
    return target


# --- 2. raw-batch quality gate ------------------------------------------------------------

BATCH_CHECKS_SCHEMA = """
CREATE TABLE IF NOT EXISTS batch_checks (
    load_id TEXT PRIMARY KEY,
    municipality_code TEXT,
    feed TEXT,
    file TEXT,
    checked_at TEXT NOT NULL,
    success INTEGER NOT NULL,
    failed_expectations TEXT
)
"""

BATCH_CHECK_COLUMNS: dict[str, str] = {
    "load_id": "VARCHAR",
    "municipality_code": "VARCHAR",
    "feed": "VARCHAR",
    "file": "VARCHAR",
    "checked_at": "TIMESTAMP",
    "success": "BOOLEAN",
    "failed_expectations": "VARCHAR",
}


def raw_batches(settings: Settings) -> list[RawBatch]:
    """Every load in the raw zone (feed=<f>/municipality_code=<k>/load_id=<id>/data.parquet)."""
    batches = []
    for path in sorted(settings.raw.glob("feed=*/municipality_code=*/load_id=*/*.parquet")):
        load, kod, feed = path.parent, path.parent.parent, path.parent.parent.parent
        batches.append(
            RawBatch(
                feed=feed.name.split("=", 1)[1],
                municipality_code=kod.name.split("=", 1)[1],
                load_id=load.name.split("=", 1)[1],
                path=path,
            )
        )
    return batches


def _ledger(settings: Settings) -> sqlite3.Connection:
    settings.ledger_path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(settings.ledger_path, timeout=30)
    con.execute(BATCH_CHECKS_SCHEMA)
    return con


def _files_by_load(con: sqlite3.Connection) -> dict[str, tuple[str, str]]:
    present = {r[1] for r in con.execute("pragma table_info(attempts)")}
    if not {"load_id", "file", "municipality_code"} <= present:
        return {}
    rows = con.execute(
        "select load_id, file, municipality_code from attempts "
        "where load_id is not null and status = 'loaded'"
    ).fetchall()
    return {load_id: (file, kod) for load_id, file, kod in rows}


def _amend_receipt(settings: Settings, kod: str, file: str, quality: dict) -> Path | None:
    """Add a `quality` section to the file's receipt (status unchanged) via the ingest's own
    `write_receipt`, and a line to its text twin. Returns the receipt, or None if absent."""
    from mognad.ingest.receipts import display_name, write_receipt

    folder = settings.inbox / kod / "receipts"
    for name in dict.fromkeys((file, display_name(file))):
        path = folder / f"{name}.loaded.json"
        if path.exists():
            break
    else:
        return None
    receipt = json.loads(path.read_text(encoding="utf-8"))
    receipt["quality"] = quality
    written = write_receipt(folder, receipt)
    twin = written.with_suffix(".txt")
    lines = "\n".join(f"  - {f}" for f in quality["failed_expectations"][:20])
    with open(twin, "a", encoding="utf-8") as f:
        f.write(
            "\nKvalitetskontroll: underkänd – raderna används inte i rapporterna förrän en "
            "rättad fil levereras.\nQuality check: failed – the rows are kept out of the "
            f"reports until a corrected file is delivered.\n{lines}\n"
        )
    return written


def check_raw_batches(settings: Settings) -> tuple[int, list[str]]:
    """Run the raw-batch gate on every load not yet checked; record each verdict in the
    ledger's `batch_checks` table; amend the receipt of every failed file. Returns
    (batches checked now, load_ids that failed now)."""
    con = _ledger(settings)
    try:
        done = {r[0] for r in con.execute("select load_id from batch_checks")}
        files = _files_by_load(con)
    finally:
        con.close()
    new = [b for b in raw_batches(settings) if b.load_id not in done]
    if not new:
        return 0, []
    _say(f"raw-batch gate: checking {len(new)} new batch(es) with Great Expectations")
    verdicts, report = validate_raw_batches(settings, new, progress=_say)
    failed = []
    con = _ledger(settings)
    try:
        with con:
            for v in verdicts:
                file, _ = files.get(v.batch.load_id, (v.batch.path.name, None))
                con.execute(
                    "insert or replace into batch_checks values (?, ?, ?, ?, ?, ?, ?)",
                    (
                        v.batch.load_id,
                        v.batch.municipality_code,
                        v.batch.feed,
                        file,
                        v.checked_at.isoformat(),
                        int(v.success),
                        None if v.success else "\n".join(v.failures),
                    ),
                )
    finally:
        con.close()
    for v in verdicts:
        if v.success:
            continue
        failed.append(v.batch.load_id)
        file = files.get(v.batch.load_id, (None,))[0]
        _say(
            f"raw-batch gate: {v.batch.feed}/{v.batch.municipality_code} {file or v.batch.load_id} "
            f"FAILED, held back from the marts: {v.failures[0] if v.failures else '?'}"
        )
        if file:
            _amend_receipt(
                settings,
                v.batch.municipality_code,
                file,
                {
                    "status": "failed",
                    "checked_at": v.checked_at.isoformat() + "Z",
                    "load_id": v.batch.load_id,
                    "message_sv": "Kvalitetskontrollen underkände filen; raderna används inte i "
                    "rapporterna förrän en rättad fil levereras.",
                    "message_en": "The quality check failed the file; its rows are kept out of "
                    "the reports until a corrected file is delivered.",
                    "failed_expectations": v.failures,
                    "report": str(report) if report else None,
                },
            )
    _say(f"raw-batch gate: {len(new) - len(failed)} passed, {len(failed)} failed")
    return len(new), failed


def export_batch_checks(settings: Settings) -> Path:
    """Write the ledger's batch_checks to raw/batch_checks.parquet (atomically); dbt's
    staging models skip every load listed there with success = false."""
    con = _ledger(settings)
    try:
        rows = con.execute(f"select {', '.join(BATCH_CHECK_COLUMNS)} from batch_checks").fetchall()
    finally:
        con.close()
    rows = [r[:4] + (_utc_naive(r[4]), bool(r[5]), r[6]) for r in rows]
    return _write_parquet(
        rows, BATCH_CHECK_COLUMNS, settings.raw / "batch_checks.parquet", order_by="load_id"
    )


def prepare_build(settings: Settings) -> Prepared:
    """Everything before dbt: export the ingest log, run the raw-batch gate on new loads,
    export the verdicts for dbt. Failed batches stay in the raw zone (immutable) but never
    reach staging; they show in ingest_log.reason, fct_quarantine and fct_batch_checks."""
    ingest_log = export_ingest_log(settings)
    export_inbox_waiting(settings)
    try:
        checked, failed = check_raw_batches(settings)
    except Exception as exc:  # noqa: BLE001 - one line for the CLI and the DAG
        raise BuildError(f"raw-batch quality gate could not run: {exc}") from exc
    checks = export_batch_checks(settings)
    return Prepared(ingest_log, checks, checked, failed)


# --- 3. dbt -----------------------------------------------------------------------------


def dbt_env(settings: Settings) -> dict[str, str]:
    """The environment dbt needs (profiles.yml and dbt_project.yml read these)."""
    return {
        "MOGNAD_BUILD_DB": str(settings.build_db),
        "MOGNAD_HOME": str(settings.home),
        "MOGNAD_MIN_CELL": str(settings.min_cell),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def dbt_args(settings: Settings, command: str = "build") -> list[str]:
    work = settings.build_db.parent / "dbt"
    return [
        command,
        "--project-dir",
        str(settings.dbt_project_dir),
        "--profiles-dir",
        str(settings.dbt_project_dir),
        "--target-path",
        str(work / "target"),
        "--log-path",
        str(work / "logs"),
        "--no-use-colors",
    ]


@contextmanager
def _environment(values: dict[str, str]):
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def _release_duckdb() -> None:
    """Close the DuckDB instance dbt-duckdb keeps open in this process after an in-process
    invocation; otherwise it holds the build file and a read-only open of it fails
    ("different configuration than existing connections")."""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager as manager
    except ImportError:
        return
    with manager._LOCK:
        if manager._ENV is not None:
            try:
                manager._ENV.close()
            finally:
                manager._ENV = None


def project_fingerprint(settings: Settings) -> str:
    """A hash of the dbt project's files and MOGNAD_MIN_CELL (the dbt var the incremental
    maturity cells are suppressed with): when it changes, everything is rebuilt."""
    h = hashlib.sha256()
    h.update(f"min_cell={settings.min_cell}\n".encode())
    root = settings.dbt_project_dir
    files = [root / "dbt_project.yml"]
    for folder in ("models", "macros", "seeds", "tests"):
        files += sorted(p for p in (root / folder).rglob("*") if p.is_file())
    for path in files:
        h.update(str(path.relative_to(root)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def _fingerprint_file(settings: Settings) -> Path:
    return settings.build_db.with_name("project.sha256")


# --- selective incremental builds ---------------------------------------------------------
#
# A feed's staging model and everything downstream of it are rebuilt only when the feed has
# new loads. `dbt_state.json` beside the build file records, after every successful
# `run_dbt`, the load_ids each staging table holds (hashed), the project fingerprint and
# MOGNAD_MIN_CELL. The next `run_dbt` skips a feed's downstream only when all three agree:
# the state file, the staging table as it is now (so anything else that wrote the build
# file since, e.g. the cosmos tasks, makes it rebuild), and the loads the staging model
# would hold after this run (raw zone minus loads the gate failed). The state file is
# removed when a run starts, so a failed or interrupted run leaves a plain build next time.
# The ops marts (ledger, gate verdicts, days since delivery) are rebuilt every time.

STAGING_MODELS: dict[str, str] = {
    "survey": "stg_survey__answers",
    "training": "stg_training__events",
    "hr": "stg_hr__employments",
    "plan": "stg_plan__steps",
    "kolada": "stg_kolada__values",
}
ALWAYS_REBUILT = (
    "stg_ingest__attempts+",
    "stg_ingest__batch_checks+",
    "stg_ingest__inbox_waiting+",
    # a plan step's status and a future step's population depend on today's date
    "int_plan__step_cells+",
)


def _state_file(settings: Settings) -> Path:
    return settings.build_db.with_name("dbt_state.json")


def _digest(load_ids) -> str:
    return hashlib.sha256("\n".join(sorted(load_ids)).encode()).hexdigest()


def _expected_loads(settings: Settings) -> dict[str, str]:
    """Per feed: the digest of the load_ids its staging model holds after a build — every
    load in the raw zone except those the raw-batch gate failed (as `read_raw` reads)."""
    failed: set[str] = set()
    checks = settings.raw / "batch_checks.parquet"
    if checks.exists():
        con = duckdb.connect()
        try:
            failed = {
                r[0]
                for r in con.execute(
                    "select load_id from read_parquet(?) where not success", [str(checks)]
                ).fetchall()
            }
        finally:
            con.close()
    loads: dict[str, list[str]] = {feed: [] for feed in STAGING_MODELS}
    for b in raw_batches(settings):
        if b.feed in loads and b.load_id not in failed:
            loads[b.feed].append(b.load_id)
    return {feed: _digest(ids) for feed, ids in loads.items()}


def _staged_loads(settings: Settings) -> dict[str, str | None]:
    """Per feed: the digest of the load_ids in its staging table in the build file now
    (None when the table or the file is missing or cannot be read)."""
    out: dict[str, str | None] = dict.fromkeys(STAGING_MODELS)
    if not settings.build_db.exists():
        return out
    try:
        con = duckdb.connect(str(settings.build_db), read_only=True)
    except duckdb.Error:
        return out
    try:
        for feed, model in STAGING_MODELS.items():
            try:
                rows = con.execute(f"select distinct load_id from staging.{model}").fetchall()
            except duckdb.Error:
                continue
            out[feed] = _digest(r[0] for r in rows)
    finally:
        con.close()
    return out


def _unchanged_feeds(settings: Settings, fingerprint: str) -> list[str]:
    """The feeds whose downstream models need no rebuild (see above); removes the state
    file, which `_write_state` writes again after a successful run."""
    path = _state_file(settings)
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError):
        state = None
    path.unlink(missing_ok=True)
    if not isinstance(state, dict) or state.get("fingerprint") != fingerprint:
        return []
    if state.get("min_cell") != settings.min_cell:
        return []
    recorded = state.get("loads") or {}
    expected, staged = _expected_loads(settings), _staged_loads(settings)
    return [
        feed
        for feed in STAGING_MODELS
        if staged[feed] is not None and recorded.get(feed) == staged[feed] == expected[feed]
    ]


TESTED_INCREMENTALLY = {
    "stg_survey__answers": "staging",
    "int_maturity__respondent_scores": "intermediate",
}
"""Models whose data tests, in an incremental build, read only the rows of loads no earlier
passing build tested (dbt_project.yml `+where` / the model's test configs)."""


def _record_tested_loads(settings: Settings) -> None:
    """After a passing build with tests: every load in these models has been tested."""
    con = duckdb.connect(str(settings.build_db))
    try:
        for model, schema in TESTED_INCREMENTALLY.items():
            con.execute(
                f"insert into main.mognad_tested_loads "
                f"select distinct '{model}', load_id from {schema}.{model} "
                f"where load_id not in (select load_id from main.mognad_tested_loads "
                f"where model = '{model}')"
            )
        con.execute("checkpoint")
    finally:
        con.close()


def _write_state(settings: Settings, fingerprint: str) -> None:
    state = {
        "fingerprint": fingerprint,
        "min_cell": settings.min_cell,
        "loads": _staged_loads(settings),
    }
    path = _state_file(settings)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(state, indent=1) + "\n")
    os.replace(tmp, path)


def run_dbt(settings: Settings, full_refresh: bool = False, tests: bool = True) -> DbtSummary:
    """`dbt build` (seeds, models, data and unit tests) into the persistent build file.

    Incremental by default: staging reads only loads new since the last build. With
    `full_refresh` (or when the build file is missing, or the dbt project changed since it
    was built) the build file is deleted and everything is rebuilt from the raw zone.
    `tests=False` skips the data and unit tests (a quicker rebuild while developing).
    Raises BuildError naming the failed nodes."""
    from dbt.cli.main import dbtRunner

    build_db = settings.build_db
    build_db.parent.mkdir(parents=True, exist_ok=True)
    fingerprint = project_fingerprint(settings)
    stamp = _fingerprint_file(settings)
    if not full_refresh and not (
        build_db.exists() and stamp.exists() and stamp.read_text().strip() == fingerprint
    ):
        if build_db.exists():
            _say("the dbt project changed since the last build: full rebuild")
        full_refresh = True
    skipped: list[str] = []
    if full_refresh:
        for old in (build_db, build_db.with_name(build_db.name + ".wal"), stamp):
            old.unlink(missing_ok=True)
        _state_file(settings).unlink(missing_ok=True)
    else:
        skipped = _unchanged_feeds(settings, fingerprint)
    args = dbt_args(settings)
    if full_refresh:
        args.append("--full-refresh")
    elif skipped:
        changed = [STAGING_MODELS[f] + "+" for f in STAGING_MODELS if f not in skipped]
        args += ["--select", *changed, *ALWAYS_REBUILT]
    if not tests:
        args += ["--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]
    mode = "full rebuild" if full_refresh else "incremental"
    if skipped:
        mode += f"; no new loads, not rebuilt: {', '.join(skipped)}"
    _say(f"dbt build ({mode}) into {build_db}")
    started = time.monotonic()
    with _environment(dbt_env(settings)):
        try:
            res = dbtRunner().invoke(args)
        finally:
            _release_duckdb()
    seconds = time.monotonic() - started
    if res.exception is not None:
        raise BuildError(f"dbt build could not run: {str(res.exception).splitlines()[0]}")
    failed, first_message = [], ""
    counts = {"model": 0, "seed": 0, "test": 0, "unit_test": 0}
    for r in getattr(res.result, "results", None) or []:
        kind = str(getattr(r.node, "resource_type", ""))
        kind = kind.rsplit(".", 1)[-1].lower()
        if str(r.status) in ("error", "fail", "runtime error"):
            failed.append(getattr(r.node, "name", str(r.node)))
            first_message = first_message or " ".join(str(r.message or "").split())[:200]
        elif kind in counts:
            counts[kind] += 1
    if not res.success or failed:
        names = ", ".join(failed) or "unknown node"
        detail = f" — {first_message}" if first_message else ""
        raise BuildError(f"dbt build failed ({len(failed)} node(s)): {names}{detail}")
    stamp.write_text(fingerprint + "\n")
    if tests:
        _record_tested_loads(settings)
        _write_state(settings, fingerprint)
    summary = DbtSummary(
        full_refresh,
        counts["model"],
        counts["seed"],
        counts["test"],
        counts["unit_test"],
        seconds,
        tuple(skipped),
    )
    _say(
        f"dbt build passed in {seconds:.1f} s: {summary.models} models, {summary.seeds} seeds, "
        f"{summary.tests} data tests, {summary.unit_tests} unit tests"
    )
    return summary


def parse_dbt(settings: Settings, target_path: Path | None = None) -> Path:
    """`dbt parse`: write manifest.json (for cosmos' LoadMode.DBT_MANIFEST) without building.

    Default target: dbt_project/target. `run_dbt` also leaves a manifest.json in its own
    target folder beside the build file."""
    from dbt.cli.main import dbtRunner

    target = target_path or settings.dbt_project_dir / "target"
    args = dbt_args(settings, "parse")
    args[args.index("--target-path") + 1] = str(target)
    with _environment(dbt_env(settings)):
        res = dbtRunner().invoke(args)
    if not res.success:
        raise BuildError(f"dbt parse failed: {res.exception}")
    return target / "manifest.json"


def docs_generate(settings: Settings, target_path: Path | None = None) -> Path:
    """`dbt docs generate --static` against the build file: one self-contained
    `static_index.html` (readable offline) beside index.html, manifest.json, catalog.json.
    Default target: `warehouse/build/dbt/docs`. Run after a build (the catalog reads the
    build file). Returns the static page."""
    from dbt.cli.main import dbtRunner

    if not settings.build_db.exists():
        raise BuildError(f"no build file at {settings.build_db}: run `mognad build` first")
    target = target_path or settings.build_db.parent / "dbt" / "docs"
    args = dbt_args(settings, "docs")
    args[args.index("--target-path") + 1] = str(target)
    args = ["docs", "generate", "--static", *args[1:]]
    with _environment(dbt_env(settings)):
        try:
            res = dbtRunner().invoke(args)
        finally:
            _release_duckdb()
    if not res.success:
        raise BuildError(f"dbt docs generate failed: {res.exception}")
    return target / "static_index.html"


# --- all steps --------------------------------------------------------------------------


def mart_rows(path: Path) -> dict[str, int]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = con.execute(
            "select table_name from duckdb_tables() where schema_name = 'marts' order by table_name"
        ).fetchall()
        return {
            t: con.execute(f'select count(*) from marts."{t}"').fetchone()[0] for (t,) in tables
        }
    finally:
        con.close()


def build(settings: Settings, full: bool = False) -> BuildResult:
    """Write-audit-publish: prepare (ingest log, raw-batch gate), dbt build (incremental, or
    from scratch with `full`), validate the marts; publish only when everything passed.
    Ends with a summary: models, tests, expectations, rows per mart."""
    with _build_lock(settings):
        return _build(settings, full)


@contextmanager
def _build_lock(settings: Settings):
    """One build at a time per home: a second `mognad build` fails at once with a clear
    reason instead of fighting over the build file."""
    import fcntl

    settings.build_db.parent.mkdir(parents=True, exist_ok=True)
    path = settings.build_db.parent / ".build.lock"
    with open(path, "w") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildError(
                f"ett annat bygge pågår / another build is running (lock {path}); "
                "try again when it has finished"
            ) from None
        yield


# --- nothing new? (a no-op `mognad run` skips the build) ---------------------------------


def input_state(settings: Settings) -> str:
    """A fingerprint of what a build reads: every ingest attempt in the ledger (a new load,
    duplicate or quarantine adds one; the raw zone only grows with loads, and the raw-batch
    verdicts follow from the loads), the dbt project's files, MOGNAD_MIN_CELL and today's
    date (the marts count days since the last delivery). Equal fingerprints, equal build."""
    h = hashlib.sha256()
    h.update(f"{datetime.now(UTC).date()}|{settings.min_cell}|".encode())
    # fct_training_plan: a step's status follows the calendar in Europe/Stockholm
    stockholm = ZoneInfo("Europe/Stockholm")
    plan_today = os.environ.get("MOGNAD_PLAN_TODAY") or datetime.now(stockholm).date()
    h.update(f"plan {plan_today}|".encode())
    h.update(project_fingerprint(settings).encode())
    if settings.ledger_path.exists():
        con = sqlite3.connect(f"file:{settings.ledger_path}?mode=ro", uri=True)
        try:
            if con.execute(
                "select 1 from sqlite_master where type = 'table' and name = 'attempts'"
            ).fetchone():
                for row in con.execute("select * from attempts order by 1"):
                    h.update(repr(row).encode())
        finally:
            con.close()
    return h.hexdigest()


def _published_state_file(settings: Settings) -> Path:
    return settings.build_db.with_name("published.state")


def up_to_date(settings: Settings) -> bool:
    """True when the published file was built by `build` from exactly today's inputs
    (`input_state`): nothing new has arrived since, so a build would publish the same."""
    stamp = _published_state_file(settings)
    if not (settings.published_db.exists() and stamp.exists()):
        return False
    return stamp.read_text().strip() == input_state(settings)


def _build(settings: Settings, full: bool) -> BuildResult:
    started = time.monotonic()
    state = input_state(settings)  # before reading anything: a later arrival means rebuild
    _published_state_file(settings).unlink(missing_ok=True)
    _say("1/4 prepare: ingest log and the raw-batch quality gate")
    prepared = prepare_build(settings)
    _say("2/4 dbt build")
    dbt = run_dbt(settings, full_refresh=full)
    _say("3/4 validating the marts with Great Expectations")
    outcome = validate_marts(settings)
    if not outcome.success:
        first = outcome.summary.splitlines()
        raise BuildError(
            f"validation failed, nothing published: {'; '.join(first[:4])}"
            + (f" (details: {outcome.result_path})" if outcome.result_path else "")
        )
    _say(f"validation passed ({outcome.summary}); results in {outcome.result_path}")
    _say("4/4 publish")
    published = publish(settings)
    # before the state stamp: a failed open-data write leaves the build to be redone
    _say(f"open data in {write_open_data(settings, settings.published_db)}")
    _published_state_file(settings).write_text(state + "\n")
    seconds = time.monotonic() - started
    rows = mart_rows(published)
    _say(f"published {published} in {seconds:.1f} s")
    mode = "full rebuild" if dbt.full_refresh else "incremental"
    if dbt.skipped_feeds:
        mode += f" (no new loads, not rebuilt: {', '.join(dbt.skipped_feeds)})"
    _say(
        "summary: "
        f"{mode}; "
        f"raw batches checked {prepared.batches_checked}, failed {len(prepared.batches_failed)}; "
        f"{dbt.models} models, {dbt.tests} data tests, {dbt.unit_tests} unit tests passed; "
        f"{outcome.expectations} expectations passed; "
        f"data docs {settings.quality_dir / 'index.html'}"
    )
    width = max(map(len, rows), default=0)
    for table, n in rows.items():
        _say(f"  marts.{table:<{width}} {n:>9} rows")
    return BuildResult(published, prepared.ingest_log, outcome, seconds, prepared, dbt, rows)
