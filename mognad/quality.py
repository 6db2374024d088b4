"""Validate the marts in the build file with Great Expectations 1.x (suites in expectations/).

Tables are read with duckdb into pandas DataFrames (GX's SQL datasource does not work on
DuckDB) and validated in an ephemeral context: a pandas datasource, one dataframe asset,
batch definition, validation definition and checkpoint per suite, all add-or-update so the
setup can run any number of times in one process.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from mognad.config import Settings
from mognad.reference import municipalities

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ValidationOutcome:
    success: bool
    summary: str
    result_path: Path | None


def load_suites(expectations_dir: Path) -> list[dict]:
    """The suite definitions (JSON) in expectations/suites, sorted by name."""
    suites = []
    for path in sorted((expectations_dir / "suites").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if "table" not in data.get("meta", {}):
            raise ValueError(f"{path.name}: meta.table is missing")
        suites.append(data)
    return suites


def _read_tables(build_db: Path, tables: list[str]) -> dict:
    con = duckdb.connect(str(build_db), read_only=True)
    try:
        return {table: con.sql(f"select * from {table}").df() for table in tables}
    finally:
        con.close()


def _failed(result) -> list[str]:
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
            detail = f": {res['unexpected_count']} unexpected, e.g. {sample[:3]}"
        elif "observed_value" in res:
            detail = f": observed {res['observed_value']}"
        if r.exception_info and r.exception_info.get("raised_exception"):
            detail += f" (error: {r.exception_info.get('exception_message')})"
        lines.append(f"{cfg.type} {kwargs}{detail}")
    return lines


def validate_marts(settings: Settings) -> ValidationOutcome:
    """Validate every suite's table in the build file; never raises."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    result_path = settings.quality_dir / f"marts-{stamp}.json"
    try:
        suites = load_suites(settings.expectations_dir)
        if not suites:
            return ValidationOutcome(False, "no expectation suites found", None)
        frames = _read_tables(settings.build_db, [s["meta"]["table"] for s in suites])
    except Exception as exc:  # noqa: BLE001 - the caller decides; we report
        return ValidationOutcome(False, f"could not read the marts: {exc}", None)

    try:
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        datasource = context.data_sources.add_or_update_pandas(name="mognad_build")
        parameters = {
            "min_cell": settings.min_cell,
            "municipality_codes": sorted(municipalities()),
        }
        report: dict = {"success": True, "validated_at": stamp, "parameters": {}, "results": {}}
        report["parameters"]["min_cell"] = settings.min_cell
        failures: list[str] = []
        for spec in suites:
            table = spec["meta"]["table"]
            suite = gx.ExpectationSuite(
                name=spec["name"], expectations=spec["expectations"], meta=spec.get("meta")
            )
            if len(suite.expectations) != len(spec["expectations"]):
                raise ValueError(f"suite {spec['name']}: some expectations are invalid")
            suite = context.suites.add_or_update(suite)
            asset_name = table.replace(".", "__")
            try:
                asset = datasource.get_asset(asset_name)
            except LookupError:
                asset = datasource.add_dataframe_asset(name=asset_name)
            try:
                batch_def = asset.get_batch_definition("whole")
            except (KeyError, LookupError):
                batch_def = asset.add_batch_definition_whole_dataframe("whole")
            vd = context.validation_definitions.add_or_update(
                gx.ValidationDefinition(name=spec["name"], data=batch_def, suite=suite)
            )
            checkpoint = context.checkpoints.add_or_update(
                gx.Checkpoint(name=spec["name"], validation_definitions=[vd])
            )
            run = checkpoint.run(
                batch_parameters={"dataframe": frames[table]},
                expectation_parameters=parameters,
            )
            for vr in run.run_results.values():
                report["results"][table] = vr.to_json_dict()
                if not vr.success:
                    report["success"] = False
                    failures += [f"{table}: {line}" for line in _failed(vr)]
        settings.quality_dir.mkdir(parents=True, exist_ok=True)
        tmp = result_path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str), "utf-8")
        tmp.replace(result_path)
    except Exception as exc:  # noqa: BLE001
        log.exception("validation could not run")
        return ValidationOutcome(False, f"validation could not run: {exc}", None)

    if report["success"]:
        n = sum(len(s["expectations"]) for s in suites)
        summary = f"all {n} expectations passed on {len(suites)} tables"
    else:
        summary = f"{len(failures)} expectation(s) failed:\n" + "\n".join(failures)
    return ValidationOutcome(report["success"], summary, result_path)
