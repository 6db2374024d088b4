"""The remaining ingest rules of the data contract (§1–5), one small test each."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import xlsxwriter

from mognad.contract.personnummer import build
from mognad.contract.reference import municipalities
from mognad.ingest import values as V
from mognad.ingest.receipts import display_name
from mognad.ingest.rules import header_key
from mognad.ingest.run import ingest
from tests.conftest import drop

ROOT = Path(__file__).resolve().parents[2]
MOGNAD = ROOT / ".venv" / "pipeline" / "bin" / "mognad"
ITEMS = [f"F{i:02d}" for i in range(1, 16)] + [f"A{i:02d}" for i in range(1, 16)]


@pytest.fixture
def keyed(settings, monkeypatch):
    monkeypatch.setenv("MOGNAD_PSEUDONYM_KEY", "rules-key")
    return settings


def raw(settings, feed):
    files = [str(f) for f in settings.raw.glob(f"feed={feed}/*/*/data.parquet")]
    assert files, f"nothing landed for {feed}"
    return (
        duckdb.connect()
        .execute(
            "SELECT * FROM read_parquet(?, union_by_name=true, hive_partitioning=false) "
            "ORDER BY source_row",
            [files],
        )
        .fetchdf()
    )


def receipt_for(settings, code, name):
    [path] = (settings.inbox / code / "receipts").glob(f"{name}.*.json")
    return json.loads(path.read_text(encoding="utf-8"))


def pnr(i: int) -> str:
    return build(dt.date(1960 + i % 40, 1 + i % 12, 1 + i % 28), 300 + i)


def survey_rows(n=6, answers=None):
    buf = io.StringIO(newline="")
    w = csv.writer(buf, delimiter=",")
    w.writerow(["respondent_id", "submitted_at", "target_group", "gender", "department", *ITEMS])
    for i in range(n):
        row_answers = answers(i) if answers else [str(1 + (i + j) % 6) for j in range(30)]
        w.writerow([f"r{i}", "2025-04-01", "chef", "man", "Vård, omsorg", *row_answers])
    return buf.getvalue()


# --- values as people write them ---------------------------------------------------------


def test_decimal_comma_in_hours_and_fte(keyed):
    lines = ["Personnummer;Kurskod;Slutförd;Status;Timmar"]
    lines += [f"{pnr(i)};K1;2025-01-10;klar;{h}" for i, h in enumerate(["1,5", "2.25", "0,75"])]
    drop(keyed, "2280", "training", "t.csv", "\n".join(lines) + "\n")
    hr = ["personnummer,datum,förvaltning,sysselsättningsgrad"]
    hr += [f'{pnr(i)},2024-12-31,KLK,"{f}"' for i, f in enumerate(["75,5", "0,8", "100"])]
    drop(keyed, "2280", "hr", "h.csv", "\n".join(hr) + "\n")
    ingest(keyed, progress=None)
    assert raw(keyed, "training")["hours"].tolist() == [1.5, 2.25, 0.75]
    assert raw(keyed, "hr")["fte"].tolist() == pytest.approx([0.755, 0.8, 1.0])
    assert V.number("1 234,5") == 1234.5 and V.number("80%") == 0.8


def test_quoted_fields_with_delimiters_quotes_and_newlines(settings):
    text = survey_rows(3)
    text = text.replace('"Vård, omsorg"', '"Vård, ""omsorg""\nochskola"', 1)
    drop(settings, "2281", "survey", "q.csv", text)
    ingest(settings, progress=None)
    r = receipt_for(settings, "2281", "q.csv")
    assert r["status"] == "loaded" and r["rows_loaded"] == 3
    df = raw(settings, "survey")
    assert set(df["department"]) == {'Vård, "omsorg"\nochskola', "Vård, omsorg"}
    # row numbers count physical lines: the quoted newline makes row 2 span lines 2–3
    assert sorted(set(df["source_row"])) == [3, 4, 5]


def test_vet_ej_dash_and_blank_are_no_answer(settings):
    no_answer = ["Vet ej", "-", "", " VET EJ ", "–"]

    def answers(i):
        return [no_answer[i % 5] if j < 3 else "4" for j in range(30)]

    drop(settings, "2281", "survey", "v.csv", survey_rows(5, answers))
    ingest(settings, progress=None)
    r = receipt_for(settings, "2281", "v.csv")
    assert (r["status"], r["rows_loaded"], r["rows_rejected"]) == ("loaded", 5, 0)
    df = raw(settings, "survey")
    first3 = df[df["item_code"].isin(["F01", "F02", "F03"])]
    assert first3["answer"].isna().all() and len(first3) == 15
    assert set(df[~df["item_code"].isin(["F01", "F02", "F03"])]["answer"]) == {4}


def test_gender_and_yes_no_as_people_write_them():
    assert [V.gender(g) for g in ["Kvinna", "kvinna", "K", "M", "Man", "", "-", "Vet ej"]] == [
        "kvinna", "kvinna", "kvinna", "man", "man", "ej angivet", "ej angivet", "ej angivet"
    ]  # fmt: skip
    assert V.gender("robot") is None
    assert [V.yes_no(v) for v in ["Ja", "JA", "nej", "Nej", "", "kanske"]] == [
        True, True, False, False, False, None
    ]  # fmt: skip


def test_excel_1900_leap_year_trap():
    assert V.excel_serial(1) == dt.datetime(1900, 1, 1)
    assert V.excel_serial(59) == dt.datetime(1900, 2, 28)
    with pytest.raises(ValueError):
        V.excel_serial(60)  # Excel's 29 February 1900, a day that never was
    assert V.excel_serial(61) == dt.datetime(1900, 3, 1)
    assert V.excel_serial(45000) == dt.datetime(2023, 3, 15)
    assert V.excel_serial(45356.4166666667) == dt.datetime(2024, 3, 5, 10, 0)
    assert V.timestamp("59", excel=True) == dt.datetime(1900, 2, 28)
    assert V.timestamp("60", excel=True) is None
    assert V.timestamp("59") is None  # a bare number in a CSV is not a date


def test_excel_serial_60_in_a_sheet_is_rejected_by_row(keyed):
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet()
    ws.write_row(0, 0, ["Personnummer", "Datum", "Förvaltning"])
    serials = [45000, 59, 60, 61, 45001, 45002]
    for i, serial in enumerate(serials, start=1):
        ws.write_string(i, 0, pnr(i))
        ws.write_number(i, 1, serial)
        ws.write_string(i, 2, "KLK")
    wb.close()
    drop(keyed, "2282", "hr", "serial.xlsx", buf.getvalue())
    ingest(keyed, progress=None)
    r = receipt_for(keyed, "2282", "serial.xlsx")
    assert r["status"] == "loaded" and r["rows_rejected"] == 1
    assert [(p["row"], p["column"], p["code"]) for p in r["problems"]] == [
        (4, "Datum", "invalid_date")
    ]
    dates = [str(d)[:10] for d in raw(keyed, "hr")["snapshot_date"]]
    assert dates == ["2023-03-15", "1900-02-28", "1900-03-01", "2023-03-16", "2023-03-17"]


def test_header_aliases_match_case_and_whitespace_insensitively(keyed):
    assert header_key("  Kurs_Kod ") == header_key("KURSKOD") == "kurskod"
    lines = ["  PERSONNUMMER \tKurs_kod\t SLUTFÖRD\tStatus \tTIMMAR"]
    lines += [f"{pnr(i)}\tK{i}\t2025-02-0{i + 1}\tCompleted\t2" for i in range(3)]
    drop(keyed, "2283", "training", "tab.txt", "\n".join(lines) + "\n")
    ingest(keyed, progress=None)
    r = receipt_for(keyed, "2283", "tab.txt")
    assert r["status"] == "loaded" and r["rows_loaded"] == 3
    assert raw(keyed, "training")["course_code"].tolist() == ["K0", "K1", "K2"]


def test_training_json_array_of_row_objects_with_contract_names(keyed):
    rows = [
        {"person_id": pnr(i), "course_code": "K9", "completed_at": "2025-05-01",
         "status": "passed", "hours": 2.5, "format": "workshop"}
        for i in range(4)
    ]  # fmt: skip
    rows[3]["person_id"] = "19800101-0000"  # bad check digit
    drop(keyed, "2284", "training", "lms.json", json.dumps(rows))
    ingest(keyed, progress=None)
    r = receipt_for(keyed, "2284", "lms.json")
    assert (r["status"], r["rows_loaded"], r["rows_rejected"]) == ("quarantined", 0, 1)
    assert r["problems"][0]["row"] == 4 and r["problems"][0]["code"] == "invalid_personnummer"
    drop(keyed, "2284", "training", "lms2.json", json.dumps(rows[:3] * 2))
    ingest(keyed, progress=None)
    df = raw(keyed, "training")
    assert len(df) == 6 and set(df["status"]) == {"passed"} and df["completed"].all()


# --- arrival -------------------------------------------------------------------------------


def test_symlink_in_the_inbox_is_quarantined_without_reading_its_target(settings, tmp_path):
    secret = tmp_path / "outside" / "secret.csv"
    secret.parent.mkdir()
    secret.write_bytes(survey_rows(2).encode("utf-8"))
    folder = settings.inbox / "2281" / "survey"
    folder.mkdir(parents=True)
    (folder / "link.csv").symlink_to(secret)
    (folder / "fifo.csv").symlink_to(tmp_path / "outside")  # a folder: never to be read
    report = ingest(settings, progress=None)
    assert {o.status for o in report.outcomes} == {"quarantined"}
    r = receipt_for(settings, "2281", "link.csv")
    assert r["sha256"] == hashlib.sha256(b"").hexdigest()  # the target's bytes were not read
    assert secret.read_bytes() == survey_rows(2).encode("utf-8")  # untouched
    assert not list(settings.raw.rglob("*.parquet"))
    needle = b"r1,2025-04-01"
    for p in settings.home.rglob("*"):
        if p.is_file() and not p.is_symlink():
            assert needle not in p.read_bytes(), p


def test_awkward_file_names_get_safe_receipt_names(settings):
    folder = settings.inbox / "2281" / "survey"
    folder.mkdir(parents=True)
    names = [b"rad\nbrytning.csv", b"a..punkt..csv", b"r\xe5data.csv"]
    for raw_name in names:
        with open(os.path.join(os.fsencode(folder), raw_name), "wb") as f:
            f.write(survey_rows(2).replace("r0", raw_name.hex()).encode())
    report = ingest(settings, progress=None)
    assert len(report.outcomes) == 3
    receipts = sorted(p.name for p in (settings.inbox / "2281" / "receipts").iterdir())
    for name in receipts:
        assert "\n" not in name and ".." not in name and "/" not in name
        name.encode("utf-8")  # valid UTF-8
    assert "rad_brytning.csv.loaded.json" in receipts
    assert "a__punkt__csv.loaded.json" in receipts
    assert "r\ufffddata.csv.loaded.json" in receipts
    assert display_name("a/../b\\c\x00") == "a____b_c_"


# Municipalities per county (SCB's codes, unchanged since 2018), and a few known names: facts
# checked independently of the shipped seed, so a damaged or truncated seed fails here.
MUNICIPALITIES_PER_COUNTY = {
    "01": 26, "03": 8, "04": 9, "05": 13, "06": 13, "07": 8, "08": 12, "09": 1, "10": 5,
    "12": 33, "13": 6, "14": 49, "17": 16, "18": 12, "19": 10, "20": 15, "21": 10, "22": 7,
    "23": 8, "24": 15, "25": 14,
}  # fmt: skip
KNOWN_NAMES = {
    "0114": ("Upplands Väsby", "01"),
    "0180": ("Stockholm", "01"),
    "0980": ("Gotland", "09"),
    "1280": ("Malmö", "12"),
    "1480": ("Göteborg", "14"),
    "2260": ("Ånge", "22"),
    "2262": ("Timrå", "22"),
    "2280": ("Härnösand", "22"),
    "2281": ("Sundsvall", "22"),
    "2282": ("Kramfors", "22"),
    "2283": ("Sollefteå", "22"),
    "2284": ("Örnsköldsvik", "22"),
    "2584": ("Kiruna", "25"),
}


def test_all_290_municipality_codes_are_accepted(settings):
    known = municipalities()
    assert len(known) == 290
    per_county: dict[str, int] = {}
    for code, m in known.items():
        assert len(code) == 4 and code.isdigit() and code[:2] == m.county_code, (code, m)
        per_county[m.county_code] = per_county.get(m.county_code, 0) + 1
    assert per_county == MUNICIPALITIES_PER_COUNTY
    for code, (name, county) in KNOWN_NAMES.items():
        assert (known[code].name, known[code].county_code) == (name, county)
    text = survey_rows(1)
    for code in known:
        drop(settings, code, "survey", f"s{code}.csv", text.replace("r0", f"r{code}"))
    report = ingest(settings, progress=None)
    assert report.count("loaded") == 290, [o for o in report.outcomes if o.status != "loaded"]
    assert sorted(raw(settings, "survey")["municipality_code"].unique()) == sorted(known)


# --- the command line -----------------------------------------------------------------------


def _mognad(settings, *args, **env):
    environ = {
        **os.environ,
        "MOGNAD_HOME": str(settings.home),
        "MOGNAD_SECRETS_FILE": str(settings.secrets_file),
        "MOGNAD_SETTLE_SECONDS": "0",
        **env,
    }
    environ.pop("MOGNAD_PSEUDONYM_KEY", None)
    return subprocess.run(
        [str(MOGNAD) if MOGNAD.exists() else sys.executable, *args],
        capture_output=True,
        text=True,
        env=environ,
        timeout=120,
    )


def test_cli_ingest_prints_one_line_per_file_and_a_total(settings):
    drop(settings, "2281", "survey", "bra.csv", survey_rows(3))
    drop(settings, "2281", "survey", "trasig.csv", "foo;bar\n1;2\n")
    drop(settings, "2262", "survey", "annan.csv", survey_rows(2))
    result = _mognad(settings, "ingest")
    assert result.returncode == 0, result.stdout + result.stderr  # quarantine is normal
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 4, lines
    assert "2262/survey  annan.csv  loaded" in lines[0]
    assert "trasig.csv  quarantined" in lines[2] and "missing_column" in lines[2]
    assert lines[-1].startswith("3 filer/files: 2 inlästa/loaded")
    assert "1 i karantän/quarantined" in lines[-1]
    again = _mognad(settings, "ingest")
    assert again.returncode == 0 and again.stdout.startswith("0 filer/files")


def test_cli_ingest_fails_only_when_the_run_fails(settings, tmp_path):
    drop(settings, "2281", "training", "lms.csv", "personnummer;kurskod\n")
    lines = settings.secrets_file.read_text().splitlines()
    settings.secrets_file.write_text(
        "\n".join(ln for ln in lines if not ln.startswith("MOGNAD_PSEUDONYM_KEY"))
    )
    refused = _mognad(settings, "ingest")
    assert refused.returncode != 0 and "MOGNAD_PSEUDONYM_KEY" in refused.stdout
    not_a_folder = tmp_path / "fil"
    not_a_folder.write_text("x")
    broken = _mognad(settings, "ingest", MOGNAD_HOME=str(not_a_folder))
    assert broken.returncode == 1
    assert broken.stdout.strip().startswith("mognad ingest:") and "Traceback" not in (
        broken.stdout + broken.stderr
    )
