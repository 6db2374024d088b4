"""docs/metod.md: the worked example's check table equals the marts built from its files."""

from __future__ import annotations

import re

import duckdb
import pytest
from metod_example import built_example

from mognad.config import PROJECT_DIR
from tests.conftest import make_settings

METOD = PROJECT_DIR / "docs" / "metod.md"


def check_rows() -> list[tuple[str, dict[str, str], str, str]]:
    text = METOD.read_text(encoding="utf-8")
    block = re.search(r"<!-- kontroll:start.*?-->(.*?)<!-- kontroll:end -->", text, re.S)
    assert block, "docs/metod.md has no check table"
    rows = []
    for line in block.group(1).strip().splitlines()[2:]:
        table, where, column, value = [c.strip() for c in line.strip().strip("|").split("|")]
        filters = dict(part.strip().split("=", 1) for part in where.split(","))
        rows.append((table, filters, column, value))
    return rows


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    return built_example(tmp_path_factory, make_settings)


def test_check_table_is_substantial():
    rows = check_rows()
    assert len(rows) >= 15
    assert {r[0] for r in rows} >= {
        "fct_maturity", "fct_maturity_progress", "fct_response_rate", "fct_training_coverage"
    }  # fmt: skip


@pytest.mark.parametrize("row", check_rows(), ids=lambda r: f"{r[0]}.{r[2]}")
def test_worked_example_number_equals_the_mart(example, row):
    table, filters, column, expected = row
    where = " and ".join(f'cast("{k}" as varchar) = ?' for k in filters)
    con = duckdb.connect(str(example.published_db), read_only=True)
    try:
        found = con.execute(
            f'select "{column}" from marts."{table}" where {where}', list(filters.values())
        ).fetchall()
    finally:
        con.close()
    assert len(found) == 1, (table, filters, found)
    value = found[0][0]
    if expected == "NULL":
        assert value is None
    elif expected in ("true", "false"):
        assert value is (expected == "true")
    else:
        assert value is not None and float(value) == pytest.approx(float(expected), abs=1e-9)


def test_prose_numbers_match_the_table():
    text = METOD.read_text(encoding="utf-8")
    for number in ("56,0", "67,5", "+11,5", "70,0", "67,0", "20,0 %", "40,0 %", "44,0 %"):
        assert number in text


def test_published_numbers_are_unrounded_and_recompute_exactly(example):
    """Scores and percentages are published unrounded: each percentage is exactly its
    fraction, and a change from the 0-mätning is exactly the difference of the two
    published scores (not of two rounded ones)."""
    con = duckdb.connect(str(example.published_db), read_only=True)
    try:
        rates = con.execute(
            "select respondents, headcount, response_rate_pct from marts.fct_response_rate "
            "where response_rate_pct is not null"
        ).fetchall()
        coverage = con.execute(
            "select trained_persons, headcount, coverage_pct from marts.fct_training_coverage "
            "where not suppressed"
        ).fetchall()
        changes = con.execute(
            "select baseline_score_pct, score_pct, change_pct_points "
            "from marts.fct_maturity_progress where not suppressed"
        ).fetchall()
        profile = con.execute(
            "select score_pct, region_score_pct, diff_pct_points "
            "from marts.fct_category_profile where not suppressed"
        ).fetchall()
    finally:
        con.close()
    assert rates and coverage and changes and profile
    for part, whole, pct in rates + coverage:
        assert pct == pytest.approx(100 * part / whole, abs=1e-9)
    for base, cur, change in changes:
        assert change == cur - base
    for score, region, diff in profile:
        assert diff == score - region
