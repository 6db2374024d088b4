"""Superset end to end: set up, import six dashboards, start, log in as the county, render.

Needs ``published_home`` (one real pipeline run on demo data), the Superset virtualenv, and
Debian chromium + chromedriver. One Superset and one browser per session (superset_fixtures).

Charts that may legitimately be empty in the demo (their mart has no rows there) are listed in
``MAY_BE_EMPTY``: Kolada population (``dim_population`` is empty until Kolada is pulled) and
the quality-check results (``fct_batch_checks``, empty until the raw-batch gate records
results). They must still render without an error; every other chart must show data.
"""

from __future__ import annotations

import duckdb
import pytest

from mognad.stack import superset_assets, superset_base
from mognad.stack import superset_local as ss
from tests.e2e.superset_fixtures import (
    ARTIFACTS,
    all_charts,
    chart_data,
    password_for,
)

pytestmark = pytest.mark.e2e

DASHBOARDS = {
    "digital-mognad": ("Digital mognad i länet", 8),
    "utveckling": ("Utveckling sedan 0-mätningen", 4),
    "malgrupper": ("Målgrupper och jämställdhet", 4),
    "kompetensinsatser": ("Kompetensinsatser", 5),
    "svarsfrekvens": ("Svarsfrekvens", 3),
    "dataleveranser": ("Dataleveranser", 6),
    "plan-och-genomforande": ("Plan och genomförande", 8),
}
EXPECTED_COUNTS = {
    "databases": 1,
    "datasets": 18,
    "charts": 38,
    "dashboards": 7,
    "dashboard_charts": 38,
}
MAY_BE_EMPTY = {
    "Invånare per kommun (Källa: Kolada)": "dim_population",
    "Kvalitetskontroller per inläst fil": "fct_batch_checks",
    "Filer som väntar i inkorgen": "fct_inbox_waiting",  # empty once every file is taken
}
FEWER = ".."  # a hidden value, whatever hid it (uppgift saknas eller för få svar)


def _mart_rows(settings, table: str) -> int:
    con = duckdb.connect(str(settings.published_db), read_only=True)
    try:
        return con.execute(f"SELECT count(*) FROM marts.{table}").fetchone()[0]  # noqa: S608
    except duckdb.Error:
        return 0
    finally:
        con.close()


def _municipalities(settings) -> set[str]:
    con = duckdb.connect(str(settings.published_db), read_only=True)
    try:
        rows = con.execute(
            "SELECT DISTINCT m.municipality_name FROM marts.fct_maturity f "
            "JOIN marts.dim_municipality m USING (municipality_code)"
        ).fetchall()
    finally:
        con.close()
    return {r[0] for r in rows}


# --- import -----------------------------------------------------------------------------------
def test_import_is_idempotent(superset_server):
    settings, _ = superset_server
    assert superset_base.asset_counts(settings) == EXPECTED_COUNTS
    ss.import_assets(settings)  # a second import, overwriting by UUID
    assert superset_base.asset_counts(settings) == EXPECTED_COUNTS
    assert ss.setup(settings, progress=lambda msg: None) == {}  # everything already done
    assert superset_base.asset_counts(settings) == EXPECTED_COUNTS


def test_every_dataset_reads_a_published_mart(superset_server):
    """No dataset is waiting for a mart: every mart the datasets read is published."""
    settings, _ = superset_server
    assert superset_assets.waiting_datasets(settings) == {}


# --- chart data as the county user ------------------------------------------------------------
def test_county_user_gets_data_for_every_chart(superset_server, user_api):
    settings, _ = superset_server
    lan = user_api("lan")
    expected = _municipalities(settings)
    assert len(expected) >= 7
    charts = all_charts(lan)
    assert len(charts) == EXPECTED_COUNTS["charts"]
    empty = []
    for chart in charts:
        resp = chart_data(lan, chart)
        assert resp.status_code == 200, f"{chart['slice_name']}: {resp.text[:500]}"
        rows = resp.json()["result"][0]["data"]
        if not rows:
            empty.append(chart["slice_name"])
            continue
        names = {r["kommun"] for r in rows if "kommun" in r}
        assert names <= expected, f"{chart['slice_name']}: {names - expected}"
        if chart["slice_name"].startswith(("Mognadsindex per kommun", "Svarsfrekvens per kommun")):
            assert names == expected, f"{chart['slice_name']}: {names} != {expected}"
    for name in empty:
        table = MAY_BE_EMPTY.get(name)
        assert table is not None, f"chart without data: {name}"
        assert _mart_rows(settings, table) == 0, f"{name} is empty but marts.{table} is not"


def test_suppressed_cells_read_fewer_than_5_never_zero(superset_server, user_api):
    lan = user_api("lan")
    (chart,) = [
        c for c in all_charts(lan) if c["slice_name"] == "Mognadsindex per kommun, målgrupp och kön"
    ]
    rows = chart_data(lan, chart).json()["result"][0]["data"]
    hidden = [r for r in rows if r["mognadsindex_text"] == FEWER]
    assert hidden, "the demo has small gender groups; expected some suppressed cells"
    for r in hidden:
        assert r["svarande_text"] == FEWER, r
    # in numeric charts a suppressed cell is NULL (no bar), never 0
    (bar,) = [
        c
        for c in all_charts(lan)
        if c["slice_name"] == "Mognadsindex per kön och kommun, senaste mätomgången"
    ]
    values = [r["mognadsindex"] for r in chart_data(lan, bar).json()["result"][0]["data"]]
    assert all(v is None or v > 0 for v in values)


# --- the browser ------------------------------------------------------------------------------
@pytest.mark.parametrize("slug", list(DASHBOARDS))
def test_county_user_sees_every_dashboard_render(superset_server, driver, slug):
    import browser

    settings, base_url = superset_server
    title, n_charts = DASHBOARDS[slug]
    if getattr(driver, "_mognad_user", None) != "lan":
        if getattr(driver, "_mognad_user", None):
            driver.get(f"{base_url}/logout/")
        browser.login(driver, base_url, "lan", password_for(settings, "lan"), timeout=60)
        driver._mognad_user = "lan"
    driver.get(f"{base_url}/superset/dashboard/{slug}/")
    states = browser.wait_for_charts(driver, expected=n_charts, timeout=120)
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f"dashboard-{slug}.png"))
    assert title in driver.title, driver.title
    assert len(states) == n_charts, [s["title"] for s in states]
    for s in states:
        assert not s["error"], f"{s['title']}: error: {s['text'][:300]}"
        no_data = any(t in s["text"] for t in browser.NO_DATA_TEXTS)
        if no_data:
            table = MAY_BE_EMPTY.get(s["title"])
            assert table and _mart_rows(settings, table) == 0, f"{s['title']}: no data"
        else:
            assert s["rendered"], s


def test_municipality_user_sees_only_its_own_municipality_in_the_browser(superset_server, driver):
    import browser

    settings, base_url = superset_server
    driver.get(f"{base_url}/logout/")
    browser.login(driver, base_url, "sundsvall", password_for(settings, "sundsvall"), timeout=60)
    driver._mognad_user = "sundsvall"
    driver.get(f"{base_url}/superset/dashboard/digital-mognad/")
    states = browser.wait_for_charts(driver, expected=DASHBOARDS["digital-mognad"][1], timeout=120)
    driver.save_screenshot(str(ARTIFACTS / "dashboard-digital-mognad-sundsvall.png"))
    text = "\n".join(s["text"] for s in states)
    assert "Sundsvall" in text
    others = _municipalities(settings) - {"Sundsvall"}
    assert not [name for name in others if name in text], text[:2000]
