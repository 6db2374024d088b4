"""HTTP pulls against a local server on 127.0.0.1 (no network beyond loopback)."""

from __future__ import annotations

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import duckdb
import pytest
import yaml

from mognad.contract.personnummer import build
from mognad.contract.reference import VASTERNORRLAND
from mognad.ingest.run import ingest
from mognad.pull.http import retry_after
from mognad.pull.run import pull
from mognad.pull.sources import load_sources, parse_source
from mognad.state.ledger import Ledger

ROOT = Path(__file__).resolve().parents[2]


class FakeApi:
    """Routes path -> list of responses, served in order (the last one repeats)."""

    def __init__(self):
        self.routes: dict[str, list] = {}
        self.log: list[tuple[str, dict, dict]] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_GET(self):
                url = urlparse(self.path)
                api.log.append((url.path, parse_qs(url.query), dict(self.headers)))
                queue = api.routes.get(url.path)
                if not queue:
                    self._send(404, b"{}", {})
                    return
                resp = queue.pop(0) if len(queue) > 1 else queue[0]
                if callable(resp):
                    resp = resp(url, self.headers)
                status, body, headers = resp
                if headers.get("_sleep"):
                    time.sleep(headers["_sleep"])
                self._send(status, body, headers)

            def _send(self, status, body, headers):
                if not isinstance(body, bytes):
                    body = json.dumps(body).encode()
                self.send_response(status)
                for k, v in headers.items():
                    if not k.startswith("_"):
                        self.send_header(k, str(v))
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def hits(self, path: str) -> int:
        return sum(1 for p, _, _ in self.log if p == path)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def api():
    server = FakeApi()
    yield server
    server.close()


@pytest.fixture
def env(settings, tmp_path, monkeypatch):
    folder = tmp_path / "sources"
    folder.mkdir()
    monkeypatch.setenv("MOGNAD_SOURCES_DIR", str(folder))
    monkeypatch.setenv("MOGNAD_PSEUDONYM_KEY", "pull-test-key")
    sleeps: list[float] = []

    def source(**data):
        base = {"municipality_code": "2281", "feed": "training", "retries": 3, "backoff": 0.01}
        base.update(data)
        (folder / f"{base['id']}.yaml").write_text(yaml.safe_dump(base), encoding="utf-8")
        return base["id"]

    def run(source_id):
        return pull(settings, source_id, sleep=lambda s: sleeps.append(s))

    return settings, source, run, sleeps


def pnr(i: int) -> str:
    import datetime as dt

    return build(dt.date(1970 + i % 40, 1 + i % 12, 1 + i % 28), 100 + i)


def training_rows(n: int, start: int = 0) -> list[dict]:
    return [
        {
            "personnummer": pnr(i),
            "kurskod": "DF1",
            "kursnamn": "Digitalt först",
            "slutförd": "2025-03-01",
            "status": "completed",
            "timmar": 1.5,
        }
        for i in range(start, start + n)
    ]


def raw(settings, feed):
    files = [str(f) for f in settings.raw.glob(f"feed={feed}/*/*/data.parquet")]
    if not files:
        return []
    return (
        duckdb.connect()
        .execute(
            "SELECT * FROM read_parquet(?, union_by_name=true, hive_partitioning=false)", [files]
        )
        .fetchdf()
    )


def test_shipped_sources_are_valid():
    sources = load_sources(None, ROOT / "sources")
    kolada = {s.id: s for s in sources}["kolada_population"]
    assert kolada.feed == "kolada"
    assert kolada.municipality_codes == VASTERNORRLAND
    assert kolada.url == (
        "https://api.kolada.se/v3/data/kpi/N01951/municipality/"
        "2260,2262,2280,2281,2282,2283,2284/year/2024,2025,2026"
    )
    assert kolada.page_size == 5000 and kolada.attribution == "Källa: Kolada"


def test_invalid_sources_are_refused_with_a_reason():
    bad = [
        ({"id": "x", "feed": "budget", "municipality_code": "2281", "url": "http://a"}, "feed"),
        ({"id": "x", "feed": "hr", "municipality_code": "9999", "url": "http://a"}, "unknown"),
        ({"id": "x", "feed": "hr", "municipality_code": "2281", "url": "ftp://a"}, "url"),
        ({"id": "../x", "feed": "hr", "municipality_code": "2281", "url": "http://a"}, "id"),
        (
            {"id": "x", "feed": "hr", "municipality_code": "2281", "url": "http://a",
             "auth": {"type": "bearer", "token": "secret"}},
            "environment variable",
        ),
    ]  # fmt: skip
    for data, word in bad:
        with pytest.raises(ValueError, match=word):
            parse_source(data)


def test_page_pagination_lands_one_file_that_ingest_loads(env, api):
    settings, source, run, _ = env
    rows = training_rows(5)

    def page(url, headers):
        q = parse_qs(url.query)
        p, size = int(q["page"][0]), int(q["pageSize"][0])
        return 200, {"items": rows[(p - 1) * size : p * size]}, {}

    api.routes["/lms/page"] = [page]
    sid = source(
        id="2281_lms", url=f"{api.base}/lms/page", pagination="page", page_size=2,
        auth={"type": "bearer", "token_env": "LMS_TOKEN"},
    )  # fmt: skip
    env_token = "s3cret-token"
    import os

    os.environ["LMS_TOKEN"] = env_token
    try:
        result = run(sid)
    finally:
        del os.environ["LMS_TOKEN"]
    assert result.ok, result.message
    assert (result.pages, result.records) == (3, 5)
    [path] = result.files
    assert path.parent == settings.inbox / "2281" / "training"
    assert path.name.startswith("2281_lms_") and path.name.endswith("Z.json")
    assert not list(path.parent.glob(".*"))  # no temp file left behind
    assert api.log[-1][2]["Authorization"] == f"Bearer {env_token}"
    report = ingest(settings, progress=None)
    assert report.count("loaded") == 1, report.outcomes
    df = raw(settings, "training")
    assert len(df) == 5 and df["hours"].tolist() == [1.5] * 5
    # the token and the clear personnummer are nowhere in the state or raw zone
    for f in [*settings.state.rglob("*"), *settings.raw.rglob("*")]:
        if f.is_file():
            data = f.read_bytes()
            assert env_token.encode() not in data
            assert not any(r["personnummer"].encode() in data for r in rows)
    [rec] = Ledger(settings.ledger_path).pulls("2281_lms")
    assert rec["ok"] == 1 and rec["pages"] == 3 and rec["records"] == 5


def test_next_link_pagination_and_basic_auth(env, api, monkeypatch):
    settings, source, run, _ = env
    monkeypatch.setenv("HR_USER", "sundsvall")
    monkeypatch.setenv("HR_PASS", "hemligt")
    row = {"personnummer": pnr(1), "datum": "2024-12", "förvaltning": "KLK", "kön": "K"}
    api.routes["/hr/1"] = [(200, {"data": [row], "next": "/hr/2?cursor=abc"}, {})]
    api.routes["/hr/2"] = [(200, {"data": [{**row, "personnummer": pnr(2)}], "next": None}, {})]
    sid = source(
        id="2281_hr", feed="hr", url=f"{api.base}/hr/1", pagination="next_link",
        items_key="data", auth={"type": "basic", "username_env": "HR_USER",
                                "password_env": "HR_PASS"},
    )  # fmt: skip
    result = run(sid)
    assert result.ok and result.records == 2 and result.pages == 2
    expected = "Basic " + base64.b64encode(b"sundsvall:hemligt").decode()
    assert api.log[-1][2]["Authorization"] == expected
    assert api.log[-1][1] == {"cursor": ["abc"]}
    ingest(settings, progress=None)
    df = raw(settings, "hr")
    assert len(df) == 2 and set(df["target_group"]) == {"medarbetare"}
    assert {str(d)[:10] for d in df["snapshot_date"]} == {"2024-12-31"}


def test_429_then_success_honours_retry_after_with_a_cap(env, api):
    settings, source, run, sleeps = env
    api.routes["/busy"] = [
        (429, {"error": "slow down"}, {"Retry-After": "2"}),
        (503, {}, {"Retry-After": "3600"}),  # capped by max_retry_wait
        (200, training_rows(1), {}),
    ]
    sid = source(id="busy", url=f"{api.base}/busy", max_retry_wait=5)
    result = run(sid)
    assert result.ok, result.message
    assert sleeps == [2.0, 5.0]
    assert result.requests == 3


def test_repeated_500s_fail_after_retries_with_backoff(env, api):
    settings, source, run, sleeps = env
    api.routes["/broken"] = [(500, {"error": "boom"}, {})]
    before = api.hits("/broken")
    sid = source(id="broken", url=f"{api.base}/broken", retries=2, backoff=0.5)
    result = run(sid)
    assert not result.ok
    assert "HTTP 500" in result.message and "3 attempts" in result.message
    assert api.hits("/broken") - before == 3
    assert sleeps == [0.5, 1.0]
    assert result.files == [] and not (settings.inbox / "2281").exists()
    [rec] = Ledger(settings.ledger_path).pulls("broken")
    assert rec["ok"] == 0 and rec["http_status"] == 500 and "HTTP 500" in rec["message"]


def test_timeout_is_a_clear_failure(env, api):
    settings, source, run, _ = env
    api.routes["/slow"] = [(200, training_rows(1), {"_sleep": 1.0})]
    sid = source(id="slow", url=f"{api.base}/slow", timeout=0.2, retries=1)
    started = time.monotonic()
    result = run(sid)
    assert not result.ok and "timeout" in result.message
    assert time.monotonic() - started < 3
    assert result.requests == 2


def test_malformed_json_is_a_clear_failure_and_lands_nothing(env, api):
    settings, source, run, _ = env
    api.routes["/bad"] = [(200, b'[{"personnummer": "19', {})]
    before = api.hits("/bad")
    result = run(source(id="bad", url=f"{api.base}/bad"))
    assert not result.ok and "malformed JSON" in result.message
    assert api.hits("/bad") - before == 1
    assert not (settings.inbox / "2281").exists()


def test_wrong_auth_is_not_retried_and_says_which_variable(env, api, monkeypatch):
    settings, source, run, sleeps = env
    monkeypatch.setenv("WRONG_TOKEN", "nope")

    def guarded(url, headers):
        if headers.get("Authorization") != "Bearer right":
            return 401, {"error": "unauthorized"}, {}
        return 200, [], {}

    api.routes["/guarded"] = [guarded]
    before = api.hits("/guarded")
    sid = source(
        id="guarded", url=f"{api.base}/guarded",
        auth={"type": "bearer", "token_env": "WRONG_TOKEN"},
    )  # fmt: skip
    result = run(sid)
    assert not result.ok and "HTTP 401" in result.message and "WRONG_TOKEN" in result.message
    assert "nope" not in result.message
    assert api.hits("/guarded") - before == 1 and sleeps == []
    monkeypatch.delenv("WRONG_TOKEN")
    result = run(sid)
    assert not result.ok and "not set: WRONG_TOKEN" in result.message
    assert api.hits("/guarded") - before == 1  # no request without credentials


def test_unknown_source_is_a_failure_not_an_exception(env):
    _, _, run, _ = env
    result = run("no_such_source")
    assert not result.ok and "unknown source" in result.message


def test_retry_after_accepts_seconds_and_http_dates():
    assert retry_after("7") == 7.0
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert retry_after("soon") is None and retry_after(None) is None


def kolada_value(code: str, year: int, total: float) -> dict:
    return {
        "kpi": "N01951",
        "municipality": code,
        "period": year,
        "values": [
            {"gender": "T", "count": 1, "status": "", "value": total},
            {"gender": "K", "count": 1, "status": "", "value": total / 2},
            {"gender": "M", "count": 1, "status": "", "value": total / 2},
        ],
    }


def test_kolada_paging_end_to_end_through_ingest_into_the_raw_zone(env, api):
    settings, _, run, _ = env
    codes = list(VASTERNORRLAND)
    values = [
        kolada_value(c, y, 10000.0 + i * 1000 + (y - 2024))
        for i, c in enumerate(codes)
        for y in (2024, 2025)
    ]  # 14 value objects; 2026 not published yet
    path = f"/v3/data/kpi/N01951/municipality/{','.join(codes)}/year/2024,2025,2026"
    page_size = 5

    def kolada(url, headers):
        q = parse_qs(url.query)
        size = int(q["per_page"][0])
        page = int(q.get("page", ["1"])[0])
        chunk = values[(page - 1) * size : page * size]
        nxt = None
        if page * size < len(values):
            nxt = f"{api.base}{path}?per_page={size}&page={page + 1}"
        prev = f"{api.base}{path}?per_page={size}&page={page - 1}" if page > 1 else None
        # Kolada v3: next_url / previous_url are absolute URLs
        return (
            200,
            {"count": len(chunk), "values": chunk, "next_url": nxt, "previous_url": prev},
            {},
        )

    api.routes[path] = [kolada]
    folder = Path(__import__("os").environ["MOGNAD_SOURCES_DIR"])
    shipped = yaml.safe_load((ROOT / "sources" / "kolada_population.yaml").read_text())
    shipped.update(base_url=f"{api.base}/v3", page_size=page_size)
    (folder / "kolada_population.yaml").write_text(yaml.safe_dump(shipped, allow_unicode=True))

    result = run("kolada_population")
    assert result.ok, result.message
    assert result.pages == 3 and result.records == 14 and len(result.files) == 7
    first = json.loads(result.files[0].read_text(encoding="utf-8"))
    assert first["attribution"] == "Källa: Kolada" and first["municipality"] == "2260"
    report = ingest(settings, progress=None)
    assert report.count("loaded") == 7
    receipt = json.loads(
        next((settings.inbox / "2281" / "receipts").glob("*.loaded.json")).read_text()
    )
    assert receipt["attribution"] == "Källa: Kolada" and receipt["rows_loaded"] == 6
    df = raw(settings, "kolada")
    assert len(df) == 7 * 2 * 3
    row = df[
        (df.municipality_code.astype(str) == "2281") & (df.year == 2025) & (df.gender == "alla")
    ]
    assert row["value"].tolist() == [13001.0] and row["kpi"].tolist() == ["N01951"]
    assert set(df["gender"]) == {"alla", "kvinna", "man"}
    # the same payload pulled again is recognised as a duplicate, not loaded twice
    again = run("kolada_population")
    assert again.ok
    report = ingest(settings, progress=None)
    assert report.count("duplicate") == 7 and len(raw(settings, "kolada")) == 42


def test_kolada_file_for_another_municipality_rejects_its_rows(settings):
    from tests.conftest import drop

    doc = {"attribution": "Källa: Kolada", "values": [kolada_value("2281", 2024, 99000.0)]}
    drop(settings, "2262", "kolada", "fel.json", json.dumps(doc))
    ingest(settings, progress=None)
    receipt = json.loads(
        (settings.inbox / "2262" / "receipts" / "fel.json.quarantined.json").read_text()
    )
    assert {p["code"] for p in receipt["problems"]} >= {"wrong_municipality"}


def test_cli_pull_reports_each_source_and_fails_when_one_fails(env, api, tmp_path):
    import os
    import subprocess

    settings, source, _, _ = env
    api.routes["/cli/ok"] = [(200, training_rows(2), {})]
    api.routes["/cli/gone"] = [(404, {}, {})]
    source(id="a_ok", url=f"{api.base}/cli/ok")
    source(id="b_gone", url=f"{api.base}/cli/gone")
    environ = {
        **os.environ,
        "MOGNAD_HOME": str(settings.home),
        "MOGNAD_SECRETS_FILE": str(settings.secrets_file),
    }
    mognad = ROOT / ".venv" / "pipeline" / "bin" / "mognad"
    run = subprocess.run(
        [str(mognad), "pull"], capture_output=True, text=True, env=environ, timeout=60
    )
    assert run.returncode == 1, run.stdout + run.stderr
    lines = run.stdout.strip().splitlines()
    assert "a_ok  ok" in lines[0] and "b_gone  MISSLYCKADES/FAILED  HTTP 404" in lines[1]
    assert lines[2].startswith("2 källor/sources, 1 misslyckade/failed")
    one = subprocess.run(
        [str(mognad), "pull", "a_ok"], capture_output=True, text=True, env=environ, timeout=60
    )
    assert one.returncode == 0, one.stdout
    assert len(list((settings.inbox / "2281" / "training").glob("a_ok_*.json"))) == 2


def _kolada_source(api, folder: Path, path_base: str, page_size: int) -> None:
    shipped = yaml.safe_load((ROOT / "sources" / "kolada_population.yaml").read_text())
    shipped.update(base_url=f"{api.base}{path_base}", page_size=page_size)
    (folder / "kolada_population.yaml").write_text(yaml.safe_dump(shipped, allow_unicode=True))


def _kolada_pages(api, path: str, values: list, size: int, fail_page: int | None = None):
    def handler(url, headers):
        page = int(parse_qs(url.query).get("page", ["1"])[0])
        if page == fail_page:
            return 500, {"error": "internal"}, {}
        chunk = values[(page - 1) * size : page * size]
        more = page * size < len(values)
        nxt = f"{api.base}{path}?per_page={size}&page={page + 1}" if more else None
        prev = f"{api.base}{path}?per_page={size}&page={page - 1}" if page > 1 else None
        doc = {"count": len(chunk), "values": chunk, "next_url": nxt, "previous_url": prev}
        return 200, doc, {}

    api.routes[path] = [handler]


def test_kolada_v3_follows_next_url_to_the_end_and_drops_withdrawn_values(env, api):
    settings, _, run, _ = env
    codes = list(VASTERNORRLAND)
    values = [
        kolada_value(c, y, 1000.0 * (i + 1) + y)
        for i, c in enumerate(codes)
        for y in (2024, 2025, 2026)
    ]
    # Kolada withdrew Ånge's 2024 figure for women and the whole 2026 figure for Timrå
    values[0]["values"][1]["isdeleted"] = True
    for point in values[5]["values"]:
        point["isdeleted"] = True
    path = f"/v3d/data/kpi/N01951/municipality/{','.join(codes)}/year/2024,2025,2026"
    _kolada_pages(api, path, values, size=4)
    _kolada_source(api, Path(__import__("os").environ["MOGNAD_SOURCES_DIR"]), "/v3d", 4)
    result = run("kolada_population")
    assert result.ok, result.message
    assert result.pages == 6 and api.hits(path) >= 6  # 21 values, 4 a page: every page
    assert result.records == 20  # Timrå 2026 left with no current point: dropped whole
    landed = json.loads(
        next((settings.inbox / "2260" / "kolada").glob("*.json")).read_text(encoding="utf-8")
    )
    assert [p["gender"] for p in landed["values"][0]["values"]] == ["T", "M"]
    report = ingest(settings, progress=None)
    assert report.count("loaded") == 7
    df = raw(settings, "kolada")
    assert len(df) == 7 * 3 * 3 - 1 - 3
    timra = df[df.municipality_code.astype(str) == "2262"]
    assert sorted(set(timra.year)) == [2024, 2025]


def test_kolada_page_failing_mid_way_fails_the_pull_and_lands_nothing(env, api):
    settings, _, run, sleeps = env
    codes = list(VASTERNORRLAND)
    values = [kolada_value(c, 2025, 500.0 + i) for i, c in enumerate(codes)]
    path = f"/v3f/data/kpi/N01951/municipality/{','.join(codes)}/year/2024,2025,2026"
    _kolada_pages(api, path, values, size=2, fail_page=3)
    _kolada_source(api, Path(__import__("os").environ["MOGNAD_SOURCES_DIR"]), "/v3f", 2)
    result = run("kolada_population")
    assert not result.ok and result.files == []
    assert "page 3" in result.message and "nothing landed" in result.message
    assert not list(settings.inbox.rglob("*.json")) and not list(settings.inbox.rglob(".*tmp"))
    [rec] = Ledger(settings.ledger_path).pulls("kolada_population")
    assert not rec["ok"] and rec["pages"] == 0 and rec["files"] == "[]"


def test_kolada_paging_past_max_pages_is_a_clear_failure(env, api):
    settings, _, run, _ = env
    codes = list(VASTERNORRLAND)
    values = [kolada_value(c, 2025, 1.0) for c in codes]
    path = f"/v3m/data/kpi/N01951/municipality/{','.join(codes)}/year/2024,2025,2026"
    _kolada_pages(api, path, values, size=1)
    folder = Path(__import__("os").environ["MOGNAD_SOURCES_DIR"])
    _kolada_source(api, folder, "/v3m", 1)
    doc = yaml.safe_load((folder / "kolada_population.yaml").read_text())
    doc["max_pages"] = 3
    (folder / "kolada_population.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True))
    result = run("kolada_population")
    assert not result.ok and "more than 3 pages" in result.message
    assert not list(settings.inbox.rglob("*.json"))


def test_lrs_source_follows_more_relative_to_the_host(env, api):
    settings, source, run, _ = env
    real = ROOT / "tests" / "fixtures" / "real"
    page1 = json.loads((real / "lrs_statements_page1.json").read_text())
    page2 = json.loads((real / "lrs_statements_page2.json").read_text())
    seen_versions: list[str | None] = []

    def statements(url, headers):
        seen_versions.append(headers.get("X-Experience-API-Version"))
        return 200, (page2 if "more=" in url.query else page1), {}

    api.routes["/xapi/statements"] = [statements]
    source(
        id="2262_lrs",
        municipality_code="2262",
        url=f"{api.base}/xapi/statements?verb=http://adlnet.gov/expapi/verbs/completed",
        pagination="xapi",
    )
    result = run("2262_lrs")
    assert result.ok, result.message
    assert result.pages == 2 and result.records == 4
    assert seen_versions == ["1.0.3", "1.0.3"]
    report = ingest(settings, progress=None)
    assert report.count("loaded") == 1
    receipt = json.loads(
        next((settings.inbox / "2262" / "receipts").glob("*.loaded.json")).read_text()
    )
    assert receipt["rows_loaded"] == 2
    assert receipt["ignored_statements"] == {"experienced": 1, "launched": 1}
