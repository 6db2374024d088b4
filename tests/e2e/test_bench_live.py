"""The bench scripts that need running servers, once at a tiny size (no timings
asserted): bench/chart_data.py against the session's Superset (tests/e2e/superset_fixtures.py)
and bench/drop_to_published.py against a running event-driven `airflow standalone`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mognad.stack import airflow_local as af
from mognad.stack import superset_base
from tests.conftest import make_settings
from tests.e2e.superset_fixtures import password_for
from tests.support import live

pytestmark = [pytest.mark.e2e]

BENCH = Path(__file__).resolve().parents[2] / "bench"
PY = sys.executable


def test_chart_data_script_against_the_running_superset(superset_server, warehouse_home, tmp_path):
    """bench/chart_data.py --url: one request per chart of every dashboard, p50/p95 beside
    the same SQL in DuckDB on the warehouse that Superset reads."""
    settings, base_url = superset_server
    out = tmp_path / "charts.json"
    env = dict(os.environ, MOGNAD_BENCH_SUPERSET_PASSWORD=password_for(settings, "admin"))
    proc = subprocess.run(
        [PY, str(BENCH / "chart_data.py"), "--url", base_url, "--user", "admin"]
        + ["--warehouse", str(warehouse_home.published_db), "--repeat", "1", "--json", str(out)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads(out.read_text())
    assert set(result["dashboards"]) == set(superset_base.DASHBOARD_SLUGS)
    for slug, d in result["dashboards"].items():
        assert d["charts"] > 0, slug
        for field in ("api_p50_ms", "api_p95_ms", "duckdb_p50_ms", "duckdb_p95_ms"):
            assert d[field] >= 0, (slug, field, d)
        assert d["api_p95_ms"] >= d["api_p50_ms"] > 0, (slug, d)
    assert result["all"]["charts"] == sum(d["charts"] for d in result["dashboards"].values())
    assert "mean API overhead over DuckDB" in proc.stdout


MUNICIPALITY = "2260"  # Ånge: tiny and quick


@pytest.fixture(scope="module")
def event_driven_airflow(tmp_path_factory, artifacts):
    """A home published once (one municipality) and `airflow standalone` running on it with
    the event-driven DAGs unpaused; dbt as one task (`MOGNAD_DBT_TASKS=single`, the quicker
    mode: this is about the bench script, not cosmos). Yields (settings, port)."""
    settings = make_settings(tmp_path_factory.mktemp("bench_airflow") / "home", settle_seconds=3.0)
    saved = os.environ.get("MOGNAD_DBT_TASKS")
    os.environ["MOGNAD_DBT_TASKS"] = "single"
    proc = None
    try:
        live.publish_once(settings, (MUNICIPALITY,))
        port = live.free_port()
        af.setup(settings, progress=print, port=port)
        started = time.monotonic()
        proc = live.start_event_driven(settings, port)
        print(f"airflow standalone healthy, DAGs unpaused: {time.monotonic() - started:.0f} s")
        yield settings, port
    finally:
        live.stop_tree(proc)
        if saved is None:
            os.environ.pop("MOGNAD_DBT_TASKS", None)
        else:
            os.environ["MOGNAD_DBT_TASKS"] = saved
        log = settings.airflow_home / "standalone.log"
        if log.exists():
            (artifacts / "bench-airflow-standalone.log").write_bytes(log.read_bytes()[-400_000:])


@pytest.mark.timeout(600)
def test_drop_to_published_script_against_a_running_airflow(event_driven_airflow, tmp_path):
    """bench/drop_to_published.py --home --port: one drop reaches the published mart through
    the running Airflow; the script starts and stops nothing."""
    settings, port = event_driven_airflow
    out = tmp_path / "airflow.json"
    proc = subprocess.run(
        [PY, str(BENCH / "drop_to_published.py"), "--home", str(settings.home)]
        + ["--port", str(port), "--municipalities", MUNICIPALITY, "--scale", "0.05"]
        + ["--drops", "1", "--timeout", "360", "--json", str(out)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=480,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["existing_airflow"] is True
    (drop,) = result["drops"]
    assert drop["municipality_code"] == MUNICIPALITY and drop["seconds"] > 0
    assert drop["respondents_after"] != drop["respondents_before"]
    af.wait_healthy(port, timeout=30)  # the script left the running Airflow alone
