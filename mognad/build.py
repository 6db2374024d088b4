"""`mognad build`: export the ingest ledger, dbt build, validate the marts, publish.

The CLI and the Airflow DAG call these functions; each step can also run alone:

    export_ingest_log(settings) -> Path        ledger -> raw/ingest_log.parquet
    run_dbt(settings, full=True) -> None       dbt build into a fresh build file
    parse_dbt(settings) -> Path                dbt parse -> manifest.json (for cosmos)
    validate_marts(settings) -> ValidationOutcome   Great Expectations on the marts
    publish(settings) -> Path                  marts -> warehouse/mognad.duckdb (atomic)
    build(settings) -> BuildResult             all four; BuildError on any failure
"""

from __future__ import annotations

import os
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from mognad.config import Settings
from mognad.publish import publish
from mognad.quality import ValidationOutcome, validate_marts

__all__ = [
    "BuildError",
    "BuildResult",
    "ValidationOutcome",
    "build",
    "export_ingest_log",
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
class BuildResult:
    published_db: Path
    ingest_log: Path
    validation: ValidationOutcome
    seconds: float


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


def export_ingest_log(settings: Settings) -> Path:
    """Write every ingest attempt from the ledger to raw/ingest_log.parquet (atomically).

    A missing ledger or `attempts` table gives an empty file with the same columns."""
    rows = _read_ledger(settings.ledger_path)
    target = settings.raw / "ingest_log.parquet"
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(".ingest_log.parquet.tmp")
    con = duckdb.connect()
    try:
        columns = ", ".join(f"{c} {t}" for c, t in INGEST_LOG_COLUMNS.items())
        con.execute(f"create table attempts ({columns})")
        if rows:
            marks = ", ".join("?" for _ in INGEST_LOG_COLUMNS)
            con.executemany(f"insert into attempts values ({marks})", rows)
        con.execute(
            f"copy (select * from attempts order by attempt_id) to '{tmp}' (format parquet)"
        )
    finally:
        con.close()
    os.replace(tmp, target)
    _say(f"exported {len(rows)} ingest attempts to {target}")
    return target


# --- 2. dbt -----------------------------------------------------------------------------


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


def run_dbt(settings: Settings, full: bool = True) -> None:
    """`dbt build` (seeds, models, data and unit tests) into a fresh build file.

    `full=False` skips the data and unit tests (a quicker rebuild while developing).
    Raises BuildError naming the failed nodes."""
    from dbt.cli.main import dbtRunner

    build_db = settings.build_db
    build_db.parent.mkdir(parents=True, exist_ok=True)
    for old in (build_db, build_db.with_name(build_db.name + ".wal")):
        old.unlink(missing_ok=True)
    args = dbt_args(settings)
    if not full:
        args += ["--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]
    _say(f"dbt {' '.join(args[:1])} into {build_db}")
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
    for r in getattr(res.result, "results", None) or []:
        if str(r.status) in ("error", "fail", "runtime error"):
            failed.append(getattr(r.node, "name", str(r.node)))
            first_message = first_message or " ".join(str(r.message or "").split())[:200]
    if not res.success or failed:
        names = ", ".join(failed) or "unknown node"
        detail = f" — {first_message}" if first_message else ""
        raise BuildError(f"dbt build failed ({len(failed)} node(s)): {names}{detail}")
    _say(f"dbt build passed in {seconds:.1f} s")


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


# --- all steps --------------------------------------------------------------------------


def build(settings: Settings) -> BuildResult:
    """Export the ledger, dbt build, validate; publish only when everything passed."""
    started = time.monotonic()
    ingest_log = export_ingest_log(settings)
    run_dbt(settings)
    _say("validating the marts with Great Expectations")
    outcome = validate_marts(settings)
    if not outcome.success:
        first = outcome.summary.splitlines()
        raise BuildError(
            f"validation failed, nothing published: {'; '.join(first[:4])}"
            + (f" (details: {outcome.result_path})" if outcome.result_path else "")
        )
    _say(f"validation passed ({outcome.summary}); results in {outcome.result_path}")
    published = publish(settings)
    seconds = time.monotonic() - started
    _say(f"published {published} in {seconds:.1f} s")
    return BuildResult(published, ingest_log, outcome, seconds)
