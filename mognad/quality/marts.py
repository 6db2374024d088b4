"""The mart gate: the built marts against `expectations/suites/*.json` before publish,
with the row count against the last publish (`MOGNAD_MIN_ROW_SHARE`)."""

from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

from mognad.config import Settings
from mognad.contract.reference import municipalities
from mognad.quality.gx import _Gx, _read_tables, _stamp, _write_report, load_suites

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ValidationOutcome:
    success: bool
    summary: str
    result_path: Path | None
    expectations: int = 0
    failed: int = 0


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
