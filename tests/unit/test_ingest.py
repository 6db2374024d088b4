"""Ingest rules from the data contract, checked on small hand-made files."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import time

import duckdb
import pytest
import xlsxwriter

from mognad.contract.personnummer import build
from mognad.ingest.identity import normalise, pseudonymise
from mognad.ingest.run import ingest
from tests.conftest import drop

ITEMS = [f"F{i:02d}" for i in range(1, 16)] + [f"A{i:02d}" for i in range(1, 16)]


def survey_csv(rows: int = 6, sep: str = ";", bad_rows: dict | None = None) -> str:
    header = ["Svars_id", "Inskickad", " Målgrupp ", "KÖN", *ITEMS]
    lines = [sep.join(header)]
    for i in range(rows):
        answers = [str(1 + (i + j) % 6) for j in range(30)]
        row = [f"r{i}", "2024-03-05 10:00", "Medarbetare", "Kvinna", *answers]
        if bad_rows and i in bad_rows:
            row = bad_rows[i]
        lines.append(sep.join(row))
    return "\n".join(lines) + "\n"


def receipt(settings, code, name, status):
    path = settings.inbox / code / "receipts" / f"{name}.{status}.json"
    assert path.exists(), sorted(p.name for p in path.parent.iterdir())
    return json.loads(path.read_text(encoding="utf-8"))


def raw_rows(settings, feed):
    files = list(settings.raw.glob(f"feed={feed}/*/*/data.parquet"))
    if not files:
        return []
    con = duckdb.connect()
    return con.execute(
        "SELECT * FROM read_parquet(?, union_by_name=true)", [[str(f) for f in files]]
    ).fetchdf()


def test_cp1252_semicolon_survey_loads_with_swedish_headers(settings):
    text = survey_csv().replace("Medarbetare", "Förtroendevald")
    drop(settings, "2281", "survey", "dimios 2024.csv", text, encoding="cp1252")
    report = ingest(settings, progress=None)
    assert report.count("loaded") == 1
    r = receipt(settings, "2281", "dimios 2024.csv", "loaded")
    assert (r["rows_read"], r["rows_loaded"], r["rows_rejected"]) == (6, 6, 0)
    df = raw_rows(settings, "survey")
    assert len(df) == 6 * 30
    assert set(df["target_group"]) == {"förtroendevald"}
    assert set(df["wave"]) == {2024}
    assert set(df["gender"]) == {"kvinna"}
    assert not (settings.inbox / "2281" / "survey" / "dimios 2024.csv").exists()
    assert list(settings.archive.rglob("*dimios 2024.csv"))


def test_bad_rows_are_named_by_row_column_and_rule(settings):
    bad = {2: ["r2", "2024-13-01", "konsult", "K", "9", *["3"] * 29]}
    drop(settings, "2281", "survey", "s.csv", survey_csv(rows=10, sep=",", bad_rows=bad))
    ingest(settings, progress=None)
    r = receipt(settings, "2281", "s.csv", "loaded")
    assert r["rows_rejected"] == 1 and r["rows_loaded"] == 9
    found = {(p["row"], p["column"], p["code"]) for p in r["problems"]}
    # header is row 1, so the third data row is row 4
    assert (4, "Inskickad", "invalid_date") in found
    assert (4, "Målgrupp", "invalid_target_group") in found
    assert (4, "F01", "out_of_scale") in found
    text = (settings.inbox / "2281" / "receipts" / "s.csv.loaded.txt").read_text()
    assert text.index("Kvitto") < text.index("Receipt")
    assert "rad 4, kolumn Målgrupp" in text and "row 4, column Målgrupp" in text


def test_missing_required_column_quarantines_whole_file(settings):
    text = "Svars_id;Målgrupp;F01\nr1;chef;3\n"
    drop(settings, "2262", "survey", "utan_datum.csv", text)
    report = ingest(settings, progress=None)
    assert report.count("quarantined") == 1
    r = receipt(settings, "2262", "utan_datum.csv", "quarantined")
    assert r["problems"][0]["code"] == "missing_column"
    assert "submitted_at" in r["problems"][0]["column"]
    assert list(settings.quarantine.rglob("*utan_datum.csv"))
    assert raw_rows(settings, "survey") == []


def test_too_many_rejected_rows_quarantine(settings):
    bad = {i: [f"r{i}", "x", "chef", "", *["2"] * 30] for i in range(3)}
    drop(settings, "2262", "survey", "s.csv", survey_csv(rows=5, bad_rows=bad))
    ingest(settings, progress=None)
    r = receipt(settings, "2262", "s.csv", "quarantined")
    assert r["problems"][-1]["code"] == "too_many_rejected"
    assert r["rows_loaded"] == 0


def test_same_bytes_twice_is_duplicate_and_changed_file_is_new_version(settings):
    text = survey_csv()
    drop(settings, "2281", "survey", "a.csv", text)
    ingest(settings, progress=None)
    drop(settings, "2281", "survey", "b.csv", text)  # same bytes, another name
    report = ingest(settings, progress=None)
    assert report.count("duplicate") == 1
    drop(settings, "2281", "survey", "a.csv", survey_csv(rows=7))  # changed under a known name
    ingest(settings, progress=None)
    assert receipt(settings, "2281", "a.csv", "loaded")["version"] == 2
    df = raw_rows(settings, "survey")
    assert df["load_id"].nunique() == 2
    assert len(list(settings.archive.rglob("*.csv"))) == 3  # every delivery kept


def test_unsettled_and_in_progress_names_are_not_taken(settings):
    drop(settings, "2281", "survey", "growing.csv.part", survey_csv())
    drop(settings, "2281", "survey", "~$open.xlsx", b"lock")
    drop(settings, "2281", "survey", ".hidden.csv", survey_csv())
    fresh = drop(settings, "2281", "survey", "fresh.csv", survey_csv())
    from dataclasses import replace

    slow = replace(settings, settle_seconds=60)
    report = ingest(slow, progress=None)
    assert report.outcomes == [] and report.waiting == 1
    past = time.time() - 120
    os.utime(fresh, (past, past))
    report = ingest(slow, progress=None)
    assert [o.file for o in report.outcomes] == ["fresh.csv"]
    assert (settings.inbox / "2281" / "survey" / "growing.csv.part").exists()


def test_unknown_municipality_and_feed_are_quarantined(settings):
    drop(settings, "9999", "survey", "x.csv", survey_csv())
    drop(settings, "2281", "budget", "y.csv", "a;b\n1;2\n")
    ingest(settings, progress=None)
    assert receipt(settings, "9999", "x.csv", "quarantined")["problems"][0]["code"] == (
        "unknown_municipality"
    )
    assert receipt(settings, "2281", "y.csv", "quarantined")["problems"][0]["code"] == (
        "unknown_feed"
    )


def test_unreadable_file_is_quarantined_with_reason(settings):
    drop(settings, "2281", "training", "trasig.xlsx", b"PK\x03\x04garbage" * 10)
    ingest(settings, progress=None)
    r = receipt(settings, "2281", "trasig.xlsx", "quarantined")
    assert r["problems"][0]["code"] == "unreadable"


def pnr(year, month, day, serial):
    return build(dt.date(year, month, day), serial)


def test_personnummer_forms_normalise_and_luhn_is_checked():
    p = pnr(1985, 3, 14, 123)
    short = f"{p[2:8]}-{p[8:]}"
    assert normalise(short) == normalise(p) == normalise(f"{p[:8]}-{p[8:]}") == p
    bad = p[:-1] + str((int(p[-1]) + 1) % 10)
    assert normalise(bad) is None
    old = pnr(1920, 5, 1, 456)
    assert normalise(f"{old[2:8]}+{old[8:]}", today=dt.date(2026, 1, 1)) == old
    samordning = build(dt.date(1990, 7, 2), 111, samordning=True)
    assert normalise(samordning) == samordning and samordning[6:8] == "62"


def test_training_and_hr_need_a_key_and_never_store_the_clear_number(tmp_path):
    from tests.conftest import make_settings

    settings = make_settings(tmp_path / "home")
    people = [pnr(1970 + i, 1 + i % 12, 1 + i % 28, 100 + i) for i in range(8)]
    lines = ["Personnummer;Kurskod;Slutförd;Status;Timmar"]
    lines += [
        f"{p[2:8]}-{p[8:]};DF1;2025-03-0{i % 9 + 1};completed;1,5" for i, p in enumerate(people)
    ]
    csv_text = "\n".join(lines) + "\n"
    secrets = settings.secrets_file.read_text()
    settings.secrets_file.write_text(
        "\n".join(ln for ln in secrets.splitlines() if not ln.startswith("MOGNAD_PSEUDONYM_KEY"))
    )
    drop(settings, "2281", "training", "lms.csv", csv_text)
    report = ingest(settings, progress=None)
    assert report.refused and "MOGNAD_PSEUDONYM_KEY" in report.refused[0]
    assert (settings.inbox / "2281" / "training" / "lms.csv").exists()  # left waiting

    os.environ["MOGNAD_PSEUDONYM_KEY"] = "test-key"
    try:
        report = ingest(settings, progress=None)
    finally:
        del os.environ["MOGNAD_PSEUDONYM_KEY"]
    assert report.count("loaded") == 1
    df = raw_rows(settings, "training")
    assert list(df["person_key"]) == [pseudonymise(b"test-key", p) for p in people]
    assert df["hours"].tolist() == [1.5] * 8
    # scan every byte written outside the inbox archive/quarantine copies
    needles = {p.encode() for p in people} | {p[2:].encode() for p in people}
    needles |= {f"{p[2:8]}-{p[8:]}".encode() for p in people}
    for path in settings.home.rglob("*"):
        if not path.is_file() or settings.archive in path.parents:
            continue
        if settings.inbox in path.parents and "receipts" not in path.parts:
            continue
        data = path.read_bytes()
        assert not any(n in data for n in needles), path


def test_xlsx_title_row_leading_zeros_and_excel_dates(tmp_path):
    from tests.conftest import make_settings

    settings = make_settings(tmp_path / "home")
    os.environ["MOGNAD_PSEUDONYM_KEY"] = "k"
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet()
    ws.write(0, 0, "Personalrapport december")
    ws.write_row(2, 0, ["Personnummer", "Datum", "Förvaltning", "Chef", "Kön", "Aid-kod", "FTE"])
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    for i in range(6):
        p = pnr(1980, 1, 10 + i, 200 + i)
        ws.write_string(3 + i, 0, p)
        ws.write_datetime(3 + i, 1, dt.datetime(2024, 12, 31), date_fmt)
        ws.write_row(3 + i, 2, ["Socialförvaltningen", "Ja" if i == 0 else "Nej", "K"])
        ws.write_string(3 + i, 5, "012345")
        ws.write_number(3 + i, 6, 75)
    wb.close()
    try:
        drop(settings, "2260", "hr", "hr.xlsx", buf.getvalue())
        ingest(settings, progress=None)
    finally:
        del os.environ["MOGNAD_PSEUDONYM_KEY"]
    r = receipt(settings, "2260", "hr.xlsx", "loaded")
    assert r["rows_loaded"] == 6
    df = raw_rows(settings, "hr")
    assert set(df["aid_code"]) == {"012345"}
    assert {str(d)[:10] for d in df["snapshot_date"]} == {"2024-12-31"}
    assert sorted(df["target_group"]) == ["chef"] + ["medarbetare"] * 5
    assert df["fte"].tolist() == pytest.approx([0.75] * 6)
    assert set(df["gender"]) == {"kvinna"}
