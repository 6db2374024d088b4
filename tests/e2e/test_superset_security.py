"""Superset access and hardening: row-level security per municipality, SQL Lab, server files,
forged session cookies, headers and cookie flags, session lifetime, PostgreSQL metadata.

Uses the session's Superset (superset_fixtures) on the ``published_home`` warehouse.
"""

from __future__ import annotations

import json
import os
import re
import runpy
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
import yaml

from mognad.config import PROJECT_DIR
from mognad.secrets import read_secrets
from mognad.stack import superset_access
from mognad.stack import superset_local as ss
from tests.e2e.superset_fixtures import all_charts, chart_data, get_json, password_for, sqllab

pytestmark = pytest.mark.e2e

CONFIG = PROJECT_DIR / "superset" / "superset_config.py"
DEFAULT_KEYS = ("CHANGE_ME_TO_A_COMPLEX_RANDOM_SECRET", "\2\1thisismyscretkey\1\2\\e\\y\\y\\h")
FORBIDDEN = (
    "SELECT * FROM read_text('/etc/passwd')",
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM '/etc/passwd'",
    "ATTACH '/tmp/mognad-attack.duckdb' AS x",
    "INSTALL httpfs",
    "LOAD httpfs",
    "SET enable_external_access = true",
    "COPY (SELECT 1 AS a) TO '/tmp/mognad-copy-attack.csv'",
)


_COLUMNS: dict[int, set[str]] = {}


def _dataset_columns(api) -> dict[int, set[str]]:
    if _COLUMNS:
        return _COLUMNS
    out = _COLUMNS
    q = json.dumps({"page_size": 100, "columns": ["id", "table_name"]})
    for ds in get_json(api, "/api/v1/dataset/", q=q)["result"]:
        cols = get_json(api, f"/api/v1/dataset/{ds['id']}")["result"]["columns"]
        out[ds["id"]] = {c["column_name"] for c in cols}
    return out


# --- row-level security -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("user", "code", "name"), [("sundsvall", "2281", "Sundsvall"), ("ange", "2260", "Ånge")]
)
def test_municipality_user_sees_only_its_own_rows(superset_server, api, user_api, user, code, name):
    session = user_api(user)
    columns = _dataset_columns(api)
    charts = [
        c for c in all_charts(api) if "municipality_code" in columns[c["datasource_id"]]
    ]  # not e.g. the county average: no municipality rows there

    def fetch(chart):
        own = chart_data(session, chart)
        # a filter asking for another municipality's rows must return nothing
        other = chart_data(session, chart, [{"col": "municipality_code", "op": "!=", "val": code}])
        return chart, own, other

    with_rows = 0
    with ThreadPoolExecutor(6) as pool:
        for chart, own, other in pool.map(fetch, charts):
            assert own.status_code == 200, f"{chart['slice_name']}: {own.text[:300]}"
            rows = own.json()["result"][0]["data"]
            with_rows += bool(rows)
            for r in rows:
                if "kommun" in r:
                    assert r["kommun"] == name, f"{user} saw {r['kommun']} in {chart['slice_name']}"
            assert other.json()["result"][0]["data"] == [], (
                f"{user} reached other municipalities in {chart['slice_name']}"
            )
    assert len(charts) >= 25 and with_rows >= 20, (len(charts), with_rows)


def test_county_user_sees_every_municipality(superset_server, user_api):
    lan = user_api("lan")
    (chart,) = [
        c for c in all_charts(lan) if c["slice_name"] == "Svarsfrekvens per kommun och mätomgång"
    ]
    rows = chart_data(lan, chart).json()["result"][0]["data"]
    assert len({r["kommun"] for r in rows}) >= 7


def test_a_role_and_a_rule_per_municipality(superset_server, api):
    settings, _ = superset_server
    n = len(superset_access.municipalities(settings))
    assert n == 290
    q = json.dumps({"page_size": 1})
    rules = get_json(api, "/api/v1/rowlevelsecurity/", q=q)
    assert rules["count"] == n
    rule = get_json(api, f"/api/v1/rowlevelsecurity/{rules['ids'][0]}")["result"]
    assert rule["clause"].startswith("municipality_code = '")
    assert len(rule["tables"]) >= 12  # every dataset with municipality_code
    users = {u: r for u, r, _ in superset_access.demo_users(settings)}
    assert users == {
        "lan": "Län Västernorrlands län",
        "sundsvall": "Kommun 2281 Sundsvall",
        "ange": "Kommun 2260 Ånge",
    }


def test_sql_lab_refused_for_municipality_users(superset_server, api, user_api):
    database_id = next(
        d["id"]
        for d in get_json(api, "/api/v1/database/")["result"]
        if d["database_name"] == "mognad"
    )
    for user in ("sundsvall", "ange"):
        session = user_api(user)
        resp = session.post(
            session.base_url + "/api/v1/sqllab/execute/",
            json={
                "database_id": database_id,
                "sql": "SELECT * FROM marts.fct_maturity",
                "runAsync": False,
                "schema": "marts",
            },
            timeout=60,
        )
        assert resp.status_code in (401, 403), f"{user}: {resp.status_code} {resp.text[:300]}"
        assert "municipality_code" not in resp.text


# --- server files out of reach ------------------------------------------------------------------
def test_sql_lab_as_admin_reads_marts_but_no_server_files(superset_server, api):
    ok = sqllab(api, "SELECT count(*) AS n FROM marts.fct_maturity")
    assert ok.status_code == 200, ok.text[:500]
    assert ok.json()["data"][0]["n"] > 0
    for sql in FORBIDDEN:
        resp = sqllab(api, sql)
        assert resp.status_code != 200 or resp.json().get("status") == "failed", (
            f"{sql!r} was allowed: {resp.text[:300]}"
        )
        assert "root:" not in resp.text
    assert not Path("/tmp/mognad-copy-attack.csv").exists()
    assert not Path("/tmp/mognad-attack.duckdb").exists()


# --- sessions ---------------------------------------------------------------------------------
def _sign(secret_key: str, user_id: str) -> str:
    """A Flask session cookie claiming ``user_id``, signed in Superset's venv."""
    code = (
        "import sys\n"
        "from flask import Flask\n"
        "from flask.sessions import SecureCookieSessionInterface\n"
        "app = Flask('forge'); app.secret_key = sys.argv[1]\n"
        "s = SecureCookieSessionInterface().get_signing_serializer(app)\n"
        "print(s.dumps({'_user_id': sys.argv[2], '_fresh': True, '_id': 'x' * 128}))\n"
    )
    out = subprocess.run(
        [str(ss.superset_bin("python")), "-c", code, secret_key, user_id],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def test_cookie_forged_with_a_default_key_is_rejected(superset_server, api):
    settings, base_url = superset_server
    admin_id = str(get_json(api, "/api/v1/me/")["result"].get("id", 1))
    for key in DEFAULT_KEYS:
        cookie = _sign(key, admin_id)
        resp = requests.get(
            f"{base_url}/api/v1/me/",
            cookies={"session": cookie},
            timeout=30,
            allow_redirects=False,
        )
        assert resp.status_code in (401, 302), f"{key!r}: {resp.status_code} {resp.text[:200]}"
    # control: the same cookie signed with the real key is accepted, so the check is meaningful
    real = read_secrets(settings.secrets_file)["SUPERSET_SECRET_KEY"]
    resp = requests.get(
        f"{base_url}/api/v1/me/",
        cookies={"session": _sign(real, admin_id)},
        timeout=30,
        allow_redirects=False,
    )
    assert resp.status_code == 200, resp.text[:200]


def test_security_headers_and_cookie_flags(superset_server):
    _, base_url = superset_server
    resp = requests.get(f"{base_url}/login/", timeout=30)
    h = resp.headers
    assert h.get("X-Content-Type-Options") == "nosniff"
    assert h.get("X-Frame-Options") in ("DENY", "SAMEORIGIN")
    assert h.get("Referrer-Policy")
    csp = h.get("Content-Security-Policy", "")
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, csp
    cookie = resp.headers.get("Set-Cookie", "")
    if "session=" in cookie:
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie, cookie


def _config(**env) -> dict:
    keys = ("MOGNAD_SUPERSET_HOME", "SUPERSET_SECRET_KEY", "SUPERSET_GUEST_TOKEN_SECRET")
    saved = {k: os.environ.get(k) for k in (*keys, *env)}
    os.environ.update({k: "x" * 32 for k in keys})
    os.environ["MOGNAD_SUPERSET_HOME"] = "/tmp/mognad-superset-config-test"
    os.environ.update(env)
    try:
        return runpy.run_path(str(CONFIG))
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def test_config_session_tls_and_metadata_database():
    plain = _config(MOGNAD_SUPERSET_HTTPS="0")
    assert plain["PERMANENT_SESSION_LIFETIME"].total_seconds() <= 8 * 3600
    assert plain["SESSION_COOKIE_HTTPONLY"] is True
    assert plain["SESSION_COOKIE_SECURE"] is False
    assert plain["FEATURE_FLAGS"]["RLS_IN_SQLLAB"] is True
    assert plain["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    tls = _config(
        MOGNAD_SUPERSET_HTTPS="1",
        SUPERSET_DATABASE_URI="postgresql+psycopg2://u:p@postgres/superset",
    )
    assert tls["SESSION_COOKIE_SECURE"] is True
    assert tls["TALISMAN_CONFIG"]["session_cookie_secure"] is True
    assert tls["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    compose = yaml.safe_load((PROJECT_DIR / "docker-compose.yml").read_text())
    env = compose["services"]["superset"]["environment"]
    assert str(env["SUPERSET_DATABASE_URI"]).startswith("postgresql")
    # no default secrets anywhere: a missing key stops start-up
    with pytest.raises(RuntimeError):
        _config(SUPERSET_SECRET_KEY="")


# --- login throttling ---------------------------------------------------------------------------
def test_twenty_bad_logins_are_throttled(superset_server):
    """20 wrong passwords in a row, through the REST login and the login form, on a Superset
    of its own (one worker: the in-process counter is per worker; a fresh process, so the
    session's server keeps its login budget)."""
    from tests.e2e.superset_fixtures import free_port

    settings, _ = superset_server
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    proc = ss.start(settings, port=port, workers=1)
    try:
        ss.wait_healthy(base_url, timeout=120, proc=proc)
        api_codes = [
            requests.post(
                f"{base_url}/api/v1/security/login",
                json={"username": "sundsvall", "password": f"fel-{i}", "provider": "db"},
                timeout=30,
            ).status_code
            for i in range(20)
        ]
        assert 429 in api_codes, api_codes
        assert set(api_codes[:5]) == {401}, api_codes  # wrong passwords are answered first
        form = requests.Session()
        form_codes = []
        for i in range(20):  # as a browser would: the form's CSRF token, then the post
            page = form.get(f"{base_url}/login/", timeout=30).text
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page, re.S)
            assert token, page[:500]
            form_codes.append(
                form.post(
                    f"{base_url}/login/",
                    data={
                        "username": "sundsvall",
                        "password": f"fel-{i}",
                        "csrf_token": token.group(1),
                    },
                    timeout=30,
                    allow_redirects=False,
                ).status_code
            )
        assert 429 in form_codes, form_codes
        assert form_codes[0] != 429, form_codes
        # the right password is throttled too while the window lasts: no guessing around it
        right = requests.post(
            f"{base_url}/api/v1/security/login",
            json={
                "username": "sundsvall",
                "password": password_for(settings, "sundsvall"),
                "provider": "db",
            },
            timeout=30,
        )
        assert right.status_code == 429, right.text[:200]
    finally:
        ss.stop(proc)


def test_config_throttles_logins_by_default():
    plain = _config()
    assert plain["RATELIMIT_ENABLED"] is True and plain["AUTH_RATE_LIMITED"] is True
    assert plain["AUTH_RATE_LIMIT"] == "10 per minute"
    assert plain["RATELIMIT_STORAGE_URI"] == "memory://"
    cluster = _config(SUPERSET_REDIS_URL="redis://redis:6379/1")
    assert cluster["RATELIMIT_STORAGE_URI"] == "redis://redis:6379/1"
    compose = yaml.safe_load((PROJECT_DIR / "docker-compose.yml").read_text())
    env = compose["services"]["superset"]["environment"]
    assert str(env["SUPERSET_REDIS_URL"]).startswith("redis://")
    assert str(env.get("MOGNAD_SUPERSET_RATELIMIT", "1")) != "0"
