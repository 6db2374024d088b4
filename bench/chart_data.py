"""Chart data latency per dashboard: ``/api/v1/chart/data`` beside the same SQL in DuckDB.

For every chart of the six dashboards, asks Superset for the chart's data ``--repeat`` times
(p50/p95 of the HTTP round trip), asks Superset once for the SQL it runs
(``result_type: query``), and runs that SQL directly in DuckDB on the published warehouse
(read-only) as many times. Prints one line per dashboard and, with ``-v``, per chart.

    .venv/pipeline/bin/python bench/chart_data.py --warehouse /path/to/mognad.duckdb
    MOGNAD_BENCH_SUPERSET_PASSWORD=... .venv/pipeline/bin/python bench/chart_data.py \
        --url http://127.0.0.1:8088 --user lan --warehouse $MOGNAD_HOME/warehouse/mognad.duckdb

Without ``--url`` it sets up a throwaway Superset (tmp home, free port) on the warehouse; with
``--url`` it uses a running one (the password from ``--password`` or the environment variable
MOGNAD_BENCH_SUPERSET_PASSWORD), and ``--warehouse`` must be the file that Superset reads.
``--json OUT`` writes the per-dashboard figures.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mognad.config import Settings  # noqa: E402
from mognad.secrets import ensure_secrets, read_secrets  # noqa: E402
from mognad.stack import (
    superset_access,  # noqa: E402
    superset_base,  # noqa: E402
)
from mognad.stack import superset_local as ss  # noqa: E402


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def login(base: str, user: str, password: str) -> requests.Session:
    s = requests.Session()
    r = s.post(
        f"{base}/api/v1/security/login",
        json={"username": user, "password": password, "provider": "db"},
        timeout=30,
    )
    r.raise_for_status()
    s.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
    return s


def bench(
    base: str, session: requests.Session, warehouse: Path, repeat: int, verbose: bool
) -> dict:
    con = duckdb.connect(
        str(warehouse),
        read_only=True,
        config={"enable_external_access": False, "lock_configuration": True},
    )
    rows_out = []
    for slug in superset_base.DASHBOARD_SLUGS:
        charts = session.get(f"{base}/api/v1/dashboard/{slug}/charts", timeout=30).json()
        api_ms: list[float] = []
        db_ms: list[float] = []
        per_chart = []
        for chart in charts["result"]:
            params = chart["form_data"]
            ds_id = int(str(params["datasource"]).split("__")[0])
            body = {
                "datasource": {"id": ds_id, "type": "table"},
                "queries": [superset_access.chart_data_query(params)],
                "result_format": "json",
                "force": True,  # no cache: measure the query, not the cache
            }
            sql = session.post(
                f"{base}/api/v1/chart/data", json={**body, "result_type": "query"}, timeout=60
            ).json()["result"][0]["query"]
            a, d = [], []
            for _ in range(repeat):
                t0 = time.perf_counter()
                r = session.post(
                    f"{base}/api/v1/chart/data", json={**body, "result_type": "full"}, timeout=60
                )
                a.append((time.perf_counter() - t0) * 1000)
                r.raise_for_status()
                t0 = time.perf_counter()
                con.execute(sql).fetchall()
                d.append((time.perf_counter() - t0) * 1000)
            api_ms += a
            db_ms += d
            per_chart.append((chart["slice_name"], pct(a, 0.5), pct(a, 0.95), pct(d, 0.5)))
        rows_out.append((slug, len(charts["result"]), api_ms, db_ms, per_chart))
    con.close()

    print(f"\nchart data latency, {repeat} requests per chart, no cache (ms)")
    print(
        f"{'dashboard':<20}{'charts':>7}{'API p50':>10}{'API p95':>10}"
        f"{'DuckDB p50':>12}{'DuckDB p95':>12}"
    )
    for slug, n, a, d, per_chart in rows_out:
        print(
            f"{slug:<20}{n:>7}{pct(a, 0.5):>10.0f}{pct(a, 0.95):>10.0f}"
            f"{pct(d, 0.5):>12.1f}{pct(d, 0.95):>12.1f}"
        )
        if verbose:
            for name, p50, p95, dp50 in per_chart:
                print(f"    {name[:52]:<54}{p50:>8.0f}{p95:>8.0f}{dp50:>10.1f}")
    all_a = [x for r in rows_out for x in r[2]]
    all_d = [x for r in rows_out for x in r[3]]
    print(
        f"{'all':<20}{sum(r[1] for r in rows_out):>7}{pct(all_a, 0.5):>10.0f}"
        f"{pct(all_a, 0.95):>10.0f}{pct(all_d, 0.5):>12.1f}{pct(all_d, 0.95):>12.1f}"
    )
    print(
        f"mean API overhead over DuckDB: {statistics.mean(all_a) - statistics.mean(all_d):.0f} ms"
    )

    def summary(n: int, a: list[float], d: list[float]) -> dict:
        return {
            "charts": n,
            "api_p50_ms": round(pct(a, 0.5), 1),
            "api_p95_ms": round(pct(a, 0.95), 1),
            "duckdb_p50_ms": round(pct(d, 0.5), 2),
            "duckdb_p95_ms": round(pct(d, 0.95), 2),
        }

    return {
        "scenario": "chart_data",
        "repeat": repeat,
        "dashboards": {slug: summary(n, a, d) for slug, n, a, d, _ in rows_out},
        "all": summary(sum(r[1] for r in rows_out), all_a, all_d),
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--warehouse", type=Path, required=True, help="published mognad.duckdb")
    p.add_argument("--url", help="a running Superset (default: start a throwaway one)")
    p.add_argument("--user", default="lan")
    p.add_argument(
        "--password",
        default=os.environ.get("MOGNAD_BENCH_SUPERSET_PASSWORD"),
        help="with --url (default: $MOGNAD_BENCH_SUPERSET_PASSWORD); without --url, from the "
        "throwaway Superset's secrets",
    )
    p.add_argument("--repeat", type=int, default=20)
    p.add_argument("--json", type=Path, help="write the per-dashboard figures here")
    p.add_argument("-v", "--verbose", action="store_true")
    args = p.parse_args()

    def write(result: dict) -> None:
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(result, indent=1))

    if args.url:
        if not args.password:
            p.error("--url needs --password or MOGNAD_BENCH_SUPERSET_PASSWORD")
        session = login(args.url, args.user, args.password)
        write(bench(args.url, session, args.warehouse, args.repeat, args.verbose))
        return 0
    with tempfile.TemporaryDirectory(prefix="mognad-bench-") as tmp:
        home = Path(tmp)
        (home / "warehouse").mkdir()
        (home / "warehouse" / "mognad.duckdb").symlink_to(args.warehouse.resolve())
        settings = dataclasses.replace(
            Settings(home=home), secrets_file=home / ".secrets" / "mognad.env"
        )
        ensure_secrets(settings.secrets_file)
        ss.setup(settings, progress=lambda m: None)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        base = f"http://127.0.0.1:{port}"
        proc = ss.start(settings, port=port)
        try:
            ss.wait_healthy(base, proc=proc)
            secrets = read_secrets(settings.secrets_file)
            password = secrets[
                "SUPERSET_DEMO_PASSWORD" if args.user != "admin" else "SUPERSET_ADMIN_PASSWORD"
            ]
            session = login(base, args.user, password)
            write(bench(base, session, args.warehouse, args.repeat, args.verbose))
        finally:
            ss.stop(proc)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
