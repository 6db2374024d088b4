"""Personal data: after a real ingest and build, no personnummer (in any written form) and
no unkeyed hash of one is anywhere the platform writes outside the inbox, the archive and
quarantine included (their originals are encrypted at rest); the pseudonym and archive keys
are nowhere but the secrets file."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import re
import stat
from pathlib import Path

import duckdb

from mognad.ingest.run import Ingestor
from mognad.state import vault
from tests.conftest import drop
from tests.faults.helpers import people, training_csv, written_forms

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


def _written(settings) -> list[Path]:
    """Every file the platform wrote: all of the home but the secrets file and what
    municipalities put in the inbox (their receipts are scanned); archive and quarantine
    included. A symbolic link in the archive or quarantine is a finding of its own."""
    zones = (settings.archive, settings.quarantine)
    out = []
    for p in settings.home.rglob("*"):
        assert not (p.is_symlink() and any(z in p.parents for z in zones)), f"a link: {p}"
        if not p.is_file() or p.is_symlink() or p == settings.secrets_file:
            continue
        if settings.inbox in p.parents and "receipts" not in p.parts:
            continue
        out.append(p)
    return out


def _zone_files(settings) -> list[Path]:
    return [p for z in (settings.archive, settings.quarantine) for p in z.rglob("*") if p.is_file()]


def _decrypted(settings, paths, tmp_path) -> list[Path]:
    keys = vault.keyring(settings)
    out = []
    for i, p in enumerate(paths):
        clear = tmp_path / f"clear_{i}"
        vault.decrypt_to(p, clear, keys)
        out.append(clear)
    return out


def _assert_private(settings) -> None:
    for zone in (settings.archive, settings.quarantine):
        if not zone.exists():  # (nothing quarantined)
            continue
        for p in [zone, *zone.rglob("*")]:
            mode = stat.S_IMODE(p.lstat().st_mode)
            if p.is_dir():
                assert mode == 0o700, (p, oct(mode))
            else:
                assert mode == 0o600 and vault.is_sealed(p), (p, oct(mode))


def test_no_personnummer_or_unkeyed_hash_anywhere_written(delivered, tmp_path):
    s = delivered.settings
    persons = delivered.persons
    paths = _written(s)
    kinds = {p.suffix for p in paths}
    assert {".parquet", ".duckdb", ".json", ".txt", ".sqlite"} <= kinds, kinds
    assert any("log" in p.name for p in paths)  # dbt's logs are scanned too
    archived = [p for p in s.archive.rglob("*") if p.is_file()]
    assert len(archived) == 50 and set(archived) <= set(paths)  # the zones are scanned too
    assert _scan(paths, persons) == []
    _assert_private(s)
    # the scanner finds what it looks for: decrypted, the archived originals hold the numbers
    assert _scan(_decrypted(s, archived, tmp_path), persons[:20])


def test_quarantined_originals_are_encrypted_too(fhome, tmp_path):
    """Quarantine holds what was not loaded: files with personnummer that were refused
    (too many bad rows, an unknown municipality, too large to read), links and FIFOs."""
    persons = people(30, seed=7)
    good = training_csv(persons[:10])
    bad_rows = good.replace(";DIG101;", ";;")  # every row lacks its course: too many rejected
    drop(fhome, "2281", "training", "trasig.csv", bad_rows)
    drop(fhome, "9999", "training", "fel kommun.csv", training_csv(persons[10:20]))
    big = training_csv(persons[20:30])
    big += "".join(big.splitlines(keepends=True)[1:]) * 5  # about 2.7 kB
    drop(fhome, "2281", "hr", "stor.csv", big)
    drop(fhome, "2281", "training", "bra.csv", good)
    (fhome.inbox / "2281" / "hr" / "länk.csv").symlink_to(fhome.inbox / "2281" / "hr" / "stor.csv")
    limited = dataclasses.replace(fhome, max_file_bytes=1500)  # stor.csv is too large to read
    report = Ingestor(limited, progress=None).run()
    assert report.failed == []
    status = {o.file: (o.status, o.reason) for o in report.outcomes}
    assert status["trasig.csv"][0] == status["fel kommun.csv"][0] == "quarantined"
    assert status["stor.csv"] == ("quarantined", "too_large")
    quarantined = [p for p in fhome.quarantine.rglob("*") if p.is_file()]
    assert len(quarantined) == 4 and len([p for p in fhome.archive.rglob("*") if p.is_file()])
    paths = _written(fhome)
    assert set(_zone_files(fhome)) <= set(paths)
    assert _scan(paths, persons) == []
    _assert_private(fhome)
    clear = _decrypted(fhome, sorted(quarantined), tmp_path)
    found = {Path(p).name for p, _ in _scan(clear, persons)}
    assert len(found) == 3  # trasig, fel kommun, stor: the numbers are there, encrypted


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


def test_archive_key_only_in_the_secrets_file(delivered):
    s = delivered.settings
    key = vault.keyring(s).current
    assert key and len(key) == 32
    forms = [key, base64.b64encode(key), base64.urlsafe_b64encode(key), key.hex().encode()]
    hits = []
    for p in s.home.rglob("*"):
        if p.is_file() and not p.is_symlink() and p != s.secrets_file:
            data = p.read_bytes()
            if any(f in data for f in forms):
                hits.append(str(p))
    assert hits == []
    assert base64.b64encode(key) in s.secrets_file.read_bytes()


def test_the_scan_finds_planted_hashes_and_forms(tmp_path, delivered):
    p = delivered.persons[0]
    short = f"{p[2:8]}-{p[8:]}"
    planted = tmp_path / "planted.txt"
    planted.write_text(f"x{hashlib.md5(p.encode()).hexdigest().upper()}y\n")
    assert _scan([planted], [p]) == [(str(planted), "unkeyed hash")]
    planted.write_text(f"id={short};")
    assert _scan([planted], [p]) == [(str(planted), "personnummer")]
