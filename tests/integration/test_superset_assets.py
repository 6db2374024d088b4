"""Link checker: dashboard → chart → dataset → reporting model/column, against the dbt project.

Offline (no Superset, no build): reads the asset YAML in ``superset/assets`` and the dbt
manifest (``dbt parse``). Every dataset is a physical table on a reporting model
(dbt_project/models/reporting); fails when a chart points at something the models no
longer have. The checker itself is tested by breaking references in a copy.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from tests.integration.dbt_manifest import generator, manifest

REPO = Path(__file__).resolve().parents[2]
ASSETS = REPO / "superset" / "assets"


def _strip_strings(sql: str) -> str:
    return re.sub(r"'(?:[^']|'')*'", "''", sql)


def dbt_models(manifest: dict) -> dict[str, set[str]]:
    """Reporting dataset model → its documented columns."""
    return {
        name: set(node["columns"]) for name, node in generator().reporting_models(manifest).items()
    }


def check(assets: Path, manifest: dict) -> list[str]:
    """Every broken reference, as a readable line (empty when all links hold)."""
    problems: list[str] = []
    models = dbt_models(manifest)
    datasets: dict[str, dict] = {}
    for path in sorted((assets / "datasets").rglob("*.yaml")):
        ds = yaml.safe_load(path.read_text(encoding="utf-8"))
        datasets[ds["uuid"]] = ds
        name = f"dataset {ds['table_name']}"
        columns = {c["column_name"] for c in ds.get("columns", [])}
        if ds.get("sql") or ds.get("schema") != "reporting":
            problems.append(f"{name}: not a physical table in schema reporting")
        model = models.get(ds["table_name"])
        if model is None:
            problems.append(f"{name}: no dbt reporting model {ds['table_name']}")
        else:
            problems += [f"{name}: no column {c} in the model" for c in sorted(columns - model)]
        metric_cols = set()
        for metric in ds.get("metrics", []):
            metric_cols |= set(
                re.findall(r"[a-z_][a-z0-9_]*", _strip_strings(metric["expression"]))
            )
        # identifiers in metric expressions that look like columns must be columns
        for ident in metric_cols:
            if (
                "_" in ident
                and ident not in columns
                and ident not in ("date_diff", "current_timestamp")
            ):
                problems.append(f"{name}: metric uses unknown column {ident}")

    charts: dict[str, dict] = {}
    for path in sorted((assets / "charts").glob("*.yaml")):
        ch = yaml.safe_load(path.read_text(encoding="utf-8"))
        charts[ch["uuid"]] = ch
        name = f"chart {ch['slice_name']!r}"
        ds = datasets.get(ch["dataset_uuid"])
        if ds is None:
            problems.append(f"{name}: dataset {ch['dataset_uuid']} does not exist")
            continue
        columns = {c["column_name"] for c in ds.get("columns", [])}
        metrics = {m["metric_name"] for m in ds.get("metrics", [])}
        p = ch["params"]
        used = [p.get("x_axis"), *p.get("groupby", []), *p.get("all_columns", [])]
        used += [f["subject"] for f in p.get("adhoc_filters", [])]
        used += [re.match(r'\["(\w+)"', o).group(1) for o in p.get("order_by_cols", [])]
        for col in filter(None, used):
            if col not in columns:
                problems.append(f"{name}: column {col} not in dataset {ds['table_name']}")
        for metric in p.get("metrics", []):
            if isinstance(metric, str):
                if metric not in metrics:
                    problems.append(f"{name}: metric {metric} not in dataset {ds['table_name']}")
            else:
                expr = _strip_strings(metric["sqlExpression"])
                for ident in re.findall(r"\b([a-z_][a-z0-9_]*)\b(?!\s*\()", expr):
                    if ident not in columns and ident.upper() not in (
                        "CASE",
                        "WHEN",
                        "THEN",
                        "END",
                        "ELSE",
                        "NULL",
                        "AND",
                        "OR",
                    ):
                        problems.append(f"{name}: metric expression uses unknown {ident}")

    dashboards = sorted((assets / "dashboards").glob("*.yaml"))
    if not dashboards:
        problems.append("no dashboards")
    for path in dashboards:
        d = yaml.safe_load(path.read_text(encoding="utf-8"))
        name = f"dashboard {d['dashboard_title']!r}"
        for node in d["position"].values():
            if isinstance(node, dict) and node.get("type") == "CHART":
                meta = node["meta"]
                missing = [
                    k for k in ("chartId", "uuid", "sliceName", "width", "height") if k not in meta
                ]
                if missing:
                    problems.append(f"{name}: chart node {node['id']} lacks {missing}")
                if meta.get("uuid") not in charts:
                    problems.append(f"{name}: chart {meta.get('sliceName')} does not exist")
        for flt in d.get("metadata", {}).get("native_filter_configuration", []):
            for target in flt.get("targets", []):
                ds = datasets.get(target.get("datasetUuid"))
                if ds is None:
                    problems.append(f"{name}: filter {flt['name']} targets a missing dataset")
                elif target["column"]["name"] not in {c["column_name"] for c in ds["columns"]}:
                    problems.append(
                        f"{name}: filter {flt['name']} column {target['column']['name']} "
                        f"not in {ds['table_name']}"
                    )
    return problems


# --- tests ---------------------------------------------------------------------------------------
def test_every_link_holds():
    assert check(ASSETS, manifest()) == []


def test_seven_dashboards_on_reporting_tables_only():
    titles = {
        yaml.safe_load(p.read_text("utf-8"))["dashboard_title"]
        for p in (ASSETS / "dashboards").glob("*.yaml")
    }
    assert titles == {
        "Digital mognad i länet",
        "Utveckling sedan 0-mätningen",
        "Målgrupper och jämställdhet",
        "Kompetensinsatser",
        "Svarsfrekvens",
        "Dataleveranser",
        "Plan och genomförande",
    }
    for path in (ASSETS / "datasets").rglob("*.yaml"):
        ds = yaml.safe_load(path.read_text("utf-8"))
        assert ds["schema"] == "reporting" and ds["sql"] is None, path.name
        assert all(r.startswith("marts.") for r in ds["extra"]["dbt"]["depends_on"]), path.name


@pytest.fixture
def tmp_assets(tmp_path):
    assets = tmp_path / "assets"
    shutil.copytree(ASSETS, assets)
    return assets


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), "utf-8")


def test_fails_when_a_model_column_is_renamed(tmp_assets):
    m = manifest()
    columns = m["nodes"]["model.mognad.mognadsindex_kommun"]["columns"]
    columns["score"] = columns.pop("score_pct")
    problems = check(tmp_assets, m)
    assert any("mognadsindex_kommun: no column score_pct in the model" in p for p in problems)


def test_fails_when_a_model_is_removed(tmp_assets):
    m = manifest()
    del m["nodes"]["model.mognad.svarsfrekvens"]
    problems = check(tmp_assets, m)
    assert any("no dbt reporting model svarsfrekvens" in p for p in problems), problems


def test_fails_when_a_chart_column_or_metric_is_unknown(tmp_assets):
    _edit(
        tmp_assets / "charts" / "mognadsindex_per_kommun_och_matomgang.yaml",
        "x_axis: kommun",
        "x_axis: kommunnamn",
    )
    _edit(
        tmp_assets / "charts" / "svarsfrekvens_per_kommun_och_matomgang.yaml",
        "- svarsfrekvens",
        "- svarsfrekvens_pct",
    )
    problems = check(tmp_assets, manifest())
    assert any("column kommunnamn not in dataset" in p for p in problems), problems
    assert any("metric svarsfrekvens_pct not in dataset" in p for p in problems), problems


def test_fails_when_a_dataset_is_virtual_again(tmp_assets):
    _edit(tmp_assets / "datasets" / "mognad" / "svarsfrekvens.yaml", "sql: null", "sql: SELECT 1")
    problems = check(tmp_assets, manifest())
    assert any("svarsfrekvens: not a physical table" in p for p in problems), problems


def test_fails_when_a_dashboard_points_at_a_missing_chart(tmp_assets):
    (tmp_assets / "charts" / "filer_i_karantan_med_orsak.yaml").unlink()
    problems = check(tmp_assets, manifest())
    assert any("Filer i karantän med orsak does not exist" in p for p in problems), problems
