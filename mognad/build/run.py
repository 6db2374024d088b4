"""`mognad build`: write-audit-publish from the raw zone to the published mart.

The CLI and the Airflow DAG call these functions; each step can also run alone:

    gate.prepare_build(settings) -> Prepared   ingest log export, raw-batch GX gate
    exports.export_ingest_log(settings) -> Path   ledger -> raw/ingest_log.parquet
    gate.check_raw_batches(settings) -> ...    the gate alone (new load_ids only)
    dbt.run_dbt(settings, full_refresh=False) -> DbtSummary
                                               dbt build into the persistent build file;
                                               staging reads only new loads (incremental)
    quality.disclosure.protect.protect_build(settings) -> ProtectResult
                                               joint secondary suppression in the marts
    dbt.parse_dbt(settings) -> Path            dbt parse -> manifest.json (for cosmos)
    dbt.docs_generate(settings) -> Path        dbt docs generate (needs a built build file)
    quality.marts.validate_marts(settings) -> ValidationOutcome  Great Expectations on marts
    publish.publish(settings) -> Path          marts -> warehouse/mognad.duckdb (atomic)
    build(settings, full=False) -> BuildResult all of it; BuildError on any failure

Incremental design: the build file `warehouse/build/mognad_build.duckdb` persists between
builds. The staging models are dbt incremental models keyed on load_id: each build reads
only the raw Parquet files of loads that are new since the last build (and not failed by
the gate). Only feeds with new loads have their downstream models rebuilt and re-tested
(`dbt_state.json`, `mognad.build.incremental`); the maturity intermediates
are incremental themselves (per load, per municipality). `full=True` (`mognad build
--full`) deletes the build file and rebuilds from the raw zone; so does a change to the dbt
project or MOGNAD_MIN_CELL (a fingerprint of both is kept beside the file).
"""

from __future__ import annotations

import hashlib
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from mognad.build.dbt import DbtSummary, project_fingerprint, run_dbt
from mognad.build.errors import BuildError, say
from mognad.build.gate import Prepared, prepare_build
from mognad.build.open_data import write_open_data
from mognad.build.publish import publish
from mognad.config import Settings
from mognad.quality.disclosure.protect import ProtectError, protect_build
from mognad.quality.marts import ValidationOutcome, validate_marts
from mognad.state.ledger import (
    attempt_rows_in_order,
)


@dataclass(frozen=True)
class BuildResult:
    published_db: Path
    ingest_log: Path
    validation: ValidationOutcome
    seconds: float
    prepared: Prepared | None = None
    dbt: DbtSummary | None = None
    rows: dict[str, int] | None = None


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
    for row in attempt_rows_in_order(settings.ledger_path):
        h.update(repr(row).encode())
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
    say("1/5 prepare: ingest log and the raw-batch quality gate")
    prepared = prepare_build(settings)
    say("2/5 dbt build")
    dbt = run_dbt(settings, full_refresh=full)
    say("3/5 joint disclosure control over the linked marts")
    try:
        protected = protect_build(settings, progress=say)
    except ProtectError as exc:
        raise BuildError(f"disclosure control failed, nothing published: {exc}") from exc
    say(protected.summary())
    say("4/5 validating the marts with Great Expectations")
    outcome = validate_marts(settings)
    if not outcome.success:
        first = outcome.summary.splitlines()
        raise BuildError(
            f"validation failed, nothing published: {'; '.join(first[:4])}"
            + (f" (details: {outcome.result_path})" if outcome.result_path else "")
        )
    say(f"validation passed ({outcome.summary}); results in {outcome.result_path}")
    say("5/5 publish")
    published = publish(settings)
    # before the state stamp: a failed open-data write leaves the build to be redone
    say(f"open data in {write_open_data(settings, settings.published_db)}")
    _published_state_file(settings).write_text(state + "\n")
    seconds = time.monotonic() - started
    rows = mart_rows(published)
    say(f"published {published} in {seconds:.1f} s")
    mode = "full rebuild" if dbt.full_refresh else "incremental"
    if dbt.skipped_feeds:
        mode += f" (no new loads, not rebuilt: {', '.join(dbt.skipped_feeds)})"
    say(
        "summary: "
        f"{mode}; "
        f"raw batches checked {prepared.batches_checked}, failed {len(prepared.batches_failed)}; "
        f"{dbt.models} models, {dbt.tests} data tests, {dbt.unit_tests} unit tests passed; "
        f"{outcome.expectations} expectations passed; "
        f"data docs {settings.quality_dir / 'index.html'}"
    )
    width = max(map(len, rows), default=0)
    for table, n in rows.items():
        say(f"  marts.{table:<{width}} {n:>9} rows")
    return BuildResult(published, prepared.ingest_log, outcome, seconds, prepared, dbt, rows)
