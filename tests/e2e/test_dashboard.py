"""Superset end to end: set up, import the dashboard, start, log in, render, query.

Needs the ``published_home`` fixture (Settings whose ``published_db`` holds the marts), the
Superset virtualenv, and Debian chromium + chromedriver. One Superset per session.
"""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import time
from pathlib import Path

import duckdb
import pytest
import requests
import yaml

from mognad import superset as ss
from mognad.config import PROJECT_DIR
from mognad.secrets import read_secrets

pytestmark = pytest.mark.e2e

DASHBOARD_TITLE = "Digital mognad i länet"
BAR_CHART = "Mognadsindex per kommun och mätomgång"
TABLE_CHART = "Mognadsindex och svarande per kommun"
LINE_CHART = "Mognadsindex över tid per kommun"
EXPECTED_COUNTS = {
    "databases": 1,
    "datasets": 1,
    "charts": 3,
    "dashboards": 1,
    "dashboard_charts": 3,
}
ARTIFACTS = PROJECT_DIR / "test-artifacts"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def warehouse_home(request):
    """``published_home`` (a real pipeline run); ``MOGNAD_E2E_STAND_IN=1`` uses a stand-in."""
    if os.environ.get("MOGNAD_E2E_STAND_IN") == "1":
        return request.getfixturevalue("stand_in_home")
    return request.getfixturevalue("published_home")


@pytest.fixture(scope="session")
def superset_server(warehouse_home, tmp_path_factory):
    """Superset with its own tmp home, reading the published warehouse read-only."""
    if not ss.superset_bin().exists():
        pytest.skip(f"no Superset virtualenv at {ss.SUPERSET_VENV}")
    published_home = warehouse_home
    home = tmp_path_factory.mktemp("superset_home")
    (home / "warehouse").mkdir()
    (home / "warehouse" / "mognad.duckdb").symlink_to(Path(published_home.published_db))
    settings = dataclasses.replace(
        published_home, home=home, secrets_file=home / ".secrets" / "mognad.env"
    )
    timings: dict[str, float] = {}
    t0 = time.monotonic()
    timings.update(ss.setup(settings, progress=lambda msg: None))
    timings["setup total"] = round(time.monotonic() - t0, 1)

    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    t0 = time.monotonic()
    proc = ss.start(settings, port=port)
    try:
        ss.wait_healthy(base_url, timeout=120, proc=proc)
        timings["first start"] = round(time.monotonic() - t0, 1)
        print(f"\nSuperset timings (s): {timings}")
        yield settings, base_url
    finally:
        ss.stop(proc)
        log = settings.superset_home / "superset.log"
        if log.exists():
            ARTIFACTS.mkdir(exist_ok=True)
            (ARTIFACTS / "superset.log").write_bytes(log.read_bytes()[-500_000:])


@pytest.fixture(scope="session")
def api(superset_server) -> requests.Session:
    """A requests session logged in as admin with a JWT and a CSRF token."""
    settings, base_url = superset_server
    password = read_secrets(settings.secrets_file)["SUPERSET_ADMIN_PASSWORD"]
    session = requests.Session()
    session.base_url = base_url
    resp = session.post(
        f"{base_url}/api/v1/security/login",
        json={"username": "admin", "password": password, "provider": "db", "refresh": True},
        timeout=30,
    )
    resp.raise_for_status()
    session.headers["Authorization"] = f"Bearer {resp.json()['access_token']}"
    session.headers["Referer"] = base_url
    csrf = session.get(f"{base_url}/api/v1/security/csrf_token/", timeout=30)
    csrf.raise_for_status()
    session.headers["X-CSRFToken"] = csrf.json()["result"]
    return session


def _get(api, path: str, **params) -> dict:
    resp = api.get(api.base_url + path, params=params, timeout=30)
    resp.raise_for_status()
    return resp.json()


def _chart(api, name: str) -> dict:
    q = json.dumps({"filters": [{"col": "slice_name", "opr": "eq", "value": name}]})
    found = _get(api, "/api/v1/chart/", q=q)["result"]
    assert len(found) == 1, f"expected one chart named {name!r}, got {found}"
    return _get(api, f"/api/v1/chart/{found[0]['id']}")["result"]


def _dataset_id(api) -> int:
    q = json.dumps(
        {"filters": [{"col": "table_name", "opr": "eq", "value": "mognadsindex_kommun"}]}
    )
    found = _get(api, "/api/v1/dataset/", q=q)["result"]
    assert len(found) == 1
    return found[0]["id"]


def _chart_data(api, dataset_id: int, query: dict) -> list[dict]:
    body = {
        "datasource": {"id": dataset_id, "type": "table"},
        "queries": [query],
        "result_format": "json",
        "result_type": "full",
    }
    resp = api.post(api.base_url + "/api/v1/chart/data", json=body, timeout=60)
    assert resp.status_code == 200, resp.text[:1000]
    return resp.json()["result"][0]["data"]


def _simple_filters(params: dict) -> list[dict]:
    return [
        {"col": f["subject"], "op": f["operator"], "val": f["comparator"]}
        for f in params.get("adhoc_filters", [])
        if f.get("expressionType") == "SIMPLE"
    ]


def _municipalities(settings) -> dict[str, str]:
    con = duckdb.connect(str(settings.published_db), read_only=True)
    try:
        rows = con.execute(
            "SELECT DISTINCT m.municipality_code, m.municipality_name "
            "FROM marts.fct_maturity f JOIN marts.dim_municipality m USING (municipality_code) "
            "WHERE f.instrument = 'dimios'"
        ).fetchall()
    finally:
        con.close()
    return dict(rows)


def _sqllab(api, sql: str) -> requests.Response:
    databases = _get(api, "/api/v1/database/")["result"]
    (database,) = [d for d in databases if d["database_name"] == "mognad"]
    return api.post(
        api.base_url + "/api/v1/sqllab/execute/",
        json={"database_id": database["id"], "sql": sql, "runAsync": False, "schema": "marts"},
        timeout=60,
    )


# --- tests ------------------------------------------------------------------------------------
def test_import_is_idempotent(superset_server):
    settings, _ = superset_server
    assert ss.asset_counts(settings) == EXPECTED_COUNTS
    ss.import_assets(settings)  # a second import, overwriting by UUID
    assert ss.asset_counts(settings) == EXPECTED_COUNTS
    assert ss.setup(settings, progress=lambda msg: None) == {}  # everything already done
    assert ss.asset_counts(settings) == EXPECTED_COUNTS


def test_bar_chart_data_has_every_municipality(superset_server, api):
    settings, _ = superset_server
    params = _chart(api, BAR_CHART)["params"]
    params = json.loads(params) if isinstance(params, str) else params
    rows = _chart_data(
        api,
        _dataset_id(api),
        {
            "columns": [params["x_axis"], *params["groupby"]],
            "metrics": params["metrics"],
            "filters": [
                *_simple_filters(params),
                {"col": "instrument", "op": "IN", "val": ["dimios"]},
            ],
            "row_limit": 10000,
        },
    )
    expected = set(_municipalities(settings).values())
    assert len(expected) >= 7
    with_values = {r["kommun"] for r in rows if r["mognadsindex"] is not None}
    assert with_values == expected, f"municipalities without a value: {expected - with_values}"
    for r in rows:
        assert r["mognadsindex"] is None or 0 <= r["mognadsindex"] <= 100, r


def test_suppressed_cells_are_empty_not_zero(superset_server, api):
    rows = _chart_data(
        api,
        _dataset_id(api),
        {
            "columns": ["kommun", "wave", "instrument", "score_pct", "respondents"],
            "metrics": [],
            "filters": [{"col": "suppressed", "op": "==", "val": True}],
            "row_limit": 10000,
        },
    )
    for r in rows:
        assert r["score_pct"] is None and r["respondents"] is None, r


def test_server_files_out_of_reach(superset_server, api):
    settings, _ = superset_server
    ok = _sqllab(api, "SELECT count(*) AS n FROM marts.fct_maturity")
    assert ok.status_code == 200, ok.text[:500]
    assert ok.json()["data"][0]["n"] > 0

    for sql in (
        "SELECT * FROM read_text('/etc/passwd')",
        "SELECT * FROM read_csv('/etc/passwd')",
        "SET enable_external_access = true",
    ):
        resp = _sqllab(api, sql)
        assert resp.status_code != 200, f"{sql!r} was allowed: {resp.text[:300]}"
        assert "root:" not in resp.text

    # the same engine parameters straight through DuckDB
    db_yaml = yaml.safe_load((ss.assets_dir(settings) / "databases" / "mognad.yaml").read_text())
    connect_args = db_yaml["extra"]["engine_params"]["connect_args"]
    assert connect_args["read_only"] is True
    con = duckdb.connect(str(settings.published_db), read_only=True, config=connect_args["config"])
    try:
        assert con.execute("SELECT count(*) FROM marts.dim_municipality").fetchone()[0] > 0
        with pytest.raises(duckdb.Error):
            con.execute("SELECT * FROM read_text('/etc/passwd')").fetchall()
    finally:
        con.close()


def test_dashboard_renders(superset_server):
    browser = pytest.importorskip("browser", reason="tests/e2e/browser.py")
    if not browser.available():
        pytest.skip("chromium/chromedriver not installed")
    settings, base_url = superset_server
    password = read_secrets(settings.secrets_file)["SUPERSET_ADMIN_PASSWORD"]
    ARTIFACTS.mkdir(exist_ok=True)
    with browser.chromium() as driver:
        browser.login(driver, base_url, "admin", password)
        driver.get(f"{base_url}/superset/dashboard/{ss.DASHBOARD_SLUG}/?standalone=0")
        states = browser.wait_for_charts(driver, expected=3)
        driver.save_screenshot(str(ARTIFACTS / "dashboard.png"))
        page = driver.find_element("tag name", "body").text
        title = driver.title

    assert DASHBOARD_TITLE in title, title
    assert len(states) == 3, states
    for s in states:
        assert not s["error"], f"chart shows an error: {s['text'][:300]}"
        assert not any(t in s["text"] for t in browser.NO_DATA_TEXTS), (
            f"chart shows no data: {s['text'][:300]}"
        )
        assert s["rendered"], s
    titles = "\n".join(s["title"] for s in states)
    for name in (BAR_CHART, TABLE_CHART, LINE_CHART):
        assert name in titles
    # the table lists a row per municipality and wave
    (table,) = [s for s in states if s["title"] == TABLE_CHART]
    assert table["rows"] >= 7
    # the native filter defaults to the dimios instrument
    assert "dimios" in page
