"""The reporting layer (dbt_project/models/reporting) and what is built on it.

- The committed Superset bundle is exactly what superset/generate_assets.py writes from the
  dbt manifest and superset/specs/: any difference fails (regenerate and commit both).
- dbt's exposures name each generated dashboard and exactly the reporting models it reads.
- Reporting models are views that read marts only (the disclosure audit covers the marts).
- Publish copies schema reporting as tables under the marts' per-table plan, computed from
  the build file's marts as they are at publish time (a later UPDATE of a mart shows).
- A dataset whose reporting table is not published yet waits (a typed empty query).
"""

from __future__ import annotations

import filecmp
from pathlib import Path

import duckdb
import yaml

from mognad.build.publish import municipality_file, publish
from mognad.stack import superset_assets
from tests.conftest import make_settings
from tests.integration.dbt_manifest import generator, manifest

REPO = Path(__file__).resolve().parents[2]
ASSETS = REPO / "superset" / "assets"
GENERATED = ("datasets", "charts", "dashboards")


def _tree(root: Path) -> set[str]:
    return {
        str(p.relative_to(root))
        for sub in GENERATED
        for p in (root / sub).rglob("*")
        if p.is_file()
    }


def test_regenerated_assets_match_the_committed_ones(tmp_path):
    out = tmp_path / "assets"
    counts = generator().generate(manifest(), out)
    assert counts == (18, 38, 7)
    committed, fresh = _tree(ASSETS), _tree(out)
    hint = "run `.venv/pipeline/bin/python superset/generate_assets.py --parse` and commit"
    assert fresh == committed, f"{hint}: files differ: {sorted(fresh ^ committed)}"
    changed = [p for p in sorted(fresh) if not filecmp.cmp(ASSETS / p, out / p, shallow=False)]
    assert not changed, f"{hint}: {changed}"


def _dashboard_models(assets: Path) -> dict[str, tuple[str, set[str]]]:
    """Dashboard slug → (title, the reporting models its charts and native filters read)."""
    datasets = {}
    for p in (assets / "datasets").rglob("*.yaml"):
        ds = yaml.safe_load(p.read_text("utf-8"))
        datasets[ds["uuid"]] = ds["table_name"]
    charts = {}
    for p in (assets / "charts").glob("*.yaml"):
        ch = yaml.safe_load(p.read_text("utf-8"))
        charts[ch["uuid"]] = datasets[ch["dataset_uuid"]]
    out = {}
    for p in (assets / "dashboards").glob("*.yaml"):
        d = yaml.safe_load(p.read_text("utf-8"))
        models = {
            charts[n["meta"]["uuid"]]
            for n in d["position"].values()
            if isinstance(n, dict) and n.get("type") == "CHART"
        }
        for f in d["metadata"]["native_filter_configuration"]:
            models |= {datasets[t["datasetUuid"]] for t in f["targets"]}
        out[d["slug"]] = (d["dashboard_title"], models)
    return out


def test_exposures_name_each_dashboard_and_the_models_it_reads():
    exposures = generator().exposures(manifest())
    dashboards = _dashboard_models(ASSETS)
    assert len(dashboards) == 7
    assert set(exposures) == set(dashboards), "one dbt exposure per dashboard (by slug)"
    for slug, (title, models) in dashboards.items():
        exp = exposures[slug]
        assert exp["label"] == title, slug
        assert exp["models"] == models, (
            f"exposure {exp['name']}: missing {sorted(models - exp['models'])}, "
            f"extra {sorted(exp['models'] - models)}"
        )


def test_reporting_models_are_views_on_marts_only():
    m = manifest()
    gen = generator()
    models = gen.reporting_models(m)
    assert len(models) == 18
    uuids = [n["config"]["meta"]["superset_uuid"] for n in models.values()]
    assert len(set(uuids)) == len(uuids)
    for name, node in models.items():
        assert node["config"]["materialized"] == "view", name
        assert node["config"]["contract"]["enforced"], name
        reads = gen.upstream_relations(m, node["unique_id"])
        assert reads and all(r.startswith("marts.") for r in reads), (name, reads)
        assert all(c.get("data_type") for c in node["columns"].values()), name
        assert all(c["config"]["meta"].get("label") for c in node["columns"].values()), name


# --- publish -------------------------------------------------------------------------------------
A, B = "2281", "2260"


def _build_file(settings) -> None:
    """A build file as dbt leaves it: marts as tables, reporting views naming the build file's
    catalog (``"mognad_build".marts.<table>``, as dbt-duckdb writes them)."""
    settings.build_db.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(settings.build_db))
    cat = settings.build_db.stem
    try:
        for sql in (
            "create schema marts",
            "create schema reporting",
            "create table marts.dim_municipality (municipality_code varchar, "
            "municipality_name varchar, county_code varchar, county_name varchar)",
            f"insert into marts.dim_municipality values ('{A}', 'Sundsvall', '22', 'Y'), "
            f"('{B}', 'Ånge', '22', 'Y')",
            "create table marts.fct_maturity (municipality_code varchar, score_pct double, "
            "suppressed boolean)",
            f"insert into marts.fct_maturity values ('{A}', 50, false), ('{A}', 60, false), "
            f"('{B}', 40, false)",
            "create table marts.fct_maturity_region (county_code varchar, score_pct double)",
            "insert into marts.fct_maturity_region values ('22', 48)",
            f"create view reporting.mognadsindex_kommun as select f.*, m.municipality_name "
            f'as kommun from "{cat}".marts.fct_maturity as f join "{cat}".marts.'
            "dim_municipality as m using (municipality_code)",
            f'create view reporting.mognad_lansnitt as select * from "{cat}".marts.'
            "fct_maturity_region",
            f'create view reporting.nytt as select count(*) as n from "{cat}".marts.fct_maturity',
        ):
            con.execute(sql)
        # the disclosure step after dbt: hides a cell in the mart; the view must see it
        con.execute(
            f"update marts.fct_maturity set score_pct = null, suppressed = true "
            f"where municipality_code = '{A}' and score_pct = 60"
        )
    finally:
        con.close()


def _rows(path: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_publish_copies_reporting_as_tables_under_the_per_table_plan(tmp_path):
    settings = make_settings(tmp_path / "home")
    _build_file(settings)
    published = publish(settings)
    tables = "select table_schema, table_name, table_type from information_schema.tables"
    county = _rows(published, tables + " order by all")
    assert ("reporting", "mognadsindex_kommun", "BASE TABLE") in county
    assert {r[0] for r in county} == {"marts", "reporting"}
    shown = _rows(
        published,
        "select kommun, score_pct, suppressed from reporting.mognadsindex_kommun order by all",
    )
    assert shown == [("Sundsvall", 50.0, False), ("Sundsvall", None, True), ("Ånge", 40.0, False)]
    generation = published.resolve().parent
    own = municipality_file(generation, A)
    assert _rows(own, tables + " order by all") == county  # same schema as the county file
    assert _rows(own, "select distinct municipality_code from reporting.mognadsindex_kommun") == [
        (A,)
    ]
    assert _rows(own, "select count(*) from reporting.mognad_lansnitt") == [(1,)]  # aggregate
    assert _rows(own, "select count(*) from reporting.nytt") == [(0,)]  # undeclared: withheld
    assert _rows(published, "select n from reporting.nytt") == [(3,)]
    other = municipality_file(generation, B)
    assert _rows(other, "select kommun from reporting.mognadsindex_kommun") == [("Ånge",)]


def test_a_dataset_waits_for_its_reporting_table(tmp_path):
    settings = make_settings(tmp_path / "home")
    settings.published_db.parent.mkdir(parents=True)
    con = duckdb.connect(str(settings.published_db))
    con.execute("create schema marts")
    con.execute("create table marts.fct_maturity (municipality_code varchar)")
    con.execute("create table marts.dim_municipality (municipality_code varchar)")
    con.close()
    waiting = superset_assets.waiting_datasets(settings)
    assert len(waiting) == 18  # a warehouse published before the reporting layer
    assert waiting["mognadsindex_kommun"] == ["reporting.mognadsindex_kommun"]
    assert "marts.fct_response_rate" in waiting["svarsfrekvens"]  # from the manifest
    bundle = superset_assets.render_assets(settings, tmp_path / "bundle")
    ds = yaml.safe_load((bundle / "datasets" / "mognad" / "svarsfrekvens.yaml").read_text())
    assert ds["sql"].startswith("SELECT") and "WHERE false" in ds["sql"]
    assert ds["description"].startswith("Väntar på")
