"""The demo-data generator: deterministic, realistic variety, and the planted problems."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import zipfile
from datetime import date
from pathlib import Path

import pytest

from mognad.contract import personnummer as pn
from mognad.contract.reference import VASTERNORRLAND
from mognad.demo.generate import generate

SCALE = 0.02
PNR_HEADERS = {"personnummer", "person_id"}
PNR_LIKE = re.compile(r"^(\d{2})?\d{6}[-+]?\d{4}$")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    inbox = tmp_path_factory.mktemp("inbox")
    return generate(inbox, seed=2024, scale=SCALE)


def _hashes(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252"), "cp1252"


def _read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    text, _ = _decode(path.read_bytes())
    first = text.splitlines()[0]
    delim = max(";,\t", key=first.count)
    rows = list(csv.reader(io.StringIO(text), delimiter=delim))
    return [h.strip().lower() for h in rows[0]], rows[1:]


def _xlsx_strings(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as z:
        xml = z.read("xl/sharedStrings.xml").decode("utf-8")
    return re.findall(r"<t(?: [^>]*)?>([^<]*)</t>", xml)


def test_personnummer_helpers():
    assert pn.luhn_digit("811218987") == 6
    assert pn.is_valid("811218-9876")
    assert pn.is_valid("8112189876")
    assert pn.is_valid("19811218-9876")
    assert pn.normalize("811218-9876", today=date(2026, 1, 1)) == "198112189876"
    assert pn.normalize("811218+9876", today=date(2026, 1, 1)) == "188112189876"
    assert not pn.is_valid("811218-9875")
    assert not pn.is_valid("811318-9876")  # month 13
    s = pn.build(date(1990, 2, 3), 123, samordning=True)
    assert s[6:8] == "63" and pn.is_valid(s) and pn.is_samordningsnummer(s)
    for form in ("long", "long-", "short-", "short"):
        assert pn.normalize(pn.format_as(s, form)) == s


def test_deterministic(tmp_path):
    a = generate(tmp_path / "a", seed=7, scale=SCALE)
    b = generate(tmp_path / "b", seed=7, scale=SCALE)
    generate(tmp_path / "c", seed=8, scale=SCALE)
    ha, hb, hc = _hashes(tmp_path / "a"), _hashes(tmp_path / "b"), _hashes(tmp_path / "c")
    assert ha == hb
    assert ha != hc
    assert a.rows == b.rows and a.bad == b.bad


def test_files_for_every_municipality_and_feed(demo):
    for code in VASTERNORRLAND:
        for feed in ("survey", "training", "hr", "plan"):
            assert any((demo.inbox / code / feed).iterdir()), (code, feed)
    names = {p.name for p in demo.files}
    assert "dimios_2024_sundsvall.csv" in names and "hr_2025-03.csv" in names
    assert all(p.is_file() for p in demo.files)
    assert len(demo.files) == len(set(demo.files)) == len(_hashes(demo.inbox))
    assert demo.rows["survey"] > 0 and demo.rows["training"] > 0 and demo.rows["hr"] > 0


def test_variety(demo):
    encodings, delimiters, xlsx = set(), set(), 0
    for p in demo.files:
        if p.suffix == ".csv":
            text, enc = _decode(p.read_bytes())
            encodings.add(enc)
            first = text.splitlines()[0]
            delimiters.add(max(";,\t", key=first.count))
        elif p.suffix == ".xlsx":
            xlsx += 1
    assert encodings == {"utf-8", "utf-8-sig", "cp1252"}
    assert delimiters == {";", ",", "\t"}
    assert xlsx >= 3
    xapi = [p for p in demo.files if p.name.startswith("xapi_")]
    kinds = {p.read_text("utf-8").lstrip()[:1] for p in xapi}
    assert kinds == {"[", "{"}  # an array and JSON lines


def test_exactly_one_unreadable_file(demo):
    assert len(demo.unreadable) == 1
    broken = demo.inbox / demo.unreadable[0].file
    for p in demo.files:
        if p.suffix == ".xlsx":
            if p == broken:
                with pytest.raises(zipfile.BadZipFile):
                    zipfile.ZipFile(p).read("xl/worksheets/sheet1.xml")
            else:
                assert zipfile.ZipFile(p).testzip() is None
        elif p.suffix == ".csv":
            _read_csv(p)
        elif p.suffix == ".json":
            text = p.read_text("utf-8")
            if text.startswith("["):
                json.loads(text)
            else:
                [json.loads(line) for line in text.splitlines()]


def test_personnummer_valid_except_planted(demo):
    planted = {(b.file, b.row) for b in demo.bad if b.kind == "invalid_personnummer"}
    assert len(planted) == 1
    invalid, seen, samordning = set(), 0, 0
    for p in demo.files:
        rel = p.relative_to(demo.inbox).as_posix()
        if p.suffix == ".csv" and "/survey/" not in rel and "/plan/" not in rel:
            header, rows = _read_csv(p)
            col = next(i for i, h in enumerate(header) if h in PNR_HEADERS)
            for n, r in enumerate(rows, start=2):
                seen += 1
                samordning += pn.is_samordningsnummer(r[col])
                if not pn.is_valid(r[col]):
                    invalid.add((rel, n))
        elif p.suffix == ".json":
            text = p.read_text("utf-8")
            stmts = (
                json.loads(text)
                if text.startswith("[")
                else [json.loads(line) for line in text.splitlines()]
            )
            for s in stmts:
                seen += 1
                assert pn.is_valid(s["actor"]["account"]["name"])
                assert s["verb"]["id"].rsplit("/", 1)[1] in {
                    "completed",
                    "passed",
                    "failed",
                    "attempted",
                    "launched",
                }
        elif (
            p.suffix == ".xlsx"
            and "/survey/" not in rel
            and p.name != Path(demo.unreadable[0].file).name
        ):
            for v in _xlsx_strings(p):
                if PNR_LIKE.match(v):
                    seen += 1
                    assert pn.is_valid(v), rel
    assert invalid == planted
    assert seen > 1000 and samordning > 0


def test_planted_rows_are_where_the_summary_says(demo):
    kinds = {b.kind for b in demo.bad}
    assert kinds == {
        "invalid_personnummer",
        "invalid_target_group",
        "answer_out_of_range",
        "duplicate_respondent_id",
        "unparseable_date",
        "unreadable_file",
    }
    for b in demo.bad:
        if b.row is None:
            continue
        header, rows = _read_csv(demo.inbox / b.file)
        row = rows[b.row - 2]
        value = row[header.index(b.column.strip().lower())]
        if b.kind == "invalid_personnummer":
            assert not pn.is_valid(value)
        elif b.kind == "invalid_target_group":
            assert value == "konsult"
        elif b.kind == "answer_out_of_range":
            assert value == "9"
        elif b.kind == "duplicate_respondent_id":
            assert [r[0] for r in rows].count(value) == 2
        elif b.kind == "unparseable_date":
            assert value == "2025-06-31"


def test_maturity_improves(demo):
    means = demo.survey_mean_answer
    assert means[2026] > means[2024]
    sums: dict[int, list[int]] = {}
    items = [f"f{i:02d}" for i in range(1, 16)] + [f"a{i:02d}" for i in range(1, 16)]
    for p in demo.files:
        if p.name.startswith("dimios_") and p.suffix == ".csv":
            if _decode(p.read_bytes())[1] == "cp1252":
                continue
            wave = int(p.name.split("_")[1])
            header, rows = _read_csv(p)
            cols = [header.index(i) for i in items]
            for r in rows:
                for c in cols:
                    if r[c].isdigit() and 1 <= int(r[c]) <= 6:
                        sums.setdefault(wave, []).append(int(r[c]))
    mean = {w: sum(v) / len(v) for w, v in sums.items()}
    assert mean[2026] > mean[2024]


def test_cp1252_file(demo):
    cp = []
    for p in demo.files:
        if p.suffix == ".csv":
            data = p.read_bytes()
            if _decode(data)[1] == "cp1252":
                cp.append(p)
                with pytest.raises(UnicodeDecodeError):
                    data.decode("utf-8")
    assert cp
    text = "".join(p.read_bytes().decode("cp1252") for p in cp)
    assert all(ch in text for ch in "åäö")
    assert b"\xe5" in b"".join(p.read_bytes() for p in cp)


def test_survey_respondent_ids_unique_except_planted(demo):
    dup_files = {b.file for b in demo.bad if b.kind == "duplicate_respondent_id"}
    for p in demo.files:
        rel = p.relative_to(demo.inbox).as_posix()
        if "/survey/" in rel and p.suffix == ".csv":
            _, rows = _read_csv(p)
            ids = [r[0] for r in rows]
            assert (len(set(ids)) == len(ids)) == (rel not in dup_files), rel


def test_other_municipalities_and_tiny_scale(tmp_path):
    s = generate(
        tmp_path,
        seed=1,
        scale=0.001,
        municipalities=["0180", "2523"],
        hr_months=[(2024, 12), (2025, 12)],
    )
    assert set(s.staff) == {"0180", "2523"}
    assert len(s.unreadable) == 1
    assert {b.kind for b in s.bad} >= {"invalid_personnummer", "invalid_target_group"}
    assert {p.parent.name for p in s.files} == {"survey", "training", "hr", "plan"}
    assert len(list((tmp_path / "0180" / "hr").iterdir())) == 2
