"""The dashboard "Plan och genomförande" end to end: a real pipeline run on demo data (every
municipality delivers a plan), Superset with the imported assets, chart data through the
REST API and the dashboard opened in headless Chromium — as the county and as a
municipality user, who sees its own plan only."""

from __future__ import annotations

import duckdb
import pytest

from tests.e2e.superset_fixtures import ARTIFACTS, all_charts, chart_data, password_for

pytestmark = pytest.mark.e2e

SLUG = "plan-och-genomforande"
TITLE = "Plan och genomförande"
CHARTS = {
    "Planens steg på tidslinjen",
    "Täckning mot mål per steg",
    "Ordningen: gjorde föregående steg först",
    "Per målgrupp och förvaltning",
    "Täckning per kön och steg",
    "Skillnad mellan kvinnor och män per steg",
    "Länet: kommunernas planer sida vid sida",
    "Länet: alla kommuners steg",
}
COUNTY_CHARTS = {"Länet: kommunernas planer sida vid sida", "Länet: alla kommuners steg"}


def _published(settings, sql: str) -> list[tuple]:
    con = duckdb.connect(str(settings.published_db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _plan_municipalities(settings) -> set[str]:
    return {
        r[0]
        for r in _published(
            settings,
            "SELECT DISTINCT m.municipality_name FROM marts.fct_training_plan f "
            "JOIN marts.dim_municipality m USING (municipality_code)",
        )
    }


def _plan_charts(api) -> dict[str, dict]:
    return {c["slice_name"]: c for c in all_charts(api) if c["slice_name"] in CHARTS}


def _rows(api, chart) -> list[dict]:
    resp = chart_data(api, chart)
    assert resp.status_code == 200, f"{chart['slice_name']}: {resp.text[:500]}"
    return resp.json()["result"][0]["data"]


def test_the_demo_plans_are_published_with_every_status(superset_server):
    settings, _ = superset_server
    assert len(_plan_municipalities(settings)) == 7, "every demo municipality has a plan"
    statuses = {r[0] for r in _published(settings, "SELECT status FROM marts.fct_training_plan")}
    assert {"uppnått", "pågår", "ej uppnått"} <= statuses, statuses
    ordered = _published(
        settings, "SELECT count(*) FROM marts.fct_training_plan WHERE in_order_pct IS NOT NULL"
    )
    assert ordered[0][0] > 0, "some steps follow another and show the order measure"


def test_county_sees_every_municipality_side_by_side(superset_server, user_api):
    settings, _ = superset_server
    lan = user_api("lan")
    charts = _plan_charts(lan)
    assert set(charts) == CHARTS
    everyone = _plan_municipalities(settings)
    for name, chart in charts.items():
        rows = _rows(lan, chart)
        assert rows, f"{name}: no data"
        if name in COUNTY_CHARTS:
            assert {r["kommun"] for r in rows} == everyone, name
    # hidden values read '..', never 0, in the tables
    table = _rows(lan, charts["Länet: alla kommuners steg"])
    hidden = [r for r in table if r["tackning_text"] == ".."]
    assert all(r["status"] == ".." for r in hidden)
    # the gender gap table marks every difference over 10 percentage points, and only those
    gaps = _rows(lan, charts["Skillnad mellan kvinnor och män per steg"])
    published_gaps = _published(
        settings,
        "SELECT k.municipality_code, k.step, k.coverage_pct - m.coverage_pct "
        "FROM marts.fct_training_plan_gender k JOIN marts.fct_training_plan_gender m "
        "USING (municipality_code, step) "
        "WHERE k.gender = 'kvinna' AND m.gender = 'man' AND NOT k.suppressed AND NOT m.suppressed",
    )
    big = sum(1 for *_, gap in published_gaps if abs(gap) > 10)
    assert sum(1 for r in gaps if r["markering"]) == big
    for r in gaps:
        assert bool(r["markering"]) == (
            r["skillnad_pct_points"] is not None and abs(r["skillnad_pct_points"]) > 10
        ), r


def test_municipality_user_gets_only_its_own_plan(superset_server, user_api):
    settings, _ = superset_server
    sundsvall = user_api("sundsvall")
    charts = _plan_charts(sundsvall)
    for name, chart in charts.items():
        rows = _rows(sundsvall, chart)
        assert rows, f"{name}: no data for Sundsvall"
        names = {r["kommun"] for r in rows if "kommun" in r}
        assert names <= {"Sundsvall"}, f"{name}: {names}"
    own = "SELECT step FROM marts.fct_training_plan WHERE municipality_code = '2281'"
    steps = {r[0] for r in _published(settings, own)}
    table = _rows(sundsvall, charts["Planens steg på tidslinjen"])
    assert {r["step"] for r in table} == steps


def _open(driver, base_url, settings, user: str) -> list[dict]:
    import browser

    if getattr(driver, "_mognad_user", None) != user:
        if getattr(driver, "_mognad_user", None):
            driver.get(f"{base_url}/logout/")
        browser.login(driver, base_url, user, password_for(settings, user), timeout=60)
        driver._mognad_user = user
    driver.get(f"{base_url}/superset/dashboard/{SLUG}/")
    states = browser.wait_for_charts(driver, expected=len(CHARTS), timeout=120)
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f"dashboard-{SLUG}-{user}.png"))
    assert TITLE in driver.title, driver.title
    assert {s["title"] for s in states} == CHARTS
    for s in states:
        assert not s["error"], f"{s['title']}: error: {s['text'][:300]}"
        assert not any(t in s["text"] for t in browser.NO_DATA_TEXTS), f"{s['title']}: no data"
        assert s["rendered"], s
    return states


def test_county_user_sees_the_dashboard_render(superset_server, driver):
    settings, base_url = superset_server
    states = {s["title"]: s for s in _open(driver, base_url, settings, "lan")}
    county_text = states["Länet: alla kommuners steg"]["text"]
    for name in _plan_municipalities(settings):
        assert name in county_text, name


def test_municipality_user_sees_only_its_plan_in_the_browser(superset_server, driver):
    settings, base_url = superset_server
    states = _open(driver, base_url, settings, "sundsvall")
    text = "\n".join(s["text"] for s in states)
    assert "Sundsvall" in text
    others = _plan_municipalities(settings) - {"Sundsvall"}
    assert not [name for name in others if name in text], text[:2000]
