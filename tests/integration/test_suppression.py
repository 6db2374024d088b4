"""Disclosure control: no hidden cell can be recovered by subtraction (CONTRACT §4).

An attacker's check (suppression_helpers.recoverable_cells) over every published breakdown
with counts, on the demo data and on small hand-made cases."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest
from raw_build_helpers import make_respondents, write_hr_load, write_survey_load
from suppression_helpers import BREAKDOWNS, recoverable_cells

from mognad.build.run import build
from mognad.config import Settings


def _open(path):
    return duckdb.connect(str(path), read_only=True)


def test_no_hidden_cell_is_recoverable_in_the_demo_marts(demo_build):
    con = _open(demo_build.settings.published_db)
    try:
        found = recoverable_cells(con)
        hidden = {
            mart: con.execute(
                f"select count(*) filter (where suppressed) from marts.{mart}"
            ).fetchone()[0]
            for mart in BREAKDOWNS
        }
        # fct_maturity = the gender 'alla' rows of fct_maturity_gender, hidden alike
        mismatch = con.execute(
            """
            select count(*) from marts.fct_maturity as m
            join marts.fct_maturity_gender as g using
                (municipality_code, wave, instrument, target_group, dimension, category)
            where g.gender = 'alla' and (m.suppressed <> g.suppressed
                or m.respondents is distinct from g.respondents)
            """
        ).fetchone()[0]
        # the regional average uses only shown municipality cells
        region = con.execute(
            """
            select count(*) from marts.fct_maturity_region as r
            join (
                select d.county_code, wave, instrument, target_group, dimension, category,
                    sum(respondents) filter (where not suppressed) as shown
                from marts.fct_maturity join marts.dim_municipality as d
                    using (municipality_code)
                group by all
            ) as s using (county_code, wave, instrument, target_group, dimension, category)
            where r.respondents is distinct from s.shown
            """
        ).fetchone()[0]
    finally:
        con.close()
    assert found == [], found[:10]
    assert all(n > 0 for n in hidden.values()), hidden  # the test has something to attack
    assert mismatch == 0 and region == 0


@pytest.fixture
def home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("MOGNAD_HOME", str(home))
    return Settings(home=home, min_cell=5)


def test_hand_made_cases_hide_a_second_cell(home):
    # 2281: 3 chefer (primary), 6 förtroendevalda, 12 medarbetare -> the smallest shown
    # group (förtroendevald) is hidden too, or alla − medarbetare − förtroendevald = chef.
    a = make_respondents("2281", 2025, {"chef": 3, "förtroendevald": 6, "medarbetare": 12}, 1)
    write_survey_load(home.raw, "2281", 2025, "L-a", a)
    # 2262: 4 chefer, nobody else but 20 medarbetare: the empty groups protect nothing, so
    # medarbetare is hidden too (alla − medarbetare = the chefer).
    b = make_respondents("2262", 2025, {"chef": 4, "medarbetare": 20}, 2)
    write_survey_load(home.raw, "2262", 2025, "L-b", b)
    # HR 2281: 7 chefer (3 women), 30 medarbetare; coverage has no training: all shown
    # except where a gender group is below 5.
    emp = [(f"c{i}", date(2025, 12, 31), "KLF", "chef", "kvinna" if i < 3 else "man")
           for i in range(7)]  # fmt: skip
    emp += [(f"m{i}", date(2025, 12, 31), "KLF", "medarbetare", "kvinna" if i % 2 else "man")
            for i in range(30)]  # fmt: skip
    write_hr_load(home.raw, "2281", "L-hr", emp)
    build(home)

    con = _open(home.published_db)
    try:

        def groups(kod):
            return dict(
                con.execute(
                    "select target_group, suppressed from marts.fct_maturity "
                    "where municipality_code = ? and dimension = 'alla' and category = 'alla'",
                    [kod],
                ).fetchall()
            )

        assert groups("2281") == {
            "chef": True, "förtroendevald": True, "medarbetare": False, "alla": False
        }  # fmt: skip
        assert groups("2262") == {
            "chef": True, "förtroendevald": True, "medarbetare": True, "alla": False
        }  # fmt: skip
        cov = dict(
            con.execute(
                "select target_group || '/' || gender, suppressed "
                "from marts.fct_training_coverage where period = '2025-12'"
            ).fetchall()
        )
        # chef/kvinna = 3 (primary); chef/man hidden too (chef/alla is shown);
        # then the gender lines need a second hidden cell: medarbetare/kvinna and /man.
        assert cov["chef/kvinna"] and cov["chef/man"]
        assert not cov["alla/alla"]
        assert recoverable_cells(con) == []
    finally:
        con.close()
