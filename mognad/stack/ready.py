"""Is the demo ready? Every file the demo wrote was taken (a receipt each), the marts hold
rows for every municipality, and Superset shows them to the county through its own API."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from mognad.config import Settings
from mognad.stack import superset_access, superset_base
from mognad.stack import superset_local as ss

DEMO_FILES = "demo-files.json"  # in the state zone: what the demo wrote into the inboxes


FACT_MARTS = ("fct_maturity", "fct_response_rate", "fct_training_coverage")


MATURITY_CHART = "Mognadsindex per kommun och mätomgång"


# --- the ready check ----------------------------------------------------------------------------
def _backdate(inbox: Path, seconds: float) -> None:
    """Demo files count as dropped long ago, so the settle time does not hold them back."""
    past = time.time() - seconds - 5
    for path in inbox.rglob("*"):
        if path.is_file() and path.parent.name != "receipts":
            os.utime(path, (past, past))


def write_demo_files(settings: Settings, files: list[Path], seed: int, scale: float) -> Path:
    """Remember which files the demo wrote, so a later check (also after a restart) knows
    what had to be taken."""
    entries = [list(p.relative_to(settings.inbox).parts) for p in files]
    path = settings.state / DEMO_FILES
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps({"seed": seed, "scale": scale, "files": entries}, indent=1))
    os.replace(tmp, path)
    return path


def read_demo_files(settings: Settings) -> list[tuple[str, str, str]] | None:
    path = settings.state / DEMO_FILES
    if not path.exists():
        return None
    entries = json.loads(path.read_text())["files"]
    return [tuple(e) for e in entries if len(e) == 3]


def files_left(settings: Settings) -> list[str]:
    """Files still in an inbox folder (receipts aside), relative to the inbox."""
    from mognad.ingest.inbox import RECEIPTS, is_ignored

    inbox = settings.inbox
    if not inbox.is_dir():
        return []
    left = []
    for path in sorted(inbox.rglob("*")):
        rel = path.relative_to(inbox)
        if len(rel.parts) >= 2 and rel.parts[1] == RECEIPTS:
            continue
        if path.is_dir() and not path.is_symlink():
            continue
        if is_ignored(path.name):  # never taken by design (editor droppings, partial copies)
            continue
        left.append(rel.as_posix())
    return left


def _check_taken(settings: Settings, expected: list[tuple[str, str, str]] | None) -> list[str]:
    from mognad.ingest.receipts import display_name, short_name
    from mognad.state.ledger import Ledger

    problems = []
    left = files_left(settings)
    if left:
        problems.append(
            f"{len(left)} filer ligger kvar i inkorgarna / files left in the inboxes, "
            f"e.g. {', '.join(left[:3])}"
        )
    if not settings.ledger_path.exists():
        return [*problems, f"ingen ingest-logg / no ledger at {settings.ledger_path}"]
    ledger = Ledger(settings.ledger_path)
    try:
        attempts = ledger.all()
        pending = ledger.pending()
    finally:
        ledger.close()
    if pending:
        problems.append(
            f"{len(pending)} påbörjade inläsningar / unfinished ingest attempts, "
            f"e.g. {pending[0]['municipality_code']}/{pending[0]['feed']}/{pending[0]['file']}"
        )
    if expected is None:
        if not attempts:
            problems.append("ingen fil har lästs in / no file was ingested")
        return problems
    statuses: dict[tuple[str, str, str], set[str]] = {}
    for a in attempts:
        key = (a["municipality_code"], a["feed"], a["file"])
        statuses.setdefault(key, set()).add(a["status"])
    no_attempt, no_receipt = [], []
    for code, feed, name in expected:
        shown = display_name(name)
        found = statuses.get((code, feed, shown))
        if not found:
            no_attempt.append(f"{code}/{feed}/{name}")
            continue
        receipts = settings.inbox / code / "receipts"
        if not any((receipts / f"{short_name(shown)}.{s}.json").exists() for s in found):
            no_receipt.append(f"{code}/{feed}/{name}")
    if no_attempt:
        problems.append(
            f"{len(no_attempt)} av {len(expected)} demofiler saknas i ingest-loggen / "
            f"of the demo files have no ledger attempt, e.g. {', '.join(no_attempt[:3])}"
        )
    if no_receipt:
        problems.append(
            f"{len(no_receipt)} demofiler saknar kvitto / demo files have no receipt, "
            f"e.g. {', '.join(no_receipt[:3])}"
        )
    return problems


def mart_rows(settings: Settings, codes: set[str]) -> dict[str, dict[str, int]] | str:
    """Rows per demo municipality in each fact mart of the published warehouse, or why not."""
    import duckdb

    db = settings.published_db
    if not db.exists():
        return f"inget publicerat lager / no published warehouse at {db}"
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error as exc:
        return f"det publicerade lagret går inte att öppna / cannot open {db}: {exc}"
    out: dict[str, dict[str, int]] = {}
    try:
        for mart in FACT_MARTS:
            try:
                rows = con.execute(
                    f"SELECT municipality_code, count(*) FROM marts.{mart} "  # noqa: S608
                    "WHERE municipality_code IN (SELECT unnest(?)) GROUP BY 1",
                    [sorted(codes)],
                ).fetchall()
            except duckdb.Error as exc:
                return f"marts.{mart} går inte att läsa / cannot be read: {exc}"
            out[mart] = {code: n for code, n in rows}
    finally:
        con.close()
    return out


def _check_marts(settings: Settings, codes: set[str]) -> list[str]:
    found = mart_rows(settings, codes)
    if isinstance(found, str):
        return [found]
    problems = []
    for mart, per_code in found.items():
        missing = sorted(codes - set(per_code))
        if missing:
            problems.append(
                f"marts.{mart} saknar rader för / has no rows for {len(missing)} av/of "
                f"{len(codes)} kommuner/municipalities: {', '.join(missing)}"
            )
    return problems


def _superset_session(base_url: str, password: str):
    import requests

    session = requests.Session()
    session.headers["Referer"] = base_url
    r = session.post(
        f"{base_url}/api/v1/security/login",
        json={"username": ss.ADMIN_USER, "password": password, "provider": "db"},
        timeout=30,
    )
    r.raise_for_status()
    session.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
    csrf = session.get(f"{base_url}/api/v1/security/csrf_token/", timeout=30)
    if csrf.ok:
        session.headers["X-CSRFToken"] = csrf.json()["result"]
    return session


def _check_superset(settings: Settings, base_url: str, codes: set[str]) -> list[str]:
    import requests

    from mognad.secrets import read_secrets

    try:
        password = read_secrets(settings.secrets_file)["SUPERSET_ADMIN_PASSWORD"]
        session = _superset_session(base_url, password)
        q = json.dumps({"page_size": 100, "columns": ["id", "slug", "dashboard_title"]})
        r = session.get(f"{base_url}/api/v1/dashboard/", params={"q": q}, timeout=30)
        r.raise_for_status()
        slugs = {d.get("slug") for d in r.json()["result"]}
        missing = [s for s in superset_base.DASHBOARD_SLUGS if s not in slugs]
        if missing:
            return [f"Superset saknar instrumentpaneler / lacks dashboards: {', '.join(missing)}"]
        q = json.dumps(
            {
                "columns": ["id", "slice_name", "params", "datasource_id"],
                "filters": [{"col": "slice_name", "opr": "eq", "value": MATURITY_CHART}],
            }
        )
        r = session.get(f"{base_url}/api/v1/chart/", params={"q": q}, timeout=30)
        r.raise_for_status()
        charts = r.json()["result"]
        if not charts:
            return [f"Superset saknar diagrammet / lacks the chart '{MATURITY_CHART}'"]
        chart = charts[0]
        params = chart["params"]
        params = json.loads(params) if isinstance(params, str) else params
        body = {
            "datasource": {"id": chart["datasource_id"], "type": "table"},
            "queries": [superset_access.chart_data_query(params)],
            "result_format": "json",
            "result_type": "full",
        }
        r = session.post(f"{base_url}/api/v1/chart/data", json=body, timeout=120)
        if r.status_code != 200:
            return [
                f"diagramdata / chart data '{MATURITY_CHART}': HTTP {r.status_code} {r.text[:300]}"
            ]
        rows = r.json()["result"][0]["data"]
    except (requests.RequestException, KeyError, ValueError, ss.SupersetError) as exc:
        return [f"Superset svarar inte som väntat / does not answer as expected: {exc}"]
    names = {
        m["municipality_code"]: m["municipality_name"]
        for m in superset_access.municipalities(settings)
    }
    shown = {r.get("kommun") for r in rows}
    missing = sorted(names.get(c, c) for c in codes if names.get(c, c) not in shown)
    if not rows or missing:
        return [
            f"diagrammet / the chart '{MATURITY_CHART}' visar inga staplar för / shows no bars "
            f"for {', '.join(missing) or 'någon kommun / any municipality'}"
        ]
    return []


def check_ready(
    settings: Settings,
    superset_url: str | None = None,
    expected: list[tuple[str, str, str]] | None = None,
) -> list[str]:
    """What stands between the demo and "ready" (empty when ready), Swedish / English.

    Every demo file taken (nothing left in an inbox but receipts; a ledger attempt and a
    receipt for each), the published fact marts holding rows for each demo municipality,
    and, with ``superset_url``, Superset listing the dashboards and returning bars for the
    maturity chart to the admin. ``expected`` defaults to the list the demo wrote."""
    if expected is None:
        expected = read_demo_files(settings)
    problems = _check_taken(settings, expected)
    codes = {code for code, _, _ in expected or []}
    if not codes:
        from mognad.contract.reference import VASTERNORRLAND

        codes = set(VASTERNORRLAND)
    problems += _check_marts(settings, codes)
    if superset_url and not problems:  # Superset can only show what the marts hold
        problems += _check_superset(settings, superset_url, codes)
    return problems
