"""Hostile and broken files: each ends in a clear receipt, memory stays bounded, nothing
outside the inbox is read, and no cell or name becomes a spreadsheet formula."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

from mognad.ingest.run import ingest
from tests.conftest import drop
from tests.faults.helpers import REPO, inbox_files, receipts, survey_csv

GB = 1024**3


def _one(settings, name=None):
    got = receipts(settings)
    if name is not None:
        got = [r for r in got if r["file"] == name]
    assert len(got) == 1, got
    return got[0]


def test_empty_and_header_only_files_are_quarantined_as_empty(fhome):
    drop(fhome, "2281", "survey", "tom.csv", b"")
    drop(fhome, "2281", "survey", "bara rubrik.csv", survey_csv(0))
    drop(fhome, "2281", "survey", "blanka.csv", b"\n\r\n  \n")
    ingest(fhome, progress=None)
    for name in ("tom.csv", "bara rubrik.csv", "blanka.csv"):
        r = _one(fhome, name)
        assert (r["status"], r["problems"][0]["code"]) == ("quarantined", "empty_file"), r
    assert inbox_files(fhome) == []
    assert len(list(fhome.quarantine.rglob("*.csv"))) == 3


def _sparse(path: Path, size: int, head: bytes = b"") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        f.write(head)
        f.truncate(size)
    return path


def _ingest_limited(settings, limit_mb: int, **env) -> subprocess.CompletedProcess:
    """`mognad ingest` in a child whose address space is capped (RLIMIT_AS)."""
    code = textwrap.dedent(
        f"""
        import resource, sys
        resource.setrlimit(resource.RLIMIT_AS, ({limit_mb} << 20, {limit_mb} << 20))
        from mognad.cli import main
        sys.exit(main(["ingest"]))
        """
    )
    from tests.faults.helpers import cli_env

    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env=cli_env(settings, **env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_one_gb_csv_and_json_quarantined_unread_with_bounded_memory(fhome):
    header = survey_csv(2).encode()
    _sparse(fhome.inbox / "2281" / "survey" / "stor.csv", GB, header)
    _sparse(fhome.inbox / "2281" / "training" / "stor.json", GB, b'[{"a": "')
    drop(fhome, "2281", "survey", "liten.csv", survey_csv(6))
    res = _ingest_limited(fhome, 700)  # 1 GB could not even be held in memory
    assert res.returncode == 0, res.stdout + res.stderr
    for name in ("stor.csv", "stor.json"):
        r = _one(fhome, name)
        assert r["status"] == "quarantined" and r["problems"][0]["code"] == "too_large", r
        assert "MOGNAD_MAX_FILE_BYTES" in r["problems"][0]["message"]
    assert _one(fhome, "liten.csv")["status"] == "loaded"
    kept = list(fhome.quarantine.rglob("*stor.csv"))
    # kept whole, not lost: sealed (mognad.state.vault), so the size is the delivered size plus
    # the header and one tag per chunk
    from mognad.state import vault

    sealed = vault.HEADER_SIZE + GB + -(-GB // vault.CHUNK_SIZE) * vault.TAG
    assert len(kept) == 1 and kept[0].stat().st_size == sealed and vault.is_sealed(kept[0])
    assert inbox_files(fhome) == []


def test_max_file_bytes_setting_is_honoured(fhome):
    drop(fhome, "2281", "survey", "s.csv", survey_csv(6))
    res = _ingest_limited(fhome, 2048, MOGNAD_MAX_FILE_BYTES=100)
    assert res.returncode == 0, res.stdout + res.stderr
    assert _one(fhome)["problems"][0]["code"] == "too_large"


def test_csv_with_ten_thousand_columns(fhome):
    text = survey_csv(6)
    extra = ";".join(f"x{i}" for i in range(10_000))
    lines = text.splitlines()
    lines = [lines[0] + ";" + extra] + [ln + ";" + ";".join("1" * 10_000) for ln in lines[1:]]
    drop(fhome, "2281", "survey", "bred.csv", "\n".join(lines) + "\n")
    res = _ingest_limited(fhome, 2048)
    assert res.returncode == 0, res.stdout + res.stderr
    r = _one(fhome)
    assert (r["status"], r["rows_loaded"]) == ("loaded", 6)


def test_deeply_nested_and_malformed_json_quarantined(fhome):
    drop(fhome, "2281", "training", "djup.json", "[" * 200_000 + "]" * 200_000)
    drop(
        fhome,
        "2281",
        "hr",
        "djup2.json",
        '[{"a": ' + '{"b": ' * 100_000 + "1" + "}" * 100_001 + "]",
    )
    drop(fhome, "2281", "survey", "trasig.json", '[{"svars_id": "r1", ')
    drop(fhome, "2281", "survey", "skalar.json", "[1, 2, 3]")
    res = _ingest_limited(fhome, 2048)
    assert res.returncode == 0, res.stdout + res.stderr
    for name in ("djup.json", "djup2.json", "trasig.json", "skalar.json"):
        r = _one(fhome, name)
        assert r["status"] == "quarantined", r
        assert r["problems"][0]["code"] in ("unreadable", "missing_column", "empty_file"), r


def _bomb(path: Path, declared: int) -> None:
    """A minimal XLSX whose sheet inflates to ``declared`` bytes of zeros (~1000:1)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            chunk = b"\0" * (16 << 20)
            for _ in range(declared // len(chunk)):
                f.write(chunk)


def test_xlsx_zip_bomb_is_quarantined_from_its_zip_directory(fhome):
    bomb = fhome.inbox / "2281" / "hr" / "bomb.xlsx"
    _bomb(bomb, 2 * GB)
    assert bomb.stat().st_size < 5 << 20
    res = _ingest_limited(fhome, 900)
    assert res.returncode == 0, res.stdout + res.stderr
    r = _one(fhome, "bomb.xlsx")
    assert r["status"] == "quarantined" and r["problems"][0]["code"] == "too_large", r
    assert "unpacks" in r["problems"][0]["message"]


def test_awkward_names_get_safe_receipts(fhome):
    folder = fhome.inbox / "2281" / "survey"
    folder.mkdir(parents=True)
    names = [
        b"..",
        b"...csv",
        b"a..b.csv",
        b"rad\nbrytning.csv",
        b"r\xe5data.csv",
        b"\xff\xfe.csv",
        "å".encode() * 120 + b".csv",
        b"x" * 254,
    ]
    names = [n for n in names if n != b".."]
    for i, raw in enumerate(names):
        with open(os.path.join(os.fsencode(folder), raw), "wb") as f:
            f.write(survey_csv(5, prefix=f"n{i}-").encode())
    report = ingest(fhome, progress=None)
    assert len(report.outcomes) == len(names) - 1  # "...csv" starts with "." (ignored)
    assert {o.status for o in report.outcomes} == {"loaded"}
    got = receipts(fhome)
    assert len(got) == len(names) - 1
    for path in (fhome.inbox / "2281" / "receipts").iterdir():
        assert path.parent == fhome.inbox / "2281" / "receipts"
        assert "\n" not in path.name and ".." not in path.name.replace("...", "")
        assert len(os.fsencode(path.name)) <= 255
        path.name.encode("utf-8")  # displayable
    # nothing was written outside the home
    assert not list(fhome.home.parent.glob("*.csv"))


def test_symlinks_fifos_and_unknown_folders(fhome, tmp_path):
    outside = tmp_path / "utanför"
    outside.mkdir()
    secret = outside / "hemlig.csv"
    secret.write_text(survey_csv(5))
    folder = fhome.inbox / "2281" / "survey"
    folder.mkdir(parents=True)
    (folder / "länk.csv").symlink_to(secret)
    (fhome.inbox / "2282").mkdir()
    (fhome.inbox / "2282" / "survey").symlink_to(outside)  # a feed folder pointing outside
    (fhome.inbox / "2283").symlink_to(outside)  # a municipality folder pointing outside
    os.mkfifo(folder / "rör.csv")  # reading a FIFO would block forever
    (fhome.inbox / "2280").mkdir()
    (fhome.inbox / "2280" / "receipts").symlink_to(outside)  # receipts written through?
    drop(fhome, "2280", "survey", "ok.csv", survey_csv(5))
    drop(fhome, "9999", "survey", "okänd.csv", survey_csv(5))
    drop(fhome, "2281", "lön", "okänt flöde.csv", survey_csv(5))
    report = ingest(fhome, progress=None)
    by = {o.file: (o.status, o.reason) for o in report.outcomes}
    assert report.failed == []
    assert by["länk.csv"] == ("quarantined", "unreadable")
    assert by["rör.csv"] == ("quarantined", "unreadable")
    assert by["survey"] == ("quarantined", "unknown_feed")
    assert by["2283"] == ("quarantined", "unknown_municipality")
    assert by["okänd.csv"] == ("quarantined", "unknown_municipality")
    assert by["okänt flöde.csv"] == ("quarantined", "unknown_feed")
    assert by["ok.csv"][0] == "loaded"
    # the outside folder was neither read into the platform nor written to
    assert sorted(p.name for p in outside.iterdir()) == ["hemlig.csv"]
    assert secret.read_text() == survey_csv(5)
    assert not list(fhome.raw.glob("feed=survey/municipality_code=2281/*"))
    assert (fhome.inbox / "2280" / "receipts").is_dir()
    assert not (fhome.inbox / "2280" / "receipts").is_symlink()
    assert (fhome.inbox / "2280" / "receipts" / "ok.csv.loaded.json").exists()
    # the target's rows never reached the raw zone: only ok.csv (2280) landed
    assert [p.parent.parent.name for p in fhome.raw.rglob("data.parquet")] == [
        "municipality_code=2280"
    ]
    # kept as sealed notes naming the link, never followed (mognad.state.vault)
    from mognad.state import vault

    # (only the receipts link moved aside stays a link: it is no delivery; `mognad
    # archive-encrypt` and the nightly housekeeping turn it into a note too)
    links = [p for p in fhome.quarantine.rglob("*") if p.is_symlink()]
    assert [p.parent.name for p in links] == ["_receipts"]
    [note] = [p for p in fhome.quarantine.rglob("*länk.csv")]
    assert vault.stored_kind(note) == vault.KIND_NOTE
    assert "symbolic link" in vault.read_original(note, vault.keyring(fhome)).decode()
    assert inbox_files(fhome) == []


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cells(text: str) -> list[str]:
    import csv
    import io

    out = []
    for delim in (";", ",", "\t"):
        for row in csv.reader(io.StringIO(text), delimiter=delim):
            out += row
    return out


def test_formula_cells_and_names_never_become_formulas(fhome):
    drop(fhome, "2281", "survey", "=cmd|' -C calc'!A0.csv", survey_csv(5, first_cell="=1+2"))
    drop(fhome, "2281", "survey", "@SUM(A1).csv", "=Svars_id;+Inskickad;-Målgrupp\n1;2;3\n")
    drop(fhome, "2281", "survey", "+danger.csv", survey_csv(5, prefix="=r"))
    ingest(fhome, progress=None)
    texts = list((fhome.inbox / "2281" / "receipts").glob("*.txt"))
    assert len(texts) == 3
    for path in texts:
        for line in path.read_text(encoding="utf-8").splitlines():
            for cell in _cells(line):
                assert not cell.startswith(FORMULA_STARTS[:4]), (path.name, line)
    # the JSON receipts keep the delivered text as data (not a spreadsheet format)
    assert any(r["file"].startswith("=") for r in receipts(fhome))


def test_templates_have_no_formula_cells(tmp_path):
    from mognad.cli.app import main

    assert main(["templates", "--dir", str(tmp_path / "t")]) == 0
    for path in (tmp_path / "t").glob("*.csv"):
        for cell in _cells(path.read_text(encoding="utf-8-sig")):
            assert not cell.startswith(FORMULA_STARTS[:4]), (path.name, cell)


def test_published_quarantine_mart_is_safe_to_export(delivered):
    """The file name '=HYPERLINK(1).csv' reaches ingest_log; an export of that table as CSV
    (what a dashboard's 'download as CSV' does) is neutralised by the exporter the platform
    ships (mognad.ingest.receipts.neutralise)."""
    import duckdb

    from mognad.ingest.receipts import neutralise

    con = duckdb.connect(str(delivered.settings.published_db), read_only=True)
    try:
        names = [r[0] for r in con.execute("select file from marts.ingest_log").fetchall()]
    finally:
        con.close()
    assert "=HYPERLINK(1).csv" in names
    assert all(not neutralise(n).startswith(FORMULA_STARTS[:4]) for n in names)
    r = json.loads(
        (
            delivered.settings.inbox / "2281" / "receipts" / "=HYPERLINK(1).csv.loaded.json"
        ).read_text(encoding="utf-8")
    )
    assert r["rows_loaded"] == 5


def test_xlsx_with_corrupt_compressed_sheet_is_quarantined(fhome):
    """Found by the fuzzer: a damaged deflate stream raised zlib.error out of the run."""
    import io

    from tests.faults.test_fuzz import _xlsx

    data = bytearray(_xlsx())
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for i in range(start, start + 12):
        data[i] ^= 0x5A
    drop(fhome, "2281", "survey", "skadad.xlsx", bytes(data))
    report = ingest(fhome, progress=None)
    assert report.failed == []
    r = _one(fhome, "skadad.xlsx")
    assert r["status"] == "quarantined" and r["problems"][0]["code"] == "unreadable", r
