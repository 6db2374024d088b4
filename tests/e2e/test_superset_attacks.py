"""Attacks on municipality isolation through Superset's own API, as a logged-in municipality
user (``sundsvall``, 2281) would send them: every endpoint that takes SQL fragments or query
objects, with OR-injection, set operations, sub-queries, table functions, ``duckdb_*()``,
comments, stacked statements and huge row limits.

Every response body (JSON, CSV, XLSX) is scanned for another municipality's code or name,
for an unsuppressed small cell, for a server path and for file content. The walls (see
docs/reliability.md, "Isolation / walls"): Superset opens the user's own published file
(DB_CONNECTION_MUTATOR), row-level security, a sqlglot guard on user fragments, a check of
the final SQL. The county user still sees every municipality.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from mognad.config import PROJECT_DIR
from tests.e2e.superset_fixtures import get_json

pytestmark = pytest.mark.e2e

USER, CODE, NAME = "sundsvall", "2281", "Sundsvall"
NEIGHBOURS = {  # Västernorrland: the only municipalities with detail in the demo data
    "2260": "Ånge",
    "2262": "Timrå",
    "2280": "Härnösand",
    "2282": "Kramfors",
    "2283": "Sollefteå",
    "2284": "Örnsköldsvik",
}
SMALL_CELL_COLUMNS = ("respondents", "headcount", "persons_completed", "trained_persons")
PATH_MARKERS = ("/etc/", "/root", "/proc/", "/srv/", "/opt/", "/home/", "/var/", "root:x:0")
BIG = 10_000_000


# --- scanning ---------------------------------------------------------------------------------
def _texts(resp) -> list[str]:
    """The body as text, the cells of a CSV and the sheets of an XLSX included."""
    raw = resp.content
    if raw[:2] == b"PK":  # xlsx
        with zipfile.ZipFile(io.BytesIO(raw)) as z:
            return [z.read(n).decode("utf-8", "replace") for n in z.namelist()]
    text = raw.decode("utf-8", "replace")
    out = [text]
    try:
        out.append(json.dumps(resp.json(), ensure_ascii=False))  # \u00c5nge -> Ånge
    except ValueError:
        pass
    return out


def _rows(resp) -> list[dict]:
    try:
        body = resp.json()
    except ValueError:
        text = resp.content.decode("utf-8", "replace")
        if resp.content[:2] == b"PK" or "," not in text:
            return []
        return list(csv.DictReader(io.StringIO(text)))
    rows = []
    for result in body.get("result", []) if isinstance(body, dict) else []:
        if isinstance(result, dict) and isinstance(result.get("data"), list):
            rows += [r for r in result["data"] if isinstance(r, dict)]
    if isinstance(body, dict) and isinstance(body.get("data"), list):
        rows += [r for r in body["data"] if isinstance(r, dict)]
    return rows


def leaks(resp, forbidden_paths: tuple[str, ...]) -> list[str]:
    found = []
    for text in _texts(resp):
        for code, name in NEIGHBOURS.items():
            if name in text:
                found.append(f"name {name}")
            if re.search(rf"(?<![0-9A-Za-z]){code}(?![0-9A-Za-z])", text) and (
                f'"{code}"' in text
                or resp.content[:2] == b"PK"
                or "json" not in resp.headers.get("Content-Type", "")
            ):
                found.append(f"code {code}")
        for marker in (*PATH_MARKERS, *forbidden_paths):
            if marker in text:
                found.append(f"path {marker}")
    for row in _rows(resp):
        for key in ("municipality_code", "kommun"):
            value = row.get(key)
            if value not in (None, "", CODE, NAME):
                found.append(f"row {key}={value}")
        for key in SMALL_CELL_COLUMNS:
            value = row.get(key)
            try:
                n = float(value)
            except (TypeError, ValueError):
                continue
            if 0 < n < 5:
                found.append(f"small cell {key}={value}")
    return sorted(set(found))


# --- the attacks ------------------------------------------------------------------------------
@dataclass
class Attack:
    name: str
    method: str
    path: str  # {ds} dataset id, {db} database id, {chart} chart id
    body: dict | None = None
    refused: bool = False  # must be refused (not a 2xx), not merely harmless
    form: bool = False
    params: dict = field(default_factory=dict)


def _query(**over) -> dict:
    q = {
        "columns": ["municipality_code", "kommun", "wave", "respondents"],
        "metrics": [],
        "filters": [],
        "orderby": [],
        "row_limit": 100,
        "extras": {},
    }
    q.update(over)
    return q


def _col(sql: str, label: str = "x") -> dict:
    return {"expressionType": "SQL", "sqlExpression": sql, "label": label}


def _metric(sql: str, label: str = "m") -> dict:
    return {"expressionType": "SQL", "sqlExpression": sql, "label": label}


def chart(query: dict, result_type: str = "full", fmt: str = "json", ds: str = "{ds}") -> dict:
    return {
        "datasource": {"id": ds, "type": "table"},
        "queries": [query],
        "result_format": fmt,
        "result_type": result_type,
    }


OR_FILTER = {
    "col": _col("municipality_code = '2260' OR 1 = 1"),
    "op": "IS NOT NULL",
}
UNION_METRIC = (
    "count(*) AS m FROM marts.ingest_log UNION ALL SELECT municipality_code, file, "
    "status, rows_read FROM marts.ingest_log"
)
TABLE_FUNCTIONS = (
    "read_csv('/etc/passwd')",
    "read_text('/etc/passwd')",
    "glob('/etc/*')",
    "query('SELECT * FROM marts.ingest_log')",
    "query_table('marts.ingest_log')",
)
DUCKDB_FUNCTIONS = (
    "(SELECT string_agg(value, ',') FROM duckdb_settings())",
    "(SELECT string_agg(path, ',') FROM duckdb_databases())",
    "current_setting('temp_directory')",
    "current_setting('secret_directory')",
    "getenv('HOME')",
)


def attacks() -> list[Attack]:
    a: list[Attack] = []
    post = "/api/v1/chart/data"
    # OR-injection in filter subjects, where and having: harmless (own rows only)
    a.append(Attack("or filter subject", "POST", post, chart(_query(filters=[OR_FILTER]))))
    for rt in ("samples", "drill_detail", "query"):
        a.append(Attack(f"or filter {rt}", "POST", post, chart(_query(filters=[OR_FILTER]), rt)))
    a.append(
        Attack(
            "or in extras.where",
            "POST",
            post,
            chart(_query(extras={"where": "municipality_code = '2260' OR 1 = 1"})),
        )
    )
    a.append(
        Attack(
            "or in extras.having",
            "POST",
            post,
            chart(
                _query(
                    columns=["municipality_code"],
                    metrics=[_metric("count(*)")],
                    extras={"having": "count(*) > 0 OR 1 = 1"},
                )
            ),
        )
    )
    a.append(
        Attack(
            "not-equal own code",
            "POST",
            post,
            chart(_query(filters=[{"col": "municipality_code", "op": "!=", "val": CODE}])),
        )
    )
    a.append(
        Attack(
            "IN other codes",
            "POST",
            post,
            chart(
                _query(filters=[{"col": "municipality_code", "op": "IN", "val": list(NEIGHBOURS)}])
            ),
        )
    )
    # set operations and sub-queries in metrics, columns, orderby, where, having
    a.append(
        Attack(
            "union metric",
            "POST",
            post,
            chart(_query(columns=[], metrics=[_metric(UNION_METRIC)])),
            True,
        )
    )
    a.append(
        Attack(
            "union column",
            "POST",
            post,
            chart(_query(columns=[_col("1 UNION SELECT file FROM marts.ingest_log")])),
            True,
        )
    )
    a.append(
        Attack(
            "sub-query column",
            "POST",
            post,
            chart(_query(columns=[_col("(SELECT max(file) FROM marts.ingest_log)")])),
            True,
        )
    )
    a.append(
        Attack(
            "sub-query where",
            "POST",
            post,
            chart(
                _query(
                    extras={
                        "where": "municipality_code IN (SELECT municipality_code "
                        "FROM marts.dim_municipality)"
                    }
                )
            ),
            True,
        )
    )
    a.append(
        Attack(
            "exists having",
            "POST",
            post,
            chart(
                _query(
                    columns=["municipality_code"],
                    metrics=[_metric("count(*)")],
                    extras={"having": "EXISTS (SELECT 1 FROM marts.ingest_log)"},
                )
            ),
            True,
        )
    )
    a.append(
        Attack(
            "sub-query orderby",
            "POST",
            post,
            chart(
                _query(
                    orderby=[[_metric("(SELECT count(*) FROM marts.fct_quarantine)"), False]],
                    metrics=[_metric("count(*)")],
                    columns=["municipality_code"],
                )
            ),
            True,
        )
    )
    a.append(
        Attack(
            "sub-query filter subject",
            "POST",
            post,
            chart(
                _query(
                    filters=[
                        {
                            "col": _col("(SELECT min(municipality_code) FROM marts.ingest_log)"),
                            "op": "IS NOT NULL",
                        }
                    ]
                )
            ),
            True,
        )
    )
    # table functions and DuckDB internals, as metric and as column
    for fn in TABLE_FUNCTIONS + DUCKDB_FUNCTIONS:
        a.append(
            Attack(
                f"metric {fn[:30]}",
                "POST",
                post,
                chart(_query(columns=[], metrics=[_metric(f"max({fn})")])),
                True,
            )
        )
        a.append(Attack(f"column {fn[:30]}", "POST", post, chart(_query(columns=[_col(fn)])), True))
    # comments and stacked statements
    a.append(
        Attack(
            "comment in where",
            "POST",
            post,
            chart(_query(extras={"where": "1 = 1 /* AND municipality_code = '2281' */"})),
            True,
        )
    )
    a.append(
        Attack(
            "line comment column",
            "POST",
            post,
            chart(_query(columns=[_col("municipality_code -- ")])),
            True,
        )
    )
    a.append(
        Attack(
            "stacked statement",
            "POST",
            post,
            chart(_query(extras={"where": "1 = 1; SELECT * FROM marts.ingest_log"})),
            True,
        )
    )
    # huge row limits, every result type and export format (own rows only)
    for rt in ("full", "samples", "drill_detail"):
        a.append(Attack(f"huge {rt}", "POST", post, chart(_query(row_limit=BIG), rt)))
    for fmt in ("csv", "xlsx"):
        a.append(Attack(f"export {fmt}", "POST", post, chart(_query(row_limit=BIG), "full", fmt)))
        a.append(
            Attack(
                f"export {fmt} with or",
                "POST",
                post,
                chart(_query(filters=[OR_FILTER], row_limit=BIG), "full", fmt),
            )
        )
    # the ingest log and the quarantine of other municipalities
    for ds in ("{ingest}", "{quarantine}"):
        a.append(
            Attack(
                f"or on {ds}",
                "POST",
                post,
                chart(
                    {
                        "columns": ["municipality_code", "kommun", "file"],
                        "metrics": [],
                        "filters": [OR_FILTER],
                        "extras": {"where": "1 = 1 OR municipality_code <> ''"},
                        "row_limit": BIG,
                    },
                    ds=ds,
                ),
            )
        )
    # legacy explore endpoint
    form_data = {
        "datasource": "{ds}__table",
        "viz_type": "table",
        "query_mode": "raw",
        "all_columns": ["municipality_code", "kommun", "respondents"],
        "adhoc_filters": [
            {
                "expressionType": "SQL",
                "clause": "WHERE",
                "sqlExpression": "municipality_code = '2260' OR 1 = 1",
            }
        ],
        "row_limit": BIG,
    }
    a.append(
        Attack(
            "explore_json or",
            "POST",
            "/superset/explore_json/",
            {"form_data": form_data},
            form=True,
        )
    )
    union_form = dict(form_data)
    union_form["adhoc_filters"] = [
        {
            "expressionType": "SQL",
            "clause": "WHERE",
            "sqlExpression": "1 = 1 UNION ALL SELECT file, file, 1 FROM marts.ingest_log",
        }
    ]
    a.append(
        Attack(
            "explore_json union",
            "POST",
            "/superset/explore_json/",
            {"form_data": union_form},
            True,
            True,
        )
    )
    # column values, dataset, database and SQL Lab endpoints
    a.append(Attack("column values", "GET", "/api/v1/datasource/table/{ds}/column/kommun/values/"))
    a.append(
        Attack(
            "column values ingest file",
            "GET",
            "/api/v1/datasource/table/{ingest}/column/file/values/",
        )
    )
    a.append(Attack("dataset detail", "GET", "/api/v1/dataset/{ds}"))
    a.append(Attack("dataset list", "GET", "/api/v1/dataset/"))
    a.append(
        Attack(
            "dataset edit sql",
            "PUT",
            "/api/v1/dataset/{ds}",
            {"sql": "SELECT * FROM marts.ingest_log"},
            refused=True,
        )
    )
    a.append(
        Attack(
            "dataset create",
            "POST",
            "/api/v1/dataset/",
            {"database": "{db}", "schema": "marts", "table_name": "x", "sql": "SELECT 1"},
            refused=True,
        )
    )
    a.append(Attack("database list", "GET", "/api/v1/database/"))
    a.append(Attack("database detail", "GET", "/api/v1/database/{db}"))
    a.append(Attack("database connection", "GET", "/api/v1/database/{db}/connection"))
    a.append(
        Attack(
            "database table metadata",
            "GET",
            "/api/v1/database/{db}/table_metadata/",
            params={"name": "ingest_log", "schema": "marts"},
        )
    )
    a.append(
        Attack("database select star", "GET", "/api/v1/database/{db}/select_star/ingest_log/marts/")
    )
    a.append(
        Attack(
            "database test connection",
            "POST",
            "/api/v1/database/test_connection/",
            {"sqlalchemy_uri": "duckdb:////etc/passwd", "database_name": "x"},
            refused=True,
        )
    )
    a.append(
        Attack(
            "validate sql",
            "POST",
            "/api/v1/database/{db}/validate_sql/",
            {"sql": "SELECT * FROM read_text('/etc/passwd')", "schema": "marts"},
            refused=True,
        )
    )
    for sql in (
        "SELECT * FROM marts.ingest_log",
        "SELECT * FROM read_text('/etc/passwd')",
        "SELECT * FROM duckdb_settings()",
    ):
        a.append(
            Attack(
                f"sqllab {sql[:30]}",
                "POST",
                "/api/v1/sqllab/execute/",
                {"database_id": "{db}", "sql": sql, "runAsync": False, "schema": "marts"},
                refused=True,
            )
        )
    a.append(Attack("chart export", "GET", "/api/v1/chart/export/", params={"q": "!({chart})"}))
    a.append(Attack("dataset export", "GET", "/api/v1/dataset/export/", params={"q": "!({ds})"}))
    a.append(Attack("saved chart data", "GET", "/api/v1/chart/{chart}/data/"))
    return a


def _fill(value, ids: dict):
    if isinstance(value, str):
        for k, v in ids.items():
            if value == "{" + k + "}":
                return v
            value = value.replace("{" + k + "}", str(v))
        return value
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


@pytest.fixture(scope="module")
def ids(api) -> dict:
    q = json.dumps({"page_size": 100, "columns": ["id", "table_name"]})
    datasets = {d["table_name"]: d["id"] for d in get_json(api, "/api/v1/dataset/", q=q)["result"]}
    (db,) = [d["id"] for d in get_json(api, "/api/v1/database/")["result"]]
    cq = json.dumps({"page_size": 100, "columns": ["id", "slice_name", "datasource_id"]})
    charts = get_json(api, "/api/v1/chart/", q=cq)["result"]
    ingest = datasets["leveranslogg"]
    chart_id = next(
        c["id"] for c in charts if c["datasource_id"] == datasets["mognadsindex_kommun"]
    )
    return {
        "ds": datasets["mognadsindex_kommun"],
        "ingest": ingest,
        "quarantine": datasets["karantan"],
        "db": db,
        "chart": chart_id,
    }


def send(session, attack: Attack, ids: dict):
    url = session.base_url + _fill(attack.path, ids)
    params = _fill(attack.params, ids)
    body = _fill(attack.body, ids)
    if attack.form:
        return session.request(
            attack.method, url, data={"form_data": json.dumps(body["form_data"])}, timeout=60
        )
    return session.request(attack.method, url, params=params, json=body, timeout=60)


def _forbidden_paths(superset_server, warehouse_home) -> tuple[str, ...]:
    settings, _ = superset_server
    return tuple(
        {str(Path(settings.home).resolve()), str(settings.home), str(warehouse_home.home),
         str(Path(warehouse_home.home).resolve()), str(PROJECT_DIR), "/tmp/"}
    )  # fmt: skip


def test_at_least_forty_attacks():
    assert len(attacks()) >= 40, len(attacks())


@pytest.mark.parametrize("attack", attacks(), ids=lambda a: a.name)
def test_attack_gets_nothing_of_other_municipalities(
    superset_server, warehouse_home, user_api, ids, attack, artifacts
):
    session = user_api(USER)
    resp = send(session, attack, ids)
    found = leaks(resp, _forbidden_paths(superset_server, warehouse_home))
    with (artifacts / "superset-attacks.log").open("a", encoding="utf-8") as log:
        log.write(f"{attack.name}\t{resp.status_code}\t{found}\t{resp.text[:200]!r}\n")
    assert not found, f"{attack.name}: {resp.status_code} leaked {found}: {resp.text[:400]}"
    if attack.refused:
        ok = resp.status_code < 300
        if ok:
            try:
                body = resp.json()
            except ValueError:
                body = {}
            statuses = [r.get("status") for r in body.get("result", []) if isinstance(r, dict)]
            ok = not (statuses and all(s == "failed" for s in statuses))
        assert not ok, f"{attack.name} was not refused: {resp.status_code} {resp.text[:400]}"
    assert resp.status_code < 500, f"{attack.name}: {resp.status_code} {resp.text[:400]}"


def test_or_injection_returns_own_rows_only(superset_server, user_api, ids):
    """The OR-injection that escaped RLS before: answered, but with Sundsvall's rows only."""
    session = user_api(USER)
    resp = send(
        session,
        Attack(
            "or", "POST", "/api/v1/chart/data", chart(_query(filters=[OR_FILTER], row_limit=BIG))
        ),
        ids,
    )
    assert resp.status_code == 200, resp.text[:400]
    rows = resp.json()["result"][0]["data"]
    assert rows and {r["municipality_code"] for r in rows} == {CODE}


def test_guard_names_the_reason(superset_server, user_api, ids):
    session = user_api(USER)
    resp = send(
        session,
        Attack(
            "union",
            "POST",
            "/api/v1/chart/data",
            chart(_query(columns=[], metrics=[_metric(UNION_METRIC)])),
        ),
        ids,
    )
    assert resp.status_code in (400, 403), resp.text[:400]
    assert "not allowed" in resp.text and "Otillåt" in resp.json().get("message", "") + resp.text


def test_county_user_sees_every_municipality_through_the_same_dataset(
    superset_server, user_api, ids
):
    lan = user_api("lan")
    body = chart(
        _query(columns=["municipality_code"], metrics=[_metric("count(*)")], row_limit=1000)
    )
    resp = send(lan, Attack("county", "POST", "/api/v1/chart/data", body), ids)
    assert resp.status_code == 200, resp.text[:400]
    codes = {r["municipality_code"] for r in resp.json()["result"][0]["data"]}
    assert codes >= {CODE, *NEIGHBOURS}, codes


def test_two_municipalities_in_a_row_get_their_own_rows(superset_server, user_api, ids):
    """The same chart request, right after each other: no cache hands one user's result to
    the other (the SQL is identical, only the file differs)."""
    body = chart(_query(columns=["municipality_code", "kommun"], metrics=[_metric("count(*)")]))
    for user, code in (
        ("sundsvall", "2281"),
        ("ange", "2260"),
        ("sundsvall", "2281"),
        ("ange", "2260"),
    ):
        resp = send(user_api(user), Attack("same", "POST", "/api/v1/chart/data", body), ids)
        assert resp.status_code == 200, resp.text[:400]
        result = resp.json()["result"][0]
        assert {r["municipality_code"] for r in result["data"]} == {code}, (user, result["data"])
        assert not result.get("is_cached"), result.get("cache_key")


WALLS_OFF = """
# The setup before the walls: one county file for everyone, row-level security only.
import os
exec(compile(open({config!r}, encoding="utf-8").read(), {config!r}, "exec"))


def DB_CONNECTION_MUTATOR(uri, params, username, security_manager, source):
    params["connect_args"]["config"] = {{
        "enable_external_access": False, "lock_configuration": True
    }}
    return uri.set(database=os.environ["MOGNAD_WAREHOUSE"]), params


def SQL_QUERY_MUTATOR(sql, **kwargs):
    return sql


FLASK_APP_MUTATOR = None
"""


def test_the_attacks_succeed_without_the_walls(superset_server, warehouse_home, ids, tmp_path):
    """The control: the same attacks against the same Superset with only row-level security
    (one county file, no fragment guard, no final-SQL check) do leak, so the scan above is
    able to fail."""
    from mognad.stack import superset_local as ss
    from tests.e2e.superset_fixtures import free_port, login_session, password_for

    settings, _ = superset_server
    config = tmp_path / "superset_config_walls_off.py"
    real = PROJECT_DIR / "superset" / "superset_config.py"
    config.write_text(WALLS_OFF.format(config=str(real)), encoding="utf-8")
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    proc = ss.start(
        settings, port=port, workers=1, config_path=config, log_name="superset-walls-off.log"
    )
    try:
        ss.wait_healthy(base_url, timeout=120, proc=proc)
        session = login_session(base_url, USER, password_for(settings, USER))
        leaked = {}
        for attack in attacks():
            if attack.path != "/api/v1/chart/data":
                continue
            found = leaks(
                send(session, attack, ids), _forbidden_paths(superset_server, warehouse_home)
            )
            if found:
                leaked[attack.name] = found
    finally:
        ss.stop(proc)
    print(f"\nwithout the walls: {len(leaked)} attacks leaked: {leaked}")
    assert {"or filter subject", "or filter drill_detail", "export csv with or"} <= set(leaked)
    assert any("row municipality_code" in f for f in leaked["or on {ingest}"]), leaked
    assert any(name.startswith("column current_setting") for name in leaked), leaked
