"""`mognad status`: deliveries per municipality and feed, open quarantine, last build/publish.

Reads only: the ingest ledger (SQLite, read-only), the inbox folders, the quarantine zone,
the published DuckDB file's modification time and the latest Great Expectations result in
`quality/`. Safe to run while ingest or a build is running.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

from mognad.config import FEEDS, Settings
from mognad.contract.reference import municipalities
from mognad.state.ledger import read_attempts


def _when(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    parsed = dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return parsed.astimezone(dt.UTC).replace(tzinfo=None) if parsed.tzinfo else parsed


def open_quarantine(settings: Settings, rows: list[dict] | None = None) -> list[dict]:
    """Quarantined attempts whose file is still in quarantine and that no later load of the
    same file name (municipality, feed) has superseded."""
    rows = read_attempts(settings.ledger_path) if rows is None else rows
    loaded_after: dict[tuple, str] = {}
    for r in rows:
        if r["status"] == "loaded":
            k = (r["municipality_code"], r["feed"], r["file"])
            loaded_after[k] = max(loaded_after.get(k, ""), r["received_at"])
    out = []
    for r in rows:
        if r["status"] != "quarantined":
            continue
        stored = r.get("stored_path")
        if not stored or not Path(stored).exists():
            continue
        if loaded_after.get((r["municipality_code"], r["feed"], r["file"]), "") > r["received_at"]:
            continue
        out.append(r)
    return out


def inbox_files(settings: Settings, now: float | None = None) -> list[dict]:
    """Every file waiting in an inbox (names that ingest never takes left out): where it
    is, how long since it last changed, whether it has settled, and whether it is stale —
    settled and still there `MOGNAD_STALE_INBOX_MINUTES` after its last change, which
    means ingest is not taking it (not running, or failing). Oldest first."""
    from mognad.ingest.inbox import candidates, is_ignored
    from mognad.ingest.receipts import display_name

    now = time.time() if now is None else now
    stale_after = max(settings.settle_seconds, settings.stale_inbox_minutes * 60)
    out = []
    for code, feed, path in candidates(settings):
        if is_ignored(path.name):
            continue
        try:
            modified = path.lstat().st_mtime
        except OSError:
            continue
        age = max(0.0, now - modified)
        folder_code = path.parent.parent.name if feed != "_okänd" else path.parent.name
        out.append(
            {
                "municipality_code": display_name(code if code != "_okänd" else folder_code),
                "feed": display_name(feed if feed != "_okänd" else path.parent.name),
                "file": display_name(path.name),
                "modified_at": _iso(dt.datetime.fromtimestamp(modified, dt.UTC)),
                "waiting_minutes": round(age / 60, 1),
                "settled": age >= settings.settle_seconds,
                "stale": age >= stale_after,
            }
        )
    return sorted(out, key=lambda f: -f["waiting_minutes"])


def stale_files(settings: Settings, now: float | None = None) -> list[dict]:
    return [f for f in inbox_files(settings, now) if f["stale"]]


def stale_summary(stale: list[dict], minutes: float) -> str:
    """One line naming the stale files (at most ten), Swedish first."""
    names = ", ".join(f"{f['municipality_code']}/{f['feed']}/{f['file']}" for f in stale[:10])
    more = f" (+{len(stale) - 10})" if len(stale) > 10 else ""
    return (
        f"{len(stale)} filer har legat i inkorgen längre än {minutes:g} min utan att tas / "
        f"{len(stale)} files waiting in the inbox longer than {minutes:g} min: {names}{more}"
    )


def _latest_quality(settings: Settings, prefix: str = "marts-") -> dict | None:
    """The newest Great Expectations result in quality/: `marts-*.json` (the build's
    validation of the marts) or `raw-*.json` (the raw-batch gate before dbt)."""
    folder = settings.quality_dir
    results = sorted(folder.glob(f"{prefix}*.json")) if folder.is_dir() else []
    if not results:
        return None
    latest = max(results, key=lambda p: p.stat().st_mtime)
    try:
        data = json.loads(latest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {}
    return {
        "file": str(latest),
        "success": data.get("success"),
        "validated_at": data.get("validated_at"),
        "modified_at": _iso(dt.datetime.fromtimestamp(latest.stat().st_mtime, dt.UTC)),
    }


def _iso(t: dt.datetime | None) -> str | None:
    if t is None:
        return None
    return t.astimezone(dt.UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def collect(settings: Settings, now: dt.datetime | None = None) -> dict:
    """Everything `mognad status` shows, as JSON-ready data."""
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    rows = read_attempts(settings.ledger_path)
    names = municipalities()
    quarantined = open_quarantine(settings, rows)
    feeds: dict[tuple[str, str], dict] = {}

    def entry(code: str, feed: str) -> dict:
        return feeds.setdefault(
            (code, feed),
            {
                "municipality_code": code,
                "municipality_name": names[code].name if code in names else None,
                "feed": feed,
                "last_file": None,
                "last_status": None,
                "last_received_at": None,
                "last_loaded_at": None,
                "days_since_last_load": None,
                "files_loaded": 0,
                "files_duplicate": 0,
                "files_quarantined": 0,
                "open_quarantine": 0,
                "waiting_in_inbox": 0,
                "stale_in_inbox": 0,
            },
        )

    # Municipalities set up for delivery (an inbox folder), even before their first file.
    if settings.inbox.is_dir():
        for code_dir in sorted(settings.inbox.iterdir()):
            if code_dir.is_dir() and code_dir.name in names:
                for feed in FEEDS:
                    if (code_dir / feed).is_dir():
                        entry(code_dir.name, feed)
    waiting = inbox_files(settings, now.replace(tzinfo=dt.UTC).timestamp())
    for f in waiting:
        if f["municipality_code"] in names and f["feed"] in FEEDS:
            e = entry(f["municipality_code"], f["feed"])
            e["waiting_in_inbox"] += 1
            e["stale_in_inbox"] += int(f["stale"])
    for r in rows:
        e = entry(r["municipality_code"], r["feed"])
        e["last_file"], e["last_status"] = r["file"], r["status"]
        e["last_received_at"] = _iso(_when(r["received_at"]))
        e[f"files_{r['status']}"] = e.get(f"files_{r['status']}", 0) + 1
        if r["status"] == "loaded":
            loaded = _when(r["received_at"])
            e["last_loaded_at"] = _iso(loaded)
            e["days_since_last_load"] = (now - loaded).days if loaded else None
    for r in quarantined:
        entry(r["municipality_code"], r["feed"])["open_quarantine"] += 1

    published = settings.published_db
    publish = None
    if published.exists():
        publish = {
            "file": str(published),
            "published_at": _iso(dt.datetime.fromtimestamp(published.stat().st_mtime, dt.UTC)),
            "size_bytes": published.stat().st_size,
        }
    return {
        "home": str(settings.home),
        "generated_at": _iso(now),
        "feeds": [feeds[k] for k in sorted(feeds)],
        "open_quarantine": [
            {
                "municipality_code": r["municipality_code"],
                "feed": r["feed"],
                "file": r["file"],
                "received_at": _iso(_when(r["received_at"])),
                "reason": r.get("reason"),
                "stored_path": r["stored_path"],
            }
            for r in quarantined
        ],
        "stale_inbox_minutes": settings.stale_inbox_minutes,
        "stale_inbox": [f for f in waiting if f["stale"]],
        "last_publish": publish,
        "last_validation": _latest_quality(settings, "marts-"),
        "last_raw_gate": _latest_quality(settings, "raw-"),
    }


def render_table(status: dict) -> str:
    headers = ["kommun", "namn", "flöde", "senaste fil", "status", "inläst (UTC)", "dagar",
               "karantän", "i inkorg"]  # fmt: skip
    table = []
    for e in status["feeds"]:
        table.append(
            [
                e["municipality_code"],
                e["municipality_name"] or "?",
                e["feed"],
                e["last_file"] or "– ingen leverans / no delivery",
                e["last_status"] or "",
                (e["last_loaded_at"] or "")[:16].replace("T", " "),
                "" if e["days_since_last_load"] is None else str(e["days_since_last_load"]),
                str(e["open_quarantine"]),
                str(e["waiting_in_inbox"])
                + (f" ({e['stale_in_inbox']} larm/alarm)" if e.get("stale_in_inbox") else ""),
            ]
        )
    widths = [max(len(h), *(len(r[i]) for r in table)) if table else len(h)
              for i, h in enumerate(headers)]  # fmt: skip
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in table]
    if not table:
        lines.append("(inga leveranser ännu / no deliveries yet)")
    lines.append("")
    stale = status.get("stale_inbox") or []
    if stale:
        lines.append("LARM / ALARM: " + stale_summary(stale, status["stale_inbox_minutes"]))
        for f in stale:
            lines.append(
                f"  {f['municipality_code']}/{f['feed']}  {f['file']}  "
                f"väntat/waiting {f['waiting_minutes']:g} min"
            )
    q = status["open_quarantine"]
    lines.append(f"Öppna karantänfiler / open quarantine items: {len(q)}")
    for r in q:
        lines.append(
            f"  {r['municipality_code']}/{r['feed']}  {r['file']}  [{r['reason']}]  "
            f"{r['stored_path']}"
        )
    pub = status["last_publish"]
    lines.append(
        "Senast publicerad / last published: "
        + (f"{pub['published_at']}  {pub['file']}" if pub else "aldrig / never")
    )
    val = status["last_validation"]
    if val:
        ok = {True: "godkänd / passed", False: "underkänd / FAILED"}.get(val["success"], "?")
        lines.append(f"Senaste kvalitetskontroll / last validation: {ok}  {val['file']}")
    else:
        lines.append("Senaste kvalitetskontroll / last validation: ingen / none")
    gate = status.get("last_raw_gate")
    if gate:
        ok = {True: "godkänd / passed", False: "underkänd / FAILED"}.get(gate["success"], "?")
        lines.append(f"Senaste rådatakontroll / last raw-batch gate: {ok}  {gate['file']}")
    return "\n".join(lines) + "\n"
