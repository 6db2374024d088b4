"""Selective incremental builds: which feeds have new loads, and the state file that lets
the next `run_dbt` skip a feed's downstream models when nothing changed."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import duckdb

from mognad.build.gate import raw_batches
from mognad.config import Settings

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
    # the marts the joint disclosure control protects in place: rebuilt from their inputs
    # every time, so the protection starts from the same marts an incremental and a full
    # build have, and hides the same cells (a kept mart would carry the last build's hides)
    "fct_maturity+",
    "fct_maturity_gender+",
    "fct_response_rate+",
    "fct_training_coverage+",
    "fct_training_completions+",
    "fct_training_plan_gender+",
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
