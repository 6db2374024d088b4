"""Helpers for the fault suite: deliveries, subprocess runs, and snapshots of what the
platform wrote (ledger, raw zone, marts) with ids and timestamps left out."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import duckdb

from mognad.contract.personnummer import build as build_pnr
from mognad.contract.personnummer import format_as

REPO = Path(__file__).resolve().parents[2]
CODES = ("2260", "2262", "2280", "2281", "2282", "2283", "2284")
ITEMS = [f"F{i:02d}" for i in range(1, 16)] + [f"A{i:02d}" for i in range(1, 16)]


def survey_csv(rows: int, prefix: str = "r", year: int = 2024, first_cell: str | None = None):
    header = ["Svars_id", "Inskickad", "Målgrupp", "Kön", "Förvaltning", *ITEMS]
    lines = [";".join(header)]
    for i in range(rows):
        answers = [str(1 + (i + j) % 6) for j in range(30)]
        dept = first_cell if first_cell is not None and i == 0 else "Kommunledning"
        lines.append(
            ";".join([f"{prefix}{i}", f"{year}-03-05", "medarbetare", "kvinna", dept, *answers])
        )
    return "\n".join(lines) + "\n"


def people(n: int, seed: int = 0) -> list[str]:
    """n distinct valid 12-digit personnummer (some samordningsnummer), born 1930-1999 so
    every written form (also the 10-digit one without separator) means the same person."""
    out = []
    for i in range(n):
        born = dt.date(1930 + (i * 7 + seed) % 70, 1 + i % 12, 1 + (i * 3) % 28)
        out.append(build_pnr(born, 100 + (i * 13 + seed) % 800, samordning=(i % 9 == 4)))
    return out


FORMS = ("long", "long-", "short-", "short")


def written_forms(p: str) -> set[str]:
    forms = {format_as(p, f) for f in FORMS}
    forms.add(f"{p[2:8]}+{p[8:]}")
    return forms


def training_csv(persons: list[str], course: str = "DIG101") -> str:
    lines = ["Personnummer;Kurskod;Kursnamn;Slutförd;Status;Timmar"]
    for i, p in enumerate(persons):
        pnr = format_as(p, FORMS[i % len(FORMS)])
        lines.append(f"{pnr};{course};Digital grund;2024-0{1 + i % 9}-15;completed;1,5")
    return "\n".join(lines) + "\n"


def hr_csv(persons: list[str]) -> str:
    lines = ["Personnummer;Datum;Förvaltning;Målgrupp;Kön;Aid-kod;Sysselsättningsgrad"]
    for i, p in enumerate(persons):
        pnr = format_as(p, FORMS[(i + 1) % len(FORMS)])
        tg = "chef" if i % 10 == 0 else "medarbetare"
        lines.append(
            f"{pnr};2024-12-31;Socialförvaltningen;{tg};{'K' if i % 2 else 'M'};012345;100"
        )
    return "\n".join(lines) + "\n"


def cli_env(settings, **extra) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("MOGNAD_PSEUDONYM_KEY", None)
    env.update(
        MOGNAD_HOME=str(settings.home),
        MOGNAD_SECRETS_FILE=str(settings.secrets_file),
        MOGNAD_SETTLE_SECONDS="0",
        PYTHONPATH=str(REPO),
    )
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run_cli(settings, *args, timeout: float = 300, **extra) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mognad.cli", *args],
        cwd=REPO,
        env=cli_env(settings, **extra),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def receipts(settings) -> list[dict]:
    out = []
    for path in sorted(settings.inbox.glob("*/receipts/*.json")):
        out.append(json.loads(path.read_text(encoding="utf-8")))
    return out


def inbox_files(settings) -> list[Path]:
    return sorted(
        p
        for p in settings.inbox.rglob("*")
        if (p.is_file() or p.is_symlink()) and "receipts" not in p.parts
    )


IDS = {"attempt_id", "received_at", "load_id", "stored_path"}


def ledger_snapshot(settings) -> list[tuple]:
    """The ledger's attempts without ids and timestamps, sorted."""
    con = sqlite3.connect(settings.ledger_path)
    try:
        con.row_factory = sqlite3.Row
        rows = [dict(r) for r in con.execute("select * from attempts")]
    finally:
        con.close()
    return sorted(tuple(sorted((k, v) for k, v in r.items() if k not in IDS)) for r in rows)


def pending(settings) -> list:
    con = sqlite3.connect(settings.ledger_path)
    try:
        return con.execute("select * from pending").fetchall()
    finally:
        con.close()


RAW_IDS = ("load_id", "received_at")


def raw_snapshot(settings) -> dict[str, list[tuple]]:
    """Every raw-zone row per feed without load ids and timestamps, sorted; plus the number
    of loads per feed."""
    out = {}
    con = duckdb.connect()
    try:
        for feed_dir in sorted(settings.raw.glob("feed=*")):
            files = sorted(str(p) for p in feed_dir.glob("*/*/data.parquet"))
            if not files:
                continue
            cols = [
                r[0]
                for r in con.execute(
                    "describe select * from read_parquet(?, union_by_name=true)", [files]
                ).fetchall()
                if r[0] not in RAW_IDS
            ]
            rows = con.execute(
                f"select {', '.join(cols)} from read_parquet(?, union_by_name=true)", [files]
            ).fetchall()
            out[feed_dir.name] = sorted(map(repr, rows))
            out[feed_dir.name + ":loads"] = len(files)
    finally:
        con.close()
    return out


MART_IDS = {
    "load_id",
    "received_at",
    "last_received_at",
    "checked_at",
    "attempt_id",
    "days_since_last_delivery",
}


def mart_snapshot(db: Path) -> dict[str, list]:
    """Every published mart's rows (ids and timestamps left out), sorted."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'marts'"
            ).fetchall()
        ]
        out = {}
        for t in sorted(tables):
            cols = [
                r[0]
                for r in con.execute(f'describe marts."{t}"').fetchall()
                if r[0] not in MART_IDS
            ]
            rows = con.execute(
                f'select {", ".join(chr(34) + c + chr(34) for c in cols)} from marts."{t}"'
            ).fetchall()
            out[t] = sorted(map(repr, rows))
        return out
    finally:
        con.close()
