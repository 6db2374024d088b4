"""Session fixtures and helpers for the Superset end-to-end and security tests.

One Superset per session (setup, import, roles, then gunicorn on a free port) reading the
``published_home`` warehouse (a real pipeline run); ``MOGNAD_E2E_STAND_IN=1`` uses the small
stand-in warehouse instead. One headless Chromium per session too.
"""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import time
from pathlib import Path

import pytest
import requests

from mognad.config import PROJECT_DIR
from mognad.secrets import read_secrets
from mognad.stack import superset_access, superset_base
from mognad.stack import superset_local as ss

ARTIFACTS = PROJECT_DIR / "test-artifacts"


def free_port() -> int:
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
        pytest.skip(f"no Superset virtualenv at {superset_base.SUPERSET_VENV}")
    home = tmp_path_factory.mktemp("superset_home")
    (home / "warehouse").mkdir()
    (home / "warehouse" / "mognad.duckdb").symlink_to(Path(warehouse_home.published_db))
    settings = dataclasses.replace(
        warehouse_home, home=home, secrets_file=home / ".secrets" / "mognad.env"
    )
    timings: dict[str, float] = {}
    t0 = time.monotonic()
    timings.update(ss.setup(settings, progress=lambda msg: None))
    timings["setup total"] = round(time.monotonic() - t0, 1)

    port = free_port()
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


class SupersetSession(requests.Session):
    """A requests session logged in through the REST API (JWT) with a CSRF token.

    Superset's access tokens expire after 15 minutes; the suite keeps sessions for longer, so
    a 401 saying the token expired logs in again and repeats the request once. Any other 401
    (a real refusal) is returned as it came.
    """

    def __init__(self, base_url: str, username: str, password: str):
        super().__init__()
        self.base_url = base_url
        self._credentials = (username, password)
        self.login()

    def login(self) -> None:
        username, password = self._credentials
        for header in ("Authorization", "X-CSRFToken"):
            self.headers.pop(header, None)
        resp = super().request(
            "POST",
            f"{self.base_url}/api/v1/security/login",
            json={"username": username, "password": password, "provider": "db", "refresh": True},
            timeout=30,
        )
        resp.raise_for_status()
        self.headers["Authorization"] = f"Bearer {resp.json()['access_token']}"
        self.headers["Referer"] = self.base_url
        csrf = super().request("GET", f"{self.base_url}/api/v1/security/csrf_token/", timeout=30)
        if csrf.status_code == 200:
            self.headers["X-CSRFToken"] = csrf.json()["result"]

    def request(self, method, url, *args, **kwargs):
        resp = super().request(method, url, *args, **kwargs)
        if resp.status_code == 401 and "expired" in resp.text.lower():
            self.login()
            resp = super().request(method, url, *args, **kwargs)
        return resp


def login_session(base_url: str, username: str, password: str) -> SupersetSession:
    return SupersetSession(base_url, username, password)


def password_for(settings, username: str) -> str:
    secrets = read_secrets(settings.secrets_file)
    if username == ss.ADMIN_USER:
        return secrets["SUPERSET_ADMIN_PASSWORD"]
    return secrets["SUPERSET_DEMO_PASSWORD"]


@pytest.fixture(scope="session")
def api(superset_server) -> requests.Session:
    settings, base_url = superset_server
    return login_session(base_url, "admin", password_for(settings, "admin"))


@pytest.fixture(scope="session")
def user_api(superset_server):
    """``user_api(name)``: a logged-in session per demo user (cached)."""
    settings, base_url = superset_server
    cache: dict[str, requests.Session] = {}

    def get(username: str) -> requests.Session:
        if username not in cache:
            cache[username] = login_session(base_url, username, password_for(settings, username))
        return cache[username]

    return get


def get_json(api, path: str, **params) -> dict:
    resp = api.get(api.base_url + path, params=params, timeout=30)
    resp.raise_for_status()
    return resp.json()


def all_charts(api) -> list[dict]:
    q = json.dumps({"page_size": 100, "columns": ["id", "slice_name", "params", "datasource_id"]})
    return get_json(api, "/api/v1/chart/", q=q)["result"]


def chart_data(api, chart: dict, extra_filters: list[dict] | None = None) -> requests.Response:
    params = chart["params"]
    params = json.loads(params) if isinstance(params, str) else params
    query = superset_access.chart_data_query(params)
    query["filters"] += extra_filters or []
    body = {
        "datasource": {"id": chart["datasource_id"], "type": "table"},
        "queries": [query],
        "result_format": "json",
        "result_type": "full",
    }
    return api.post(api.base_url + "/api/v1/chart/data", json=body, timeout=60)


def sqllab(api, sql: str) -> requests.Response:
    databases = get_json(api, "/api/v1/database/")["result"]
    (database,) = [d for d in databases if d["database_name"] == "mognad"]
    return api.post(
        api.base_url + "/api/v1/sqllab/execute/",
        json={"database_id": database["id"], "sql": sql, "runAsync": False, "schema": "marts"},
        timeout=60,
    )


@pytest.fixture(scope="session")
def _browser():
    """One headless Chromium for the session, replaced if it stops answering."""
    browser = pytest.importorskip("browser", reason="tests/e2e/browser.py")
    if not browser.available():
        pytest.skip("chromium/chromedriver not installed")
    box = browser.Browser(height=3200)
    try:
        yield box
    finally:
        box.close()


@pytest.fixture
def driver(_browser):
    """The session's Chromium, checked alive before each test (a new one if it hung)."""
    return _browser.alive()
