"""The feed registry: every feed the platform lands in the raw zone, its raw columns and
their types, and the operational tables `mognad build` exports beside them.

One place, from which the rest is derived:
- the feed lists (`DELIVERED_FEEDS`: what municipalities deliver into an inbox;
  `RAW_FEEDS`: those plus `kolada`, which `mognad pull` fetches);
- the raw zone's Parquet schema (`mognad.ingest.land.FEED_SCHEMAS`);
- dbt's source definition `dbt_project/models/staging/_src_raw.yml`, with data types;
- the column sets of the raw Great Expectations suites `expectations/raw/raw.<feed>.json`.

The two files are written by `python -m mognad.contract.generate` (also run by
`mognad docs`); `tests/unit/test_feed_registry.py` fails when either drifts.
Which delivered header maps to which column is the ingest's business (`mognad.ingest.rules`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RawColumn:
    name: str
    type: str
    """The DuckDB type (VARCHAR, INTEGER, BIGINT, DOUBLE, BOOLEAN, DATE, TIMESTAMP)."""
    description: str = ""


@dataclass(frozen=True)
class Feed:
    name: str
    description: str
    columns: tuple[RawColumn, ...]
    """The feed's own columns, after the provenance columns every load carries."""
    delivered: bool = True
    """Delivered by municipalities into an inbox; False: fetched by `mognad pull`."""

    @property
    def raw_columns(self) -> tuple[RawColumn, ...]:
        return (*PROVENANCE, *self.columns)


@dataclass(frozen=True)
class Export:
    """A table `mognad build` exports to the raw zone before dbt runs (one Parquet file)."""

    name: str
    description: str
    columns: tuple[RawColumn, ...]

    @property
    def types(self) -> dict[str, str]:
        return {c.name: c.type for c in self.columns}


PROVENANCE: tuple[RawColumn, ...] = (
    RawColumn("load_id", "VARCHAR", "The load (one accepted file) the row came from."),
    RawColumn(
        "municipality_code",
        "VARCHAR",
        "Four-digit SCB municipality code (text, leading zero kept).",
    ),
    RawColumn("source_file", "VARCHAR", "Name of the delivered file."),
    RawColumn("sha256", "VARCHAR", "SHA-256 of the delivered file's bytes."),
    RawColumn("received_at", "TIMESTAMP", "When the platform took the file (UTC)."),
    RawColumn(
        "source_row",
        "INTEGER",
        "Row number in the delivered file as a person counts it (header = 1).",
    ),
)

FEEDS: dict[str, Feed] = {
    "survey": Feed(
        "survey",
        "Survey answers in long format, one row per respondent and item.",
        (
            RawColumn(
                "respondent_id",
                "VARCHAR",
                "Respondent identifier as delivered, unique within the file.",
            ),
            RawColumn("submitted_at", "TIMESTAMP", "When the respondent submitted the survey."),
            RawColumn("wave", "INTEGER", "Measurement wave, the calendar year of submitted_at."),
            RawColumn("target_group", "VARCHAR", "förtroendevald, chef or medarbetare."),
            RawColumn("gender", "VARCHAR", "kvinna, man, annat or ej angivet."),
            RawColumn("department", "VARCHAR", "Förvaltning, nullable."),
            RawColumn(
                "instrument", "VARCHAR", "Survey instrument (codebook), e.g. dimios or digcomp."
            ),
            RawColumn("item_code", "VARCHAR", "Codebook item code, e.g. F01 or DC26."),
            RawColumn(
                "answer", "INTEGER", "Integer answer on the item's scale; NULL means no answer."
            ),
        ),
    ),
    "training": Feed(
        "training",
        "Training events, one row per pseudonymised person and course event.",
        (
            RawColumn(
                "person_key",
                "VARCHAR",
                "HMAC-SHA256 (hex) of the normalised 12-digit personnummer.",
            ),
            RawColumn("course_code", "VARCHAR", "Course code."),
            RawColumn("course_name", "VARCHAR", "Course name, nullable."),
            RawColumn("completed_at", "DATE", "Completion date, nullable."),
            RawColumn("status", "VARCHAR", "completed, passed, failed, incomplete or started."),
            RawColumn("completed", "BOOLEAN", "True when status is completed or passed."),
            RawColumn("format", "VARCHAR", "e-learning, workshop or other, nullable."),
            RawColumn("hours", "DOUBLE", "Course hours, nullable."),
        ),
    ),
    "hr": Feed(
        "hr",
        "HR snapshots, one row per pseudonymised person and employment.",
        (
            RawColumn(
                "person_key",
                "VARCHAR",
                "HMAC-SHA256 (hex) of the normalised 12-digit personnummer.",
            ),
            RawColumn(
                "snapshot_date", "DATE", "Snapshot date (YYYY-MM becomes the month's last day)."
            ),
            RawColumn("department", "VARCHAR", "Förvaltning."),
            RawColumn("unit", "VARCHAR", "Enhet, nullable."),
            RawColumn("target_group", "VARCHAR", "förtroendevald, chef or medarbetare."),
            RawColumn("gender", "VARCHAR", "kvinna, man, annat or ej angivet."),
            RawColumn("aid_code", "VARCHAR", "AID code, six digits as text, nullable."),
            RawColumn("fte", "DOUBLE", "Sysselsättningsgrad as a fraction 0–1, nullable."),
        ),
    ),
    "plan": Feed(
        "plan",
        "Training-plan steps, one row per step of a delivered plan file.",
        (
            RawColumn("step", "VARCHAR", "The step's short name, unique in the file."),
            RawColumn("target_group", "VARCHAR", "förtroendevald, chef, medarbetare or alla."),
            RawColumn("department", "VARCHAR", "Förvaltning, nullable (the whole municipality)."),
            RawColumn(
                "course_codes",
                "VARCHAR",
                "Course codes joined with ';' (trimmed, in the order written).",
            ),
            RawColumn("starts_on", "DATE", "Start date, nullable."),
            RawColumn("due_on", "DATE", "Due date."),
            RawColumn("target_pct", "DOUBLE", "Target coverage in percent, 0–100."),
            RawColumn(
                "after_step", "VARCHAR", "A step of the same file to be completed first, nullable."
            ),
        ),
    ),
    "kolada": Feed(
        "kolada",
        (
            "Kolada v3 key figures pulled by `mognad pull`, one row per KPI, municipality, year "
            "and "
            "gender (T/K/M as alla/kvinna/man)."
        ),
        (
            RawColumn("kpi", "VARCHAR", "Kolada KPI id."),
            RawColumn("year", "INTEGER", "Year of the value."),
            RawColumn("gender", "VARCHAR", "alla, kvinna or man."),
            RawColumn("value", "DOUBLE", "The value (DOUBLE)."),
        ),
        delivered=False,
    ),
}

DELIVERED_FEEDS: tuple[str, ...] = tuple(f for f, spec in FEEDS.items() if spec.delivered)
RAW_FEEDS: tuple[str, ...] = tuple(FEEDS)

EXPORTS: dict[str, Export] = {
    "ingest_log": Export(
        "ingest_log",
        (
            "Every ingest attempt, exported from the ingest ledger by `mognad build` to "
            "`raw/ingest_log.parquet` before dbt runs."
        ),
        (
            RawColumn("attempt_id", "VARCHAR", "Ledger id of the attempt."),
            RawColumn(
                "municipality_code",
                "VARCHAR",
                "Municipality folder the file came from (may be unknown for quarantined files).",
            ),
            RawColumn("feed", "VARCHAR", "Feed folder the file came from."),
            RawColumn("file", "VARCHAR", "File name as delivered."),
            RawColumn("sha256", "VARCHAR", "SHA-256 of the file's bytes."),
            RawColumn("status", "VARCHAR", "loaded, duplicate or quarantined."),
            RawColumn("rows_read", "BIGINT", "Data rows read from the file."),
            RawColumn("rows_loaded", "BIGINT", "Rows written to the raw zone."),
            RawColumn("rows_rejected", "BIGINT", "Rows rejected with a reason in the receipt."),
            RawColumn("received_at", "TIMESTAMP", "When the file was taken (UTC)."),
            RawColumn("load_id", "VARCHAR", "The load id when rows were loaded."),
            RawColumn("reason", "VARCHAR", "Why a file was quarantined, or a short note."),
        ),
    ),
    "inbox_waiting": Export(
        "inbox_waiting",
        (
            "The files waiting in the inboxes when the build started, written by `mognad build` to "
            "`raw/inbox_waiting.parquet` (mognad.quality.status.inbox_files)."
        ),
        (
            RawColumn("municipality_code", "VARCHAR", "The inbox's municipality folder."),
            RawColumn("feed", "VARCHAR", "The inbox's feed folder."),
            RawColumn("file", "VARCHAR", "File name as delivered."),
            RawColumn("modified_at", "TIMESTAMP", "When the file was last changed (UTC)."),
            RawColumn("waiting_minutes", "DOUBLE", "Minutes since the file was last changed."),
            RawColumn(
                "settled",
                "BOOLEAN",
                "True when the file has not changed for the settle time (ingest takes it).",
            ),
            RawColumn(
                "stale", "BOOLEAN", "Settled and still waiting after MOGNAD_STALE_INBOX_MINUTES."
            ),
        ),
    ),
    "batch_checks": Export(
        "batch_checks",
        (
            "The raw-batch quality gate's verdict per load, exported from the ledger's "
            "`batch_checks` "
            "table by `mognad build` to `raw/batch_checks.parquet`."
        ),
        (
            RawColumn("load_id", "VARCHAR", "The checked load."),
            RawColumn("municipality_code", "VARCHAR", "Municipality of the load."),
            RawColumn("feed", "VARCHAR", "Feed of the load."),
            RawColumn("file", "VARCHAR", "File name as delivered."),
            RawColumn("checked_at", "TIMESTAMP", "When the gate judged the load (UTC)."),
            RawColumn("success", "BOOLEAN", "True when the load passed its feed's raw suite."),
            RawColumn("failed_expectations", "VARCHAR", "What failed, one expectation per line."),
        ),
    ),
}
