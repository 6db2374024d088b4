"""The rules table (``rules.FEED_RULES``) is the one source of each column's problems.

Both parsers read it: every problem code either gives for a column is one the table lists
for that column, every code the table lists is given on a file made to break each rule, and
the row-wise and columnar parser give the same problems on that file. Neither parser spells
a problem code of its own.
"""

from __future__ import annotations

import ast
import datetime as dt

import pytest

from mognad.contract.personnummer import build
from mognad.contract.problems import CATALOGUE, Problem
from mognad.contract.reference import codebook
from mognad.ingest import columnar, rows
from mognad.ingest.feeds import parse
from mognad.ingest.readers import Sheet
from mognad.ingest.rules import FEED_COLUMNS, FEED_RULES, ITEMS, Context, header_key

KEY = b"k" * 32
TODAY = dt.date(2026, 11, 27)
PNR = build(dt.date(1980, 1, 2), 123)


def _ctx() -> Context:
    return Context(KEY, today=TODAY, municipality_code="2281")


def column_of(feed: str, problem: Problem) -> str | None:
    """The table's column a problem names (its column is the header as delivered)."""
    key = header_key(problem.column or "")
    for col in FEED_COLUMNS[feed]:
        if key in {header_key(a) for a in (col.name, *col.aliases)}:
            return col.name
    items = {code.lower() for book in codebook().values() for code in book}
    return ITEMS if feed == "survey" and key in items else None


def assert_codes_from_the_table(feed: str, problems: list[Problem]) -> None:
    """Every row problem's code is one the table lists for its column (file-level problems,
    on the header row or on no row, are the feeds' own)."""
    for p in problems:
        if p.row in (None, 1):
            continue
        name = column_of(feed, p)
        assert name in FEED_RULES[feed], (feed, p)
        assert p.code in FEED_RULES[feed][name].codes, (feed, name, p)


# One row per (column, code) of the table, each breaking exactly that rule; the first row
# is good. Columns as the contract names them, so problems name them the same way.
BAD_FILES: dict[str, tuple[list[str], list[tuple[str, str, list[str]]]]] = {
    "survey": (
        ["respondent_id", "submitted_at", "target_group", "gender", "instrument", "F01"],
        [
            ("", "", ["r1", "2025-03-01", "chef", "K", "", "3"]),
            ("respondent_id", "missing_value", ["", "2025-03-01", "chef", "K", "", "3"]),
            ("respondent_id", "duplicate_id", ["r1", "2025-03-01", "chef", "K", "", "3"]),
            ("submitted_at", "missing_value", ["r2", "", "chef", "K", "", "3"]),
            ("submitted_at", "invalid_date", ["r3", "2025-13-01", "chef", "K", "", "3"]),
            ("target_group", "invalid_target_group", ["r4", "2025-03-01", "boss", "K", "", "3"]),
            ("gender", "invalid_gender", ["r5", "2025-03-01", "chef", "hen", "", "3"]),
            ("instrument", "unknown_instrument", ["r6", "2025-03-01", "chef", "K", "okänd", "3"]),
            (ITEMS, "invalid_answer", ["r7", "2025-03-01", "chef", "K", "dimios", "2.5"]),
            (ITEMS, "out_of_scale", ["r8", "2025-03-01", "chef", "K", "", "99"]),
        ],
    ),
    "training": (
        ["person_id", "course_code", "completed_at", "status", "hours"],
        [
            ("", "", [PNR, "DK1", "2026-01-31", "completed", "1,5"]),
            ("person_id", "missing_value", ["", "DK1", "2026-01-31", "", ""]),
            ("person_id", "invalid_personnummer", ["198001021231", "DK1", "", "started", ""]),
            ("course_code", "missing_value", [PNR, "", "2026-01-31", "", ""]),
            ("completed_at", "invalid_date", [PNR, "DK1", "x", "started", ""]),
            ("completed_at", "missing_value", [PNR, "DK1", "", "passed", ""]),
            ("status", "invalid_status", [PNR, "DK1", "", "nope", ""]),
            ("hours", "invalid_number", [PNR, "DK1", "", "", "abc"]),
        ],
    ),
    "hr": (
        ["person_id", "snapshot_date", "department", "target_group", "gender", "aid_code", "fte"],
        [
            ("", "", [PNR, "2026-01", "Skola", "", "K", "123456", "75%"]),
            ("person_id", "missing_value", ["", "2026-01", "Skola", "", "K", "", ""]),
            ("person_id", "invalid_personnummer", ["abc", "2026-01", "Skola", "", "", "", ""]),
            ("snapshot_date", "missing_value", [PNR, "", "Skola", "", "", "", ""]),
            ("snapshot_date", "invalid_date", [PNR, "2026-13", "Skola", "", "", "", ""]),
            ("department", "missing_value", [PNR, "2026-01", "", "", "", "", ""]),
            ("target_group", "invalid_target_group", [PNR, "2026-01", "Skola", "boss", "", "", ""]),
            ("gender", "invalid_gender", [PNR, "2026-01", "Skola", "", "hen", "", ""]),
            ("aid_code", "invalid_code", [PNR, "2026-01", "Skola", "", "", "12345a", ""]),
            ("fte", "invalid_number", [PNR, "2026-01", "Skola", "", "", "", "abc"]),
        ],
    ),
}


def _bad_sheet(feed: str) -> tuple[Sheet, list[tuple[int, str, str]]]:
    header, cases = BAD_FILES[feed]
    sheet = Sheet(header, [c[2] for c in cases], list(range(2, len(cases) + 2)), "csv")
    expected = [(row, name, code) for row, (name, code, _) in enumerate(cases, 2) if code]
    return sheet, expected


@pytest.mark.parametrize("feed", sorted(FEED_RULES))
def test_the_table_names_the_feeds_columns(feed):
    names = {c.name for c in FEED_COLUMNS[feed]}
    assert set(FEED_RULES[feed]) - {ITEMS} == names
    assert all(rule.column == name for name, rule in FEED_RULES[feed].items())
    assert all(code in CATALOGUE for rule in FEED_RULES[feed].values() for code in rule.codes)


@pytest.mark.parametrize("feed", sorted(BAD_FILES))
def test_both_parsers_give_the_tables_problems_on_the_same_bad_file(feed):
    sheet, expected = _bad_sheet(feed)
    by_rows = parse(feed, sheet, _ctx(), columnar=False)
    by_columns = parse(feed, sheet, _ctx(), columnar=True)
    assert by_columns.table is not None  # the columnar parser ran, no fallback to rows
    assert [p.as_dict() for p in by_columns.problems] == [p.as_dict() for p in by_rows.problems]
    assert (by_columns.rows_read, by_columns.rows_loaded) == (by_rows.rows_read, 1)
    found = [(p.row, column_of(feed, p), p.code) for p in by_rows.problems]
    assert found == expected  # each bad row breaks exactly its own rule
    assert_codes_from_the_table(feed, by_rows.problems)
    # and the bad file breaks every rule of the table: no code is listed and never given
    listed = {(name, code) for name, rule in FEED_RULES[feed].items() for code in rule.codes}
    assert {(name, code) for _, name, code in expected} == listed


def _code_literals(tree: ast.AST) -> set[str]:
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        if node.value in CATALOGUE
    }


def _functions(module, names: set[str]) -> list[ast.AST]:
    tree = ast.parse(open(module.__file__, encoding="utf-8").read())
    return [n for n in tree.body if getattr(n, "name", None) in names]


def test_neither_parser_spells_a_column_problem_of_its_own():
    """Their column problems come from the table: no problem code is written in the
    columnar parser, nor in the row-wise parsers of the tabular feeds."""
    tree = ast.parse(open(columnar.__file__, encoding="utf-8").read())
    assert _code_literals(tree) == set()
    tabular = _functions(rows, {"_Row", "_survey_row", "_training_row", "_hr_row"})
    assert len(tabular) == 4
    assert set().union(*map(_code_literals, tabular)) == set()


def test_the_columnar_parser_keeps_no_rule_of_its_own():
    """What a survey row without an instrument means is decided once, in the rules."""
    assert not hasattr(columnar, "_default_instrument")
    tree = ast.parse(open(columnar.__file__, encoding="utf-8").read())
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    used |= {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
    assert not used & {"STATUSES", "FORMATS", "_person_key", "codebook_owners"}
