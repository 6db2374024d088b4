"""The ingest ledger: every attempt, keyed by content hash (SQLite, transactional)."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS attempts (
    attempt_id TEXT PRIMARY KEY,
    municipality_code TEXT NOT NULL,
    feed TEXT NOT NULL,
    file TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    status TEXT NOT NULL,
    rows_read INTEGER NOT NULL,
    rows_loaded INTEGER NOT NULL,
    rows_rejected INTEGER NOT NULL,
    received_at TEXT NOT NULL,
    load_id TEXT,
    reason TEXT,
    stored_path TEXT
);
CREATE INDEX IF NOT EXISTS attempts_sha ON attempts (sha256, status);
"""

COLUMNS = (
    "attempt_id",
    "municipality_code",
    "feed",
    "file",
    "sha256",
    "status",
    "rows_read",
    "rows_loaded",
    "rows_rejected",
    "received_at",
    "load_id",
    "reason",
    "stored_path",
)


@dataclass
class Attempt:
    attempt_id: str
    municipality_code: str
    feed: str
    file: str
    sha256: str
    status: str
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    received_at: str
    load_id: str | None = None
    reason: str | None = None
    stored_path: str | None = None


class Ledger:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        with closing(self._connect()) as con, con:
            con.executescript(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=30)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=FULL")
        return con

    def loaded_load_id(self, municipality_code: str, feed: str, sha256: str) -> str | None:
        """The load that already holds these bytes for this municipality and feed, if any."""
        with closing(self._connect()) as con:
            row = con.execute(
                "SELECT load_id FROM attempts WHERE sha256 = ? AND municipality_code = ? "
                "AND feed = ? AND status = 'loaded' LIMIT 1",
                (sha256, municipality_code, feed),
            ).fetchone()
        return row[0] if row else None

    def known_names(self, municipality_code: str, feed: str, file: str) -> list[str]:
        with closing(self._connect()) as con:
            rows = con.execute(
                "SELECT sha256 FROM attempts WHERE municipality_code = ? AND feed = ? "
                "AND file = ? AND status = 'loaded'",
                (municipality_code, feed, file),
            ).fetchall()
        return [r[0] for r in rows]

    def record(self, attempt: Attempt) -> None:
        with closing(self._connect()) as con, con:
            con.execute(
                f"INSERT OR REPLACE INTO attempts ({', '.join(COLUMNS)}) "
                f"VALUES ({', '.join('?' for _ in COLUMNS)})",
                tuple(getattr(attempt, c) for c in COLUMNS),
            )

    def all(self) -> list[dict]:
        with closing(self._connect()) as con:
            con.row_factory = sqlite3.Row
            return [dict(r) for r in con.execute("SELECT * FROM attempts ORDER BY received_at")]
