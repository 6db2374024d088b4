"""Survey-tool exports (Google Forms CSV, Microsoft Forms XLSX) through a mapping file, and a
mapping skeleton that round-trips."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest
import yaml
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from mognad.contract.reference import codebook
from mognad.guide.skeleton import skeleton
from mognad.guide.texts import GOOGLE_FORMS_EXAMPLE, MS_FORMS_EXAMPLE
from mognad.ingest import values as V
from mognad.ingest.check import check_file
from mognad.ingest.feeds import parse
from mognad.ingest.mapping import parse_mapping
from mognad.ingest.readers import read_csv_bytes
from mognad.ingest.rules import Context
from mognad.ingest.run import ingest
from tests.conftest import drop
from tests.fixtures.real import forms_xlsx

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"


def _install(settings, code: str, text: str) -> Path:
    path = settings.home / "mappings" / code / "survey.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _raw_bytes(settings) -> bytes:
    return b"".join(p.read_bytes() for p in settings.raw.rglob("*") if p.is_file())


def _answers(settings) -> dict[tuple[str, str], int | None]:
    files = [str(f) for f in settings.raw.glob("feed=survey/*/*/data.parquet")]
    rows = duckdb.connect().execute(
        "SELECT respondent_id, item_code, answer FROM read_parquet(?)", [files]
    )
    return {(r, c): a for r, c, a in rows.fetchall()}


def test_google_forms_csv_through_the_guide_mapping(settings):
    fixture = yaml.safe_load((REAL / "google_forms_2281_mapping.yaml").read_text())
    assert yaml.safe_load(GOOGLE_FORMS_EXAMPLE) == fixture  # the guide's example is this one
    _install(settings, "2281", GOOGLE_FORMS_EXAMPLE)
    drop(settings, "2281", "survey", "svar.csv", (REAL / "google_forms_2281.csv").read_bytes())
    ingest(settings, progress=None)
    receipt = json.loads((settings.inbox / "2281/receipts/svar.csv.loaded.json").read_text())
    assert (receipt["rows_read"], receipt["rows_loaded"], receipt["problems"]) == (3, 3, [])
    assert receipt["mapping"]["file"] == "mappings/2281/survey.yaml"
    assert set(receipt["mapping"]["items"]) == {"F01", "F02", "F03", "F04", "F05"}
    assert receipt["mapping"]["dropped_columns"] == [
        "E-postadress",
        "Övriga synpunkter (frivilligt)",
    ]
    answers = _answers(settings)
    assert answers[("rad-3", "F01")] == 6 and answers[("rad-3", "F03")] == 1
    assert answers[("rad-3", "F05")] is None  # "Vet ej"
    assert answers[("rad-3", "F04")] == 4  # the municipality's own wording, mapped
    # e-mail addresses and free text never land (raw zone, receipts)
    landed = _raw_bytes(settings) + b"".join(
        p.read_bytes() for p in (settings.inbox / "2281" / "receipts").iterdir()
    )
    for secret in (b"anna.andersson@", b"bo.berg@", b"Bra enk", b"kanske"):
        assert secret not in landed


def test_microsoft_forms_xlsx_through_the_guide_mapping_and_check(settings, tmp_path):
    assert yaml.safe_load(MS_FORMS_EXAMPLE) == yaml.safe_load(forms_xlsx.MAPPING)
    _install(settings, "2280", MS_FORMS_EXAMPLE)
    data = forms_xlsx.xlsx_bytes()
    export = tmp_path / "forms.xlsx"
    export.write_bytes(data)
    checked = check_file(export, "survey", "2280", home=settings.home)
    assert checked["status"] == "loaded" and checked["rows_loaded"] == 2
    assert checked["mapping"]["dropped_columns"] == [
        "Starttid",
        "E-post",
        "Namn",
        "Något mer du vill säga?",
    ]
    drop(settings, "2280", "survey", "forms.xlsx", data)
    ingest(settings, progress=None)
    answers = _answers(settings)
    assert answers[("1", "F01")] == 6 and answers[("2", "F02")] == 1
    assert answers[("2", "F03")] == 6
    files = [str(f) for f in settings.raw.glob("feed=survey/*/*/data.parquet")]
    subs = duckdb.connect().execute(
        "SELECT DISTINCT respondent_id, submitted_at, wave, target_group FROM read_parquet(?)",
        [files],
    )
    got = sorted(subs.fetchall())
    assert got[1][1] == dt.datetime(2025, 3, 15, 0, 5, 31) and got[1][3] == "chef"
    for secret in (b"dan.dahl@", b"Dan Dahl", b"SUMMA"):
        assert secret not in _raw_bytes(settings)


def test_a_broken_mapping_quarantines_with_the_reason(settings):
    _install(settings, "2281", "columns:\n  respondent: ID\n")
    drop(settings, "2281", "survey", "svar.csv", (REAL / "google_forms_2281.csv").read_bytes())
    ingest(settings, progress=None)
    r = json.loads((settings.inbox / "2281/receipts/svar.csv.quarantined.json").read_text())
    assert r["problems"][0]["code"] == "invalid_mapping"
    assert "respondent" in r["problems"][0]["message"]


@pytest.mark.parametrize(
    "text,expected",
    [
        ("2025-03-31T22:30:00Z", dt.datetime(2025, 4, 1, 0, 30)),
        ("2025-04-01T00:30:00+02:00", dt.datetime(2025, 4, 1, 0, 30)),
        ("2025/03/14 9:41:07 AM CET", dt.datetime(2025, 3, 14, 9, 41, 7)),
        ("2025/03/14 9:41:07 PM CET", dt.datetime(2025, 3, 14, 21, 41, 7)),
        ("2025-03-14 09:41:07", dt.datetime(2025, 3, 14, 9, 41, 7)),
        ("2024-12-31 23:30:00 UTC", dt.datetime(2025, 1, 1, 0, 30)),
        ("2025-03-14 9:41 XYZ", None),
    ],
)
def test_date_times_with_offsets_count_on_their_stockholm_date(text, expected):
    assert V.timestamp(text) == expected


def test_csv_date_column_with_offsets_uses_the_stockholm_date(settings, monkeypatch):
    monkeypatch.setenv("MOGNAD_PSEUDONYM_KEY", "k")
    csv = "personnummer;kurskod;slutförd;status\n"
    csv += "198112189876;D1;2025-03-31T23:30:00+01:00;completed\n"
    sheet = read_csv_bytes(csv.encode())
    out = parse("training", sheet, Context(b"k"))
    assert out.table.column("completed_at").to_pylist() == [dt.date(2025, 4, 1)]


BOOK = codebook()["dimios"]
LABELS = dict(BOOK["F01"].scale_labels)
EXTRA = ["E-post", "Namn", "Starttid", 'Övrigt? (fritt, "citat"; semikolon)']


@hsettings(max_examples=40, deadline=None)
@given(
    codes=st.lists(st.sampled_from(sorted(BOOK)), min_size=1, max_size=8, unique=True),
    answers=st.lists(
        st.lists(st.sampled_from([*LABELS, None]), min_size=8, max_size=8),
        min_size=1,
        max_size=5,
    ),
    extra=st.lists(st.sampled_from(EXTRA), unique=True, max_size=4),
    shuffle=st.randoms(use_true_random=False),
)
def test_a_skeleton_from_an_export_maps_back_to_the_intended_items(codes, answers, extra, shuffle):
    headers = ["Tidstämpel", *extra, *(BOOK[c].statement_sv for c in codes)]
    order = list(range(len(headers)))
    shuffle.shuffle(order)
    rows = []
    for i, row in enumerate(answers):
        cells = ["2025-03-14 09:41:07", *(f"x{i}" for _ in extra)]
        cells += [LABELS[a] if a else "Vet ej" for a in row[: len(codes)]]
        rows.append([cells[j] for j in order])
    import csv
    import io

    buf = io.StringIO()
    csv.writer(buf, delimiter=";").writerows([[headers[j] for j in order], *rows])
    sheet = read_csv_bytes(("\ufeff" + buf.getvalue()).encode())
    text = skeleton("survey", sheet, "2281")
    data = yaml.safe_load(text)
    assert data["items"] == {c: BOOK[c].statement_sv for c in codes}
    data.setdefault("constants", {})["target_group"] = "medarbetare"
    mapping = parse_mapping(data, "survey", "2281", "skeleton")
    out = parse("survey", sheet, Context(None, municipality_code="2281", mapping=mapping))
    assert out.problems == [] and out.rows_loaded == len(answers)
    got = {(r, c): a for r, c, a in zip(*(out.table.column(n).to_pylist() for n in (
        "respondent_id", "item_code", "answer")), strict=True)}  # fmt: skip
    for i, row in enumerate(answers):
        rid = f"rad-{sheet.row_numbers[i]}"
        for code, a in zip(codes, row, strict=False):
            assert got[(rid, code)] == a
    assert set(out.receipt["mapping"]["dropped_columns"]) == set(extra)


def test_a_file_in_the_contracts_own_format_still_loads_beside_a_mapping(settings):
    _install(settings, "2281", GOOGLE_FORMS_EXAMPLE)
    native = "svars_id;inskickad;målgrupp;F01;F02\nR1;2025-03-14;chef;5;6\n"
    drop(settings, "2281", "survey", "egen.csv", native)
    ingest(settings, progress=None)
    r = json.loads((settings.inbox / "2281/receipts/egen.csv.loaded.json").read_text())
    assert r["rows_loaded"] == 1 and "mapping" not in r


def test_columnar_and_row_wise_parses_agree_on_a_mapped_export():
    mapping = parse_mapping(yaml.safe_load(GOOGLE_FORMS_EXAMPLE), "survey", "2281", "m")
    sheet = read_csv_bytes((REAL / "google_forms_2281.csv").read_bytes())
    ctx = Context(None, municipality_code="2281", mapping=mapping)
    fast = parse("survey", sheet, ctx)
    slow = parse("survey", sheet, ctx, columnar=False)
    assert fast.problems == slow.problems and fast.rows_loaded == slow.rows_loaded
    rows = fast.table.to_pylist()
    assert [{k: r[k] for k in ("respondent_id", "item_code", "answer")} for r in rows] == [
        {k: r[k] for k in ("respondent_id", "item_code", "answer")} for r in slow.records
    ]


def test_check_and_templates_from_the_command_line(settings, tmp_path, capsys):
    from mognad.cli.app import main

    export = tmp_path / "export.csv"
    export.write_bytes((REAL / "google_forms_2281.csv").read_bytes())
    out = tmp_path / "mappningar"
    assert main(["templates", "--mapping-from", str(export), "--municipality", "2281",
                 "--dir", str(out)]) == 0  # fmt: skip
    written = out / "2281" / "survey.yaml"
    text = written.read_text(encoding="utf-8")
    assert "Tas bort / dropped: E-postadress" in text and "anna.andersson" not in text
    capsys.readouterr()
    assert main(["check", str(export), "--feed", "survey", "--municipality", "2281",
                 "--mapping", str(written)]) == 0  # fmt: skip
    shown = capsys.readouterr().out
    assert "Mappning: survey.yaml" in shown and "Borttagna kolumner (sparas aldrig): 3" in shown
    assert "Dropped columns (never stored): 3" in shown
