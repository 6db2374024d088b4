"""The Great Expectations runner both gates share: suites read from expectations/, one
ephemeral context, failures as short lines (no sample values: personal data), reports as
JSON in the quality zone."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from mognad.config import Settings
from mognad.quality.docs import render_data_docs

log = logging.getLogger(__name__)


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
