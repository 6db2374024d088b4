"""Integration tests of `mognad build`: dbt build, GX validation and atomic publish."""

from __future__ import annotations

import hashlib
from datetime import date

import duckdb
import pytest
from raw_build_helpers import (
    expected_cell,
    make_respondents,
    write_hr_load,
    write_ledger,
    write_survey_load,
    write_training_load,
)

import mognad.build.run as build_module
from mognad.build.errors import BuildError
from mognad.build.run import build
from mognad.config import Settings
from mognad.quality.marts import validate_marts

KOD_A, KOD_B = "2281", "2262"


@pytest.fixture
def settings(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("MOGNAD_HOME", str(home))
    monkeypatch.delenv("MOGNAD_MIN_CELL", raising=False)
    return Settings(home=home, min_cell=5)


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _query(path, sql):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_build_scores_suppresses_publishes_and_keeps_old_file_on_failure(settings, monkeypatch):
    # Sundsvall 2025: 6 medarbetare (shown), 3 chefer (suppressed), 5 förtroendevalda
    # (hidden too: secondary suppression, or alla − the others = chefer); 2024: 5 medarbetare.
    a_2025 = make_respondents(
        KOD_A, 2025, {"medarbetare": 6, "chef": 3, "förtroendevald": 5}, seed=1
    )
    a_2024 = make_respondents(KOD_A, 2024, {"medarbetare": 5}, seed=2)
    b_2025 = make_respondents(KOD_B, 2025, {"förtroendevald": 7}, seed=3)
    write_survey_load(settings.raw, KOD_A, 2025, "L-a-2025", a_2025)
    write_survey_load(settings.raw, KOD_A, 2024, "L-a-2024", a_2024)
    write_survey_load(settings.raw, KOD_B, 2025, "L-b-2025", b_2025)
    write_ledger(
        settings.ledger_path,
        [
            (1, KOD_A, "survey", "enkat_2025.csv", "ab" * 32, "loaded", 9, 9, 0,
             "2026-01-10T08:00:00+00:00", "L-a-2025", None),
            (2, "9999", "survey", "x.csv", "cd" * 32, "quarantined", 0, 0, 0,
             "2026-01-10T08:05:00Z", None, "unknown municipality code"),
        ],
    )  # fmt: skip

    # HR: 6 chefer (p00-p05) and 20 medarbetare (p06-p25) in June and December 2025;
    # p06 holds two employments and counts once.
    employments = []
    for snap in (date(2025, 6, 30), date(2025, 12, 31)):
        for i in range(26):
            group = "chef" if i < 6 else "medarbetare"
            gender = "kvinna" if i % 2 else "man"
            employments.append((f"p{i:02}", snap, "KLF", group, gender))
        employments.append(("p06", snap, "SOC", "medarbetare", "man"))
    write_hr_load(settings.raw, KOD_A, "L-hr", employments)
    # Training: p00-p09 completed before June, p10-p11 in September, p12 failed.
    events = [(f"p{i:02}", "DIG1", date(2025, 3, 1), "completed") for i in range(10)]
    events += [(f"p{i:02}", "DIG1", date(2025, 9, 15), "passed") for i in (10, 11)]
    events += [("p12", "DIG1", None, "failed")]
    write_training_load(settings.raw, KOD_A, "L-lms", events)

    result = build(settings)

    published = settings.published_db
    assert result.published_db == published and published.exists()
    assert result.validation.success and result.validation.result_path.exists()
    schemas = _query(
        published,
        "select distinct schema_name from duckdb_tables() where database_name = current_database()",
    )
    assert schemas == [("marts",), ("reporting",)]
    assert _query(published, "select count(*) from marts.dim_municipality") == [(290,)]
    assert ("0114",) in _query(published, "select municipality_code from marts.dim_municipality")

    con = duckdb.connect(str(published), read_only=True)

    def cell(kod, wave, group, dim, cat):
        return con.execute(
            "select respondents, score_pct, suppressed from marts.fct_maturity "
            "where municipality_code = ? and wave = ? and instrument = 'dimios' "
            "and target_group = ? and dimension = ? and category = ?",
            [kod, wave, group, dim, cat],
        ).fetchall()

    try:
        # Overall index for all respondents, and one category for one group.
        n, score = expected_cell(a_2025, "alla", "alla", "alla")
        assert n == 14
        [(respondents, score_pct, suppressed)] = cell(KOD_A, 2025, "alla", "alla", "alla")
        assert (respondents, suppressed) == (14, False)
        assert score_pct == pytest.approx(score, abs=1e-9)

        # 2024: 5 medarbetare, one group: shown, scored as computed here
        n, score = expected_cell(a_2024, "medarbetare", "digital förmåga", "effektivitet")
        [(respondents, score_pct, suppressed)] = cell(
            KOD_A, 2024, "medarbetare", "digital förmåga", "effektivitet"
        )
        assert respondents == n and n >= 5 and not suppressed
        assert score_pct == pytest.approx(score, abs=1e-9)
        # 2025: the 6 medarbetare split into genders of 1-5 and sit beside the hidden
        # chefer and förtroendevalda: the build's joint protection hides them too (their
        # gender cells and the others' would otherwise follow from the totals)
        [(respondents, score_pct, suppressed)] = cell(
            KOD_A, 2025, "medarbetare", "digital förmåga", "effektivitet"
        )
        assert (respondents, score_pct, suppressed) == (None, None, True)

        # 3 chefer: hidden. 5 förtroendevalda: hidden too (the smallest shown group).
        assert cell(KOD_A, 2025, "chef", "alla", "alla") == [(None, None, True)]
        assert cell(KOD_A, 2025, "förtroendevald", "alla", "alla") == [(None, None, True)]

        # Grain: per (kommun, wave, instrument): 4 groups x (6 categories + 2 dims + 1).
        assert con.execute("select count(*) from marts.fct_maturity").fetchall() == [(3 * 4 * 9,)]
        columns = [r[0] for r in con.execute("describe marts.fct_maturity").fetchall()]
        assert columns == [
            "municipality_code", "wave", "instrument", "target_group", "dimension",
            "category", "respondents", "score_pct", "suppressed",
        ]  # fmt: skip

        def rate(wave, group):
            return con.execute(
                "select headcount, respondents, response_rate_pct, suppressed "
                "from marts.fct_response_rate where municipality_code = ? and wave = ? "
                "and target_group = ?",
                [KOD_A, wave, group],
            ).fetchall()

        def shown_or_protected(rows, expected):
            """The value when shown; hidden whole when the joint protection hid it (the
            totals below stay asserted exactly, and the audit must pass on the file)."""
            [row] = rows
            assert row in (expected, (None,) * (len(expected) - 1) + (True,)), row
            return row[-1] is False

        shown_or_protected(rate(2025, "medarbetare"), (20, 6, 30.0, False))
        # published unrounded: 100 * 14 / 26, not 53.8
        assert rate(2025, "alla") == [(26, 14, pytest.approx(100 * 14 / 26, abs=1e-9), False)]
        assert rate(2025, "chef") == [(None, None, None, True)]  # 3 respondents
        assert rate(2024, "alla") == [(None, 5, None, False)]  # no HR snapshot by 2024

        def coverage(period, group, gender="alla"):
            return con.execute(
                "select headcount, trained_persons, coverage_pct, suppressed "
                "from marts.fct_training_coverage where municipality_code = ? and period = ? "
                "and target_group = ? and gender = ?",
                [KOD_A, period, group, gender],
            ).fetchall()

        pct = pytest.approx
        assert coverage("2025-06", "alla") == [(26, 10, pct(100 * 10 / 26, abs=1e-9), False)]
        assert coverage("2025-06", "medarbetare") == [(None, None, None, True)]  # 4 trained
        shown_or_protected(coverage("2025-12", "medarbetare"), (20, 6, 30.0, False))
        assert coverage("2025-09", "alla") == [(26, 12, pct(100 * 12 / 26, abs=1e-9), False)]
        periods = con.execute(
            "select count(distinct period) from marts.fct_training_coverage"
        ).fetchall()
        assert periods == [(7,)]

        progress = con.execute(
            "select baseline_wave, baseline_score_pct, score_pct, change_pct_points, suppressed "
            "from marts.fct_maturity_progress where municipality_code = ? and wave = 2025 "
            "and instrument = 'dimios' and target_group = 'medarbetare' "
            "and dimension = 'alla' and category = 'alla'",
            [KOD_A],
        ).fetchall()
        [(baseline_wave, base, cur, change, suppressed)] = progress
        assert baseline_wave == 2024
        if not suppressed:  # (hidden with the 2025 medarbetare above)
            assert change == cur - base  # the difference of the unrounded scores
        else:
            assert change is None
        # the change since the 0-mätning, wherever it is shown: the unrounded difference
        for cur, base, change in con.execute(
            "select score_pct, baseline_score_pct, change_pct_points "
            "from marts.fct_maturity_progress where not suppressed"
        ).fetchall():
            assert change == cur - base

        from mognad.quality.disclosure.audit import audit

        assert audit(published, 5).passed  # what was hidden cannot be derived

        log = con.execute(
            "select municipality_code, status, received_at::varchar from marts.ingest_log "
            "order by attempt_id"
        ).fetchall()
        assert log == [
            (KOD_A, "loaded", "2026-01-10 08:00:00"),
            ("9999", "quarantined", "2026-01-10 08:05:00"),
        ]
    finally:
        con.close()

    # A corrupted build file fails validation with a readable reason.
    con = duckdb.connect(str(settings.build_db))
    con.execute("update marts.fct_maturity set score_pct = 150 where not suppressed")
    con.close()
    outcome = validate_marts(settings)
    assert not outcome.success
    assert "score_pct" in outcome.summary and "expect_column_values_to_be_between" in (
        outcome.summary
    )

    # A build whose marts fail validation leaves the published file byte-identical.
    before = _sha(published)
    real_run_dbt = build_module.run_dbt

    def run_dbt_then_corrupt(s, **kwargs):
        result = real_run_dbt(s, **kwargs)
        c = duckdb.connect(str(s.build_db))
        c.execute("update marts.fct_maturity set municipality_code = '12' where true")
        c.close()
        return result

    monkeypatch.setattr(build_module, "run_dbt", run_dbt_then_corrupt)
    # (the joint disclosure control or the validation stops it, whichever sees it first)
    with pytest.raises(BuildError, match="validation failed|disclosure control failed"):
        build(settings)
    assert _sha(published) == before
    assert not (published.parent / ".mognad.duckdb.tmp").exists()


def test_build_with_no_raw_data_publishes_empty_facts(settings):
    """A fresh home (no deliveries, no ledger) builds and publishes: the municipalities and
    empty fact tables, so dashboards work from day one."""
    # HR: 6 chefer (p00-p05) and 20 medarbetare (p06-p25) in June and December 2025;
    # p06 holds two employments and counts once.
    employments = []
    for snap in (date(2025, 6, 30), date(2025, 12, 31)):
        for i in range(26):
            group = "chef" if i < 6 else "medarbetare"
            gender = "kvinna" if i % 2 else "man"
            employments.append((f"p{i:02}", snap, "KLF", group, gender))
        employments.append(("p06", snap, "SOC", "medarbetare", "man"))
    write_hr_load(settings.raw, KOD_A, "L-hr", employments)
    # Training: p00-p09 completed before June, p10-p11 in September, p12 failed.
    events = [(f"p{i:02}", "DIG1", date(2025, 3, 1), "completed") for i in range(10)]
    events += [(f"p{i:02}", "DIG1", date(2025, 9, 15), "passed") for i in (10, 11)]
    events += [("p12", "DIG1", None, "failed")]
    write_training_load(settings.raw, KOD_A, "L-lms", events)

    result = build(settings)
    assert result.validation.success
    published = settings.published_db
    assert _query(published, "select count(*) from marts.fct_maturity") == [(0,)]
    assert _query(published, "select count(*) from marts.ingest_log") == [(0,)]
    assert _query(published, "select count(*) from marts.dim_municipality") == [(290,)]
    log_types = duckdb.sql(
        f"select column_name, column_type from (describe "
        f"select * from '{settings.raw / 'ingest_log.parquet'}')"
    ).fetchall()
    assert ("received_at", "TIMESTAMP") in log_types and ("rows_read", "BIGINT") in log_types


def test_dbt_failure_is_one_line_and_publishes_nothing(settings):
    """An answer off the codebook scale fails the dbt test; nothing is published."""
    respondents = make_respondents(KOD_A, 2025, {"chef": 5}, seed=4)
    respondents[0]["answers"]["F01"] = 9  # scale is 1-6
    write_survey_load(settings.raw, KOD_A, 2025, "L-bad", respondents)
    with pytest.raises(BuildError) as info:
        build(settings)
    message = str(info.value)
    assert "\n" not in message and "assert_survey_answers_within_scale" in message
    assert not settings.published_db.exists()


def test_incremental_build_tests_only_new_loads_and_still_catches_their_faults(settings):
    """An incremental build runs the survey models' data tests on the rows of new
    loads only (a duplicate can only occur inside one load); a duplicate respondent in a new
    load still fails the build, and the loads a passing build tested are recorded."""
    write_survey_load(
        settings.raw, KOD_A, 2025, "L-1", make_respondents(KOD_A, 2025, {"chef": 6}, seed=5)
    )
    build(settings)
    tested = "select model, load_id from main.mognad_tested_loads order by all"
    assert _query(settings.build_db, tested) == [
        ("int_maturity__respondent_scores", "L-1"),
        ("stg_survey__answers", "L-1"),
    ]
    twice = make_respondents(KOD_B, 2025, {"chef": 6}, seed=6)
    twice.append(dict(twice[0]))  # the same respondent twice in one file
    write_survey_load(settings.raw, KOD_B, 2025, "L-2", twice)
    with pytest.raises(BuildError) as info:
        build(settings)
    assert "unique_combination_of_columns" in str(info.value)
    assert [r[1] for r in _query(settings.build_db, tested)] == ["L-1", "L-1"]
