"""The columnar parse equals the row-by-row parse: same records, same problems, same counts.

The row parser (``feeds.parse(..., columnar=False)``) is the reference; the columnar one is
what ingest runs. They are compared on every tabular file of the demo inbox (its deliberate
bad rows included) and on generated messy sheets of every feed; every problem either
gives is one the rules table lists for its column (``test_ingest_table``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mognad.demo.generate import generate
from mognad.ingest.columnar import parse_columns
from mognad.ingest.feeds import parse
from mognad.ingest.readers import Sheet, read_file
from mognad.ingest.rows import ROW_PARSERS
from mognad.ingest.rules import Context, Parsed, map_header
from tests.unit.test_ingest_table import assert_codes_from_the_table

KEY = b"k" * 32
TODAY = dt.date(2026, 11, 27)


def _ctx() -> Context:
    return Context(KEY, today=TODAY, municipality_code="2281")


def _records(parsed: Parsed) -> list[dict]:
    if parsed.table is None:
        return parsed.records
    return parsed.table.to_pylist()


def assert_same(feed: str, sheet: Sheet) -> Parsed:
    rows = parse(feed, sheet, _ctx(), columnar=False)
    cols = parse(feed, sheet, _ctx(), columnar=True)
    assert (cols.rows_read, cols.rows_loaded) == (rows.rows_read, rows.rows_loaded)
    assert [p.as_dict() for p in cols.problems] == [p.as_dict() for p in rows.problems]
    assert _records(cols) == rows.records
    assert_codes_from_the_table(feed, rows.problems)
    return cols


@pytest.fixture(scope="module")
def demo_inbox(tmp_path_factory) -> Path:
    inbox = tmp_path_factory.mktemp("inbox")
    generate(inbox, seed=7, scale=0.05, municipalities=["2281", "2262"], hr_months=[(2026, 1)])
    return inbox


def test_demo_files_parse_the_same_both_ways(demo_inbox):
    checked = {"survey": 0, "training": 0, "hr": 0}
    columnar = 0
    for path in sorted(demo_inbox.rglob("*")):
        feed = path.parent.name
        if not path.is_file() or feed not in checked:
            continue
        data = path.read_bytes()
        try:
            sheet = read_file(path, data)
        except Exception:
            continue  # the demo's one unreadable file
        parsed = assert_same(feed, sheet)
        checked[feed] += 1
        columnar += parsed.table is not None
    assert all(checked.values()), checked
    # the fast path is the one that ran (JSON/xAPI files go row by row)
    assert columnar >= sum(checked.values()) * 0.7


def _sheet(header: list[str], rows: list[list[str | None]], kind: str = "csv") -> Sheet:
    return Sheet(header, rows, list(range(2, len(rows) + 2)), kind)


PNR = ["198001021230", "19800102-1230", "8001021230", "800102-1230", "199005660452", ""]
BAD_PNR = ["198001021231", "abc", "19800230-1234"]
DATES = ["2026-01-31", "2026-01", "31.01.2026", "20260131", "45000", "2026-13", "x", ""]
TIMES = ["2025-03-01T10:00:00Z", "2025-03-01 10:00", "2025-03-01", "45000.5", "nej", ""]
GROUPS = ["Chef", "medarbetare", " Förtroendevald ", "politiker", "boss", ""]
GENDERS = ["K", "man", "x", "vet ej", "", "hen", "Kvinna"]
NUMBERS = ["1,5", "2.25", "75%", "100", "", "abc", "1 000,5"]
STATUS = ["completed", "Slutförd", "started", "", "nope", "passed", "underkänd"]
FORMATS = ["webb", "workshop", "", "Annat", "podd"]
ANSWERS = ["1", "3", "6", "", "vet ej", "7", "0", "2,0", "2.5", "x", " 4 "]
IDS = ["r1", "r2", "r3", "r1", "", " r2"]


def _rows_of(draw, pools: list[list[str]], n_rows: int, ragged: bool) -> list[list[str | None]]:
    rows = []
    for _ in range(n_rows):
        row = [draw(st.sampled_from(pool)) for pool in pools]
        if ragged and draw(st.booleans()):
            row = row[: draw(st.integers(min_value=1, max_value=len(row)))]
        if draw(st.booleans()):
            row = [None if v == "" else v for v in row]  # XLSX leaves empty cells as None
        rows.append(row)
    return rows


@st.composite
def hr_sheets(draw):
    header = ["personnummer", "datum", "förvaltning", "enhet", "målgrupp", "chef", "kön", "aid"]
    header += ["sysselsättningsgrad"]
    pools = [
        PNR + BAD_PNR,
        DATES,
        ["Socialförvaltningen", "", "Skola"],
        ["A", ""],
        GROUPS,
        ["ja", "nej", ""],
        GENDERS,
        ["123456", "1234", "12345a", ""],
        NUMBERS,
    ]
    rows = _rows_of(draw, pools, draw(st.integers(1, 12)), draw(st.booleans()))
    return _sheet(header, rows, draw(st.sampled_from(["csv", "xlsx"])))


@st.composite
def training_sheets(draw):
    header = ["personnummer", "kurskod", "kursnamn", "slutförd", "status", "form", "timmar"]
    pools = [PNR + BAD_PNR, ["DK1", "", "DK2"], ["Kurs", ""], DATES, STATUS, FORMATS, NUMBERS]
    rows = _rows_of(draw, pools, draw(st.integers(1, 12)), draw(st.booleans()))
    return _sheet(header, rows, draw(st.sampled_from(["csv", "xlsx"])))


@st.composite
def survey_sheets(draw):
    items = draw(
        st.sampled_from([["F01", "F02", "F03"], ["DC11", "DC12"], ["F01", "DC11"], ["F01"]])
    )
    header = ["svars_id", "inskickad", "målgrupp", "kön", "förvaltning"]
    pools = [IDS, TIMES, GROUPS, GENDERS, ["Skola", ""]]
    if draw(st.booleans()):
        header.append("enkät")
        pools.append(["", "dimios", "DiMiOS", "digcomp", "okänd"])
    header += items
    pools += [ANSWERS] * len(items)
    rows = _rows_of(draw, pools, draw(st.integers(1, 12)), draw(st.booleans()))
    return _sheet(header, rows, draw(st.sampled_from(["csv", "xlsx"])))


SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))


@SETTINGS
@given(sheet=hr_sheets())
def test_hr_columnar_equals_rows(sheet):
    assert assert_same("hr", sheet).table is not None  # no fallback to rows


@SETTINGS
@given(sheet=training_sheets())
def test_training_columnar_equals_rows(sheet):
    assert assert_same("training", sheet).table is not None  # no fallback to rows


@SETTINGS
@given(sheet=survey_sheets())
def test_survey_columnar_equals_rows(sheet):
    assert_same("survey", sheet)


def test_the_fast_path_runs_on_a_clean_file():
    """Not only equal: the columnar parser itself produced the result (no fallback)."""
    header = ["svars_id", "inskickad", "målgrupp", "kön", "F01", "F02"]
    rows = [[f"r{i}", "2025-03-01", "chef", "K", "3", ""] for i in range(50)]
    rows.append(["r0", "2025-03-01", "chef", "K", "3", "4"])  # a duplicate id
    sheet = _sheet(header, rows)
    hmap = map_header("survey", header)
    fast = parse_columns("survey", sheet, hmap, _ctx(), ROW_PARSERS["survey"])
    assert fast is not None and fast.table is not None
    assert fast.table.num_rows == 100 and fast.rows_loaded == 50
    assert [(p.row, p.code) for p in fast.problems] == [(52, "duplicate_id")]
    assert_same("survey", sheet)


def test_two_instruments_in_one_file_fall_back_to_rows():
    header = ["svars_id", "inskickad", "målgrupp", "enkät", "F01", "DC11"]
    rows = [["a", "2025-03-01", "chef", "dimios", "3", "2"]]
    rows.append(["b", "2025-03-01", "chef", "digcomp", "3", "2"])
    sheet = _sheet(header, rows)
    hmap = map_header("survey", header)
    assert parse_columns("survey", sheet, hmap, _ctx(), ROW_PARSERS["survey"]) is None
    assert assert_same("survey", sheet).table is None
