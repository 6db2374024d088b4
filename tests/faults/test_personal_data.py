"""Personal data: after a real ingest and build, no personnummer (in any written form) and
no unkeyed hash of one is anywhere outside the inbox, archive and quarantine; the pseudonym
key is nowhere but the secrets file."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import duckdb

from tests.faults.helpers import written_forms

DIGITS = re.compile(rb"\d{10,}|\d{6,8}[-+]\d{4}")
HEX = re.compile(rb"[0-9a-fA-F]{32,}")


def _texts(path: Path) -> list[bytes]:
    """The file's bytes, plus every value in it as text when it is Parquet or DuckDB
    (compressed pages would hide a value from a byte scan)."""
    data = path.read_bytes()
    out = [data]
    try:
        if data[:4] == b"PAR1":
            con = duckdb.connect()
            rows = con.execute("select * from read_parquet(?)", [str(path)]).fetchall()
            out.append(repr(rows).encode())
        elif data[8:12] == b"DUCK":
            con = duckdb.connect(str(path), read_only=True)
            tables = con.execute(
                "select database_name, schema_name, table_name from duckdb_tables()"
            ).fetchall()
            for d, s, t in tables:
                rows = con.execute(f'select * from "{d}"."{s}"."{t}"').fetchall()
                out.append(repr(rows).encode())
            con.close()
    except duckdb.Error as exc:  # pragma: no cover - a file we cannot open is a finding
        raise AssertionError(f"{path}: cannot be scanned: {exc}") from exc
    return out


def _needles(persons: list[str]) -> tuple[set[bytes], set[bytes]]:
    digits, hexes = set(), set()
    for p in persons:
        for form in written_forms(p):
            digits.add(form.encode())
            for algo in (hashlib.sha256, hashlib.md5, hashlib.sha1):
                hexes.add(algo(form.encode()).hexdigest().encode())
    return digits, hexes


def _scan(paths, persons) -> list[tuple[str, str]]:
    digits, hexes = _needles(persons)
    found = []
    for path in paths:
        for text in _texts(path):
            for m in DIGITS.findall(text):
                run = m
                if run in digits or any(
                    run[i : i + n] in digits
                    for n in (10, 12)
                    for i in range(0, max(0, len(run) - n) + 1)
                ):
                    found.append((str(path), "personnummer"))
            for m in HEX.findall(text):
                low = m.lower()
                if any(
                    low[i : i + n] in hexes for n in (32, 40, 64) for i in range(len(low) - n + 1)
                ):
                    found.append((str(path), "unkeyed hash"))
    return found


def _outside(settings) -> list[Path]:
    zones = (settings.archive, settings.quarantine)
    out = []
    for p in settings.home.rglob("*"):
        if not p.is_file() or p.is_symlink() or p == settings.secrets_file:
            continue
        if any(z in p.parents for z in zones):
            continue
        if settings.inbox in p.parents and "receipts" not in p.parts:
            continue
        out.append(p)
    return out


def test_no_personnummer_or_unkeyed_hash_outside_inbox_archive_quarantine(delivered):
    s = delivered.settings
    persons = delivered.persons
    paths = _outside(s)
    kinds = {p.suffix for p in paths}
    assert {".parquet", ".duckdb", ".json", ".txt", ".sqlite"} <= kinds, kinds
    assert any("log" in p.name for p in paths)  # dbt's logs are scanned too
    assert _scan(paths, persons) == []
    # the scanner finds what it looks for: the archived originals hold the numbers
    archived = [p for p in s.archive.rglob("*") if p.is_file()]
    assert _scan(archived, persons[:20])


def test_pseudonym_key_only_in_the_secrets_file(delivered):
    s = delivered.settings
    key = s.pseudonym_key()
    assert key and len(key) >= 16
    hits = []
    for p in s.home.rglob("*"):
        if p.is_file() and not p.is_symlink() and p != s.secrets_file:
            if any(key in t for t in _texts(p)):
                hits.append(str(p))
    assert hits == []
    assert key in s.secrets_file.read_bytes()


def test_the_scan_finds_planted_hashes_and_forms(tmp_path, delivered):
    p = delivered.persons[0]
    short = f"{p[2:8]}-{p[8:]}"
    planted = tmp_path / "planted.txt"
    planted.write_text(f"x{hashlib.md5(p.encode()).hexdigest().upper()}y\n")
    assert _scan([planted], [p]) == [(str(planted), "unkeyed hash")]
    planted.write_text(f"id={short};")
    assert _scan([planted], [p]) == [(str(planted), "personnummer")]
