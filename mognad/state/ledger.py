"""The ingest ledger: every attempt, keyed by content hash (SQLite, transactional)."""

from __future__ import annotations

import sqlite3
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
CREATE INDEX IF NOT EXISTS attempts_name ON attempts (municipality_code, feed, file);
CREATE TABLE IF NOT EXISTS pending (
    attempt_id TEXT PRIMARY KEY,
    municipality_code TEXT NOT NULL,
    feed TEXT NOT NULL,
    file TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS pulls (
    pull_id TEXT PRIMARY KEY,
    source_id TEXT NOT NULL,
    municipality_code TEXT NOT NULL,
    feed TEXT NOT NULL,
    url TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    ok INTEGER NOT NULL,
    http_status INTEGER,
    requests INTEGER NOT NULL,
    pages INTEGER NOT NULL,
    records INTEGER NOT NULL,
    files TEXT NOT NULL,
    message TEXT NOT NULL
);
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


@dataclass
class PullRecord:
    """One HTTP pull attempt (see :mod:`mognad.pull.run`); ``files`` is a JSON list of paths."""

    pull_id: str
    source_id: str
    municipality_code: str
    feed: str
    url: str
    started_at: str
    finished_at: str
    ok: bool
    http_status: int | None
    requests: int
    pages: int
    records: int
    files: str
    message: str


PULL_COLUMNS = tuple(PullRecord.__dataclass_fields__)


class Ledger:
    """One SQLite connection per Ledger (opened on first use; WAL, synchronous=FULL).

    Every write is its own committed transaction, so a crash loses no recorded attempt.
    """

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._con: sqlite3.Connection | None = None
        with self._connect() as con:
            con.executescript(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        if self._con is None:
            con = sqlite3.connect(self.path, timeout=30)
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=FULL")
            self._con = con
        return self._con

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _query(self, sql: str, args: tuple = (), rows: bool = False) -> list:
        con = self._connect()
        con.row_factory = sqlite3.Row if rows else None
        try:
            result = con.execute(sql, args).fetchall()
        finally:
            con.row_factory = None
        return [dict(r) for r in result] if rows else result

    def loaded_load_id(
        self, municipality_code: str, feed: str, sha256: str, besides: str = ""
    ) -> str | None:
        """The load that already holds these bytes for this municipality and feed, if any
        (other than attempt ``besides``: an interrupted attempt being finished)."""
        found = self._query(
            "SELECT load_id FROM attempts WHERE sha256 = ? AND municipality_code = ? "
            "AND feed = ? AND status = 'loaded' AND attempt_id != ? LIMIT 1",
            (sha256, municipality_code, feed, besides),
        )
        return found[0][0] if found else None

    def known_names(
        self, municipality_code: str, feed: str, file: str, besides: str = ""
    ) -> list[str]:
        found = self._query(
            "SELECT sha256 FROM attempts WHERE municipality_code = ? AND feed = ? "
            "AND file = ? AND status = 'loaded' AND attempt_id != ?",
            (municipality_code, feed, file, besides),
        )
        return [r[0] for r in found]

    # --- attempts in progress (write-ahead): a crash between the steps of one file is
    # finished by the next run under the same attempt id, never taken as a new delivery.
    def pending_attempt(
        self, municipality_code: str, feed: str, file: str, sha256: str
    ) -> tuple[str, str] | None:
        found = self._query(
            "SELECT attempt_id, received_at FROM pending WHERE municipality_code = ? "
            "AND feed = ? AND file = ? AND sha256 = ? ORDER BY attempt_id LIMIT 1",
            (municipality_code, feed, file, sha256),
        )
        return (found[0][0], found[0][1]) if found else None

    def begin(
        self,
        attempt_id: str,
        municipality_code: str,
        feed: str,
        file: str,
        sha256: str,
        received_at: str,
    ) -> None:
        with self._connect() as con:
            con.execute(
                "INSERT OR REPLACE INTO pending VALUES (?, ?, ?, ?, ?, ?)",
                (attempt_id, municipality_code, feed, file, sha256, received_at),
            )

    def finish(self, attempt_id: str) -> None:
        self.finish_many([attempt_id])

    def finish_many(self, attempt_ids: list[str]) -> None:
        with self._connect() as con:
            con.executemany("DELETE FROM pending WHERE attempt_id = ?", [(a,) for a in attempt_ids])

    def synchronous(self, full: bool) -> None:
        """FULL: every commit is on disk. NORMAL (under a batch, see
        :mod:`mognad.ingest.durable`): a commit survives the process; the batch's filesystem
        sync makes it durable before any delivered file leaves the inbox."""
        self._connect().execute(f"PRAGMA synchronous={'FULL' if full else 'NORMAL'}")

    def pending(self) -> list[dict]:
        return self._query("SELECT * FROM pending ORDER BY attempt_id", rows=True)

    def record(self, attempt: Attempt) -> None:
        with self._connect() as con:
            con.execute(
                f"INSERT OR REPLACE INTO attempts ({', '.join(COLUMNS)}) "
                f"VALUES ({', '.join('?' for _ in COLUMNS)})",
                tuple(getattr(attempt, c) for c in COLUMNS),
            )

    def record_pull(self, pull: PullRecord) -> None:
        with self._connect() as con:
            con.execute(
                f"INSERT OR REPLACE INTO pulls ({', '.join(PULL_COLUMNS)}) "
                f"VALUES ({', '.join('?' for _ in PULL_COLUMNS)})",
                tuple(getattr(pull, c) for c in PULL_COLUMNS),
            )

    def pulls(self, source_id: str | None = None) -> list[dict]:
        sql = "SELECT * FROM pulls"
        args: tuple = ()
        if source_id:
            sql += " WHERE source_id = ?"
            args = (source_id,)
        return self._query(sql + " ORDER BY started_at", args, rows=True)

    def all(self) -> list[dict]:
        return self._query("SELECT * FROM attempts ORDER BY received_at", rows=True)


# --- read-only views and the raw-batch gate's verdicts ------------------------------------
# Builds, status and the operator commands read the ledger without taking the ingest's write
# connection: a read-only URI never creates the file or waits on the WAL writer's schema.


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def read_attempts(path: Path) -> list[dict]:
    """Every attempt as a dict, oldest first; [] when the ledger or its table is missing."""
    if not path.exists():
        return []
    con = _read_only(path)
    con.row_factory = sqlite3.Row
    try:
        present = {r[1] for r in con.execute("pragma table_info(attempts)")}
        if not present:
            return []
        return [dict(r) for r in con.execute("select * from attempts order by received_at")]
    finally:
        con.close()


def read_attempt_columns(path: Path, columns) -> list[tuple]:
    """Every attempt as a tuple of ``columns`` (NULL for a column an older ledger lacks)."""
    if not path.exists():
        return []
    con = _read_only(path)
    try:
        present = {r[1] for r in con.execute("pragma table_info(attempts)")}
        if not present:
            return []
        select = ", ".join(c if c in present else "null" for c in columns)
        return con.execute(f"select {select} from attempts").fetchall()
    finally:
        con.close()


def attempt_rows_in_order(path: Path) -> list[tuple]:
    """Every attempt row in the table's key order (what a build's input state hashes)."""
    if not path.exists():
        return []
    con = _read_only(path)
    try:
        if not con.execute(
            "select 1 from sqlite_master where type = 'table' and name = 'attempts'"
        ).fetchone():
            return []
        return con.execute("select * from attempts order by 1").fetchall()
    finally:
        con.close()


BATCH_CHECKS_SCHEMA = """
CREATE TABLE IF NOT EXISTS batch_checks (
    load_id TEXT PRIMARY KEY,
    municipality_code TEXT,
    feed TEXT,
    file TEXT,
    checked_at TEXT NOT NULL,
    success INTEGER NOT NULL,
    failed_expectations TEXT
)
"""


def _batch_checks(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path, timeout=30)
    con.execute(BATCH_CHECKS_SCHEMA)
    return con


def checked_load_ids(path: Path) -> set[str]:
    """The loads the raw-batch gate has already judged."""
    con = _batch_checks(path)
    try:
        return {r[0] for r in con.execute("select load_id from batch_checks")}
    finally:
        con.close()


def loaded_files_by_load(path: Path) -> dict[str, tuple[str, str]]:
    """load_id → (file, municipality code) of every loaded attempt."""
    con = _batch_checks(path)
    try:
        present = {r[1] for r in con.execute("pragma table_info(attempts)")}
        if not {"load_id", "file", "municipality_code"} <= present:
            return {}
        rows = con.execute(
            "select load_id, file, municipality_code from attempts "
            "where load_id is not null and status = 'loaded'"
        ).fetchall()
    finally:
        con.close()
    return {load_id: (file, kod) for load_id, file, kod in rows}


def record_batch_checks(path: Path, rows: list[tuple]) -> None:
    """Record verdicts (load_id, municipality, feed, file, checked_at, success, failures) in
    one transaction; a load judged again keeps the newer verdict."""
    con = _batch_checks(path)
    try:
        with con:
            con.executemany(
                "insert or replace into batch_checks values (?, ?, ?, ?, ?, ?, ?)", rows
            )
    finally:
        con.close()


def read_batch_checks(path: Path, columns) -> list[tuple]:
    con = _batch_checks(path)
    try:
        return con.execute(f"select {', '.join(columns)} from batch_checks").fetchall()
    finally:
        con.close()
