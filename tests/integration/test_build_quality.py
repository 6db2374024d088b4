"""Write-audit-publish: the raw-batch gate holds a bad batch back and says so; a failing
mart expectation keeps the previous published file; Data Docs and dbt docs read offline."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from datetime import date

import duckdb
import pytest
from raw_build_helpers import (
    make_respondents,
    write_hr_load,
    write_kolada_load,
    write_ledger,
    write_survey_load,
)

import mognad.quality.gate as quality_module
import mognad.quality.marts as marts_module
from mognad.build.dbt import docs_generate
from mognad.build.errors import BuildError
from mognad.build.run import build
from mognad.config import Settings
from mognad.ingest.receipts import write_receipt

KOD = "2281"


@pytest.fixture
def home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("MOGNAD_HOME", str(home))
    return Settings(home=home, min_cell=5)


def _receipt(settings, file, status="loaded", rows=0):
    write_receipt(
        settings.inbox / KOD / "receipts",
        {"file": file, "sha256": "ef" * 32, "feed": "hr", "municipality_code": KOD,
         "status": status, "rows_read": rows, "rows_loaded": rows, "rows_rejected": 0,
         "problems": []},
    )  # fmt: skip


def _one(path, sql, params=()):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def test_failing_raw_batch_is_held_back_reported_and_marts_still_publish(home):
    write_survey_load(home.raw, KOD, 2025, "L-ok", make_respondents(KOD, 2025, {"chef": 6}, 1))
    # An hr batch whose person_key is not a pseudonym (e.g. a clear personnummer): the gate
    # must keep it out of every mart.
    bad = [("197001011234", date(2025, 12, 31), "KLF", "chef", "man") for _ in range(6)]
    write_hr_load(home.raw, KOD, "L-bad", bad)
    write_ledger(
        home.ledger_path,
        [
            (1, KOD, "survey", "enkat_2025.csv", "ab" * 32, "loaded", 6, 6, 0,
             "2026-01-10T08:00:00Z", "L-ok", None),
            (2, KOD, "hr", "hr.csv", "ef" * 32, "loaded", 6, 6, 0,
             "2026-01-10T08:01:00Z", "L-bad", None),
        ],
    )  # fmt: skip
    _receipt(home, "hr.csv", rows=6)

    result = build(home)

    assert result.prepared.batches_checked == 2
    assert result.prepared.batches_failed == ["L-bad"]
    published = home.published_db
    assert _one(published, "select count(*) from marts.fct_training_coverage") == [(0,)]
    assert _one(published, "select count(*) from marts.fct_maturity where not suppressed")[0][0]
    [(reason,)] = _one(published, "select reason from marts.ingest_log where load_id = 'L-bad'")
    assert reason.startswith("quality_failed: ") and "person_key" in reason
    assert _one(published, "select reason_code, file from marts.fct_quarantine") == [
        ("quality_failed", "hr.csv")
    ]
    assert _one(
        published, "select load_id, success from marts.fct_batch_checks order by load_id"
    ) == [("L-bad", False), ("L-ok", True)]
    [(status, quarantined)] = _one(
        published,
        "select last_status, files_quarantined from marts.fct_data_delivery where feed = 'hr'",
    )
    assert (status, quarantined) == ("quality_failed", 1)

    # The receipt keeps its status and gains a quality section; the text twin says it too.
    folder = home.inbox / KOD / "receipts"
    receipt = json.loads((folder / "hr.csv.loaded.json").read_text(encoding="utf-8"))
    assert receipt["status"] == "loaded" and receipt["quality"]["status"] == "failed"
    assert any("person_key" in f for f in receipt["quality"]["failed_expectations"])
    text = (folder / "hr.csv.loaded.txt").read_text(encoding="utf-8")
    assert "Kvalitetskontroll: underkänd" in text and "Quality check: failed" in text
    assert "197001011234" not in json.dumps(receipt) + text  # no clear identifier echoed

    # Recorded in the ledger; the next build does not check (or amend) it again.
    con = sqlite3.connect(home.ledger_path)
    assert con.execute("select load_id, success from batch_checks order by 1").fetchall() == [
        ("L-bad", 0),
        ("L-ok", 1),
    ]
    con.close()
    again = build(home)
    assert again.prepared.batches_checked == 0 and not again.dbt.full_refresh

    # Data Docs: static HTML, no scripts, nothing from a CDN, failed batch visible.
    index = (home.quality_dir / "index.html").read_text(encoding="utf-8")
    pages = [p.read_text(encoding="utf-8") for p in home.quality_dir.glob("*.html")]
    assert len(pages) >= 3 and "underkänd" in index
    for page in pages:
        assert "197001011234" not in page
        assert "<script" not in page and not re.search(r"(src|href)=['\"]https?:", page)
    assert any("L-bad" in p and "expect_column_values_to_match_regex" in p for p in pages)

    # dbt docs: generate works against the build file, one static page readable offline.
    static = docs_generate(home)
    assert static.exists() and "fct_maturity_gender" in static.read_text(encoding="utf-8")
    catalog = json.loads((static.parent / "catalog.json").read_text(encoding="utf-8"))
    assert "model.mognad.fct_training_completions" in catalog["nodes"]


def test_failing_mart_expectation_keeps_the_published_file_byte_identical(home, monkeypatch):
    write_survey_load(home.raw, KOD, 2025, "L-1", make_respondents(KOD, 2025, {"chef": 6}, 1))
    # Kolada (pulled): population for two years, plus another KPI and gender split.
    write_kolada_load(
        home.raw,
        KOD,
        "L-kolada",
        [("N01951", 2024, "alla", 99100.0), ("N01951", 2025, "alla", 99500.0),
         ("N01951", 2025, "kvinna", 49800.0), ("N00945", 2025, "alla", 12.5)],
    )  # fmt: skip
    build(home)
    published = home.published_db
    assert _one(published, "select * from marts.dim_population order by year") == [
        (KOD, 2024, 99100, "Kolada"),
        (KOD, 2025, 99500, "Kolada"),
    ]
    before = hashlib.sha256(published.read_bytes()).hexdigest()

    # A new delivery arrives, but a mart expectation fails (a stricter suite than the data).
    write_survey_load(home.raw, KOD, 2026, "L-2", make_respondents(KOD, 2026, {"chef": 7}, 2))
    real = marts_module.load_suites

    def stricter(folder):
        suites = real(folder)
        for s in suites:
            if s["meta"]["table"] == "marts.fct_maturity":
                s["expectations"].append(
                    {"type": "expect_column_values_to_be_between",
                     "kwargs": {"column": "wave", "max_value": 2025}}
                )  # fmt: skip
        return suites

    monkeypatch.setattr(marts_module, "load_suites", stricter)
    with pytest.raises(BuildError, match="validation failed.*wave") as info:
        build(home)
    assert "\n" not in str(info.value)
    assert hashlib.sha256(published.read_bytes()).hexdigest() == before
    assert not (published.parent / ".mognad.duckdb.tmp").exists()
    # The reason stays visible in the Data Docs.
    index = (home.quality_dir / "index.html").read_text(encoding="utf-8")
    assert "underkänd" in index

    # Once the suite is right again, the next (incremental) build publishes wave 2026.
    monkeypatch.setattr(marts_module, "load_suites", real)
    build(home)
    assert _one(published, "select max(wave) from marts.fct_maturity") == [(2026,)]


def test_raw_gate_in_row_bounded_chunks_still_names_each_failed_batch(home, monkeypatch):
    """The gate validates a feed's new batches in chunks of at most
    GATE_CHUNK_ROWS rows (bounded memory at national scale); a failing chunk falls back to
    one batch at a time, so verdicts stay per batch and the passing chunks stay whole."""
    from raw_build_helpers import pseudonym

    from mognad.build.gate import raw_batches

    def employments(n, key=pseudonym):
        return [(key(f"p{i}"), date(2025, 12, 31), "KLF", "chef", "man") for i in range(n)]

    write_hr_load(home.raw, KOD, "L-a", employments(6))
    write_hr_load(home.raw, KOD, "L-b", employments(6, key=lambda p: "197001011234"))
    write_hr_load(home.raw, KOD, "L-c", employments(6))
    write_hr_load(home.raw, KOD, "L-d", employments(6))
    monkeypatch.setattr(quality_module, "GATE_CHUNK_ROWS", 12)

    verdicts, report_path = quality_module.validate_raw_batches(home, raw_batches(home))

    assert {v.batch.load_id: v.success for v in verdicts} == {
        "L-a": True, "L-b": False, "L-c": True, "L-d": True,
    }  # fmt: skip
    [bad] = [v for v in verdicts if not v.success]
    assert any("person_key" in line for line in bad.failures)
    report = json.loads(report_path.read_text(encoding="utf-8"))
    # chunks [L-a, L-b] (failed, then one by one) and [L-c, L-d] (passed as one)
    assert set(report["results"]) == {
        f"hr/{KOD}/L-a", f"hr/{KOD}/L-b", "hr part 2/2 (2 batches)",
    }  # fmt: skip
    assert "197001011234" not in report_path.read_text(encoding="utf-8")


# --- one home per rule: dbt owns structural tests, the mart suites the publication invariants

_GX_TO_DBT = {
    "expect_column_values_to_not_be_null": ("not_null",),
    "expect_column_values_to_be_unique": ("unique",),
    # a value set on a column is dbt's accepted_values, or its relationships to a dimension
    "expect_column_values_to_be_in_set": ("accepted_values", "relationships"),
}


def dbt_structural_tests() -> set[tuple]:
    """(schema.table, test, column or frozenset of columns) for every dbt data test in the
    model YAML files."""
    import yaml

    from mognad.config import PROJECT_DIR

    found: set[tuple] = set()
    for path in sorted((PROJECT_DIR / "dbt_project" / "models").rglob("_*.yml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for model in doc.get("models") or []:
            table = f"marts.{model['name']}"
            for test in (model.get("data_tests") or []) + (model.get("tests") or []):
                if isinstance(test, dict) and "unique_combination_of_columns" in test:
                    cfg = test["unique_combination_of_columns"]
                    columns = (cfg.get("arguments") or cfg)["combination_of_columns"]
                    found.add((table, "unique_combination_of_columns", frozenset(columns)))
            for column in model.get("columns") or []:
                for test in (column.get("data_tests") or []) + (column.get("tests") or []):
                    name = test if isinstance(test, str) else next(iter(test))
                    found.add((table, name, column["name"]))
    return found


def duplicated_expectations(suites: list[dict], dbt_tests: set[tuple]) -> list[str]:
    """The suite expectations that repeat a dbt test on the same column(s); a conditional
    expectation (row_condition) checks something no dbt test does and is never one."""
    duplicates = []
    for spec in suites:
        table = spec["meta"]["table"]
        for e in spec["expectations"]:
            kw = e.get("kwargs") or {}
            if kw.get("row_condition"):
                continue
            keys = [(table, test, kw.get("column")) for test in _GX_TO_DBT.get(e["type"], ())]
            if e["type"] == "expect_compound_columns_to_be_unique":
                keys.append((table, "unique_combination_of_columns", frozenset(kw["column_list"])))
            hits = [k for k in keys if k in dbt_tests]
            if hits:
                duplicates.append(f"{table}: {e['type']} {kw} repeats dbt {hits[0][1]}")
    return duplicates


def test_no_mart_expectation_repeats_a_dbt_test():
    from mognad.config import PROJECT_DIR

    suites = marts_module.load_suites(PROJECT_DIR / "expectations")
    dbt_tests = dbt_structural_tests()
    assert len(dbt_tests) > 50 and suites
    assert duplicated_expectations(suites, dbt_tests) == []

    # the check can fail: each kind of repetition is caught
    fct = {"meta": {"table": "marts.fct_maturity"}, "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "suppressed"}},
        {"type": "expect_column_values_to_be_in_set",
         "kwargs": {"column": "municipality_code", "value_set": ["0114"]}},
        {"type": "expect_compound_columns_to_be_unique", "kwargs": {"column_list": [
            "municipality_code", "wave", "instrument", "target_group", "dimension", "category"]}},
        {"type": "expect_column_values_to_not_be_null",
         "kwargs": {"column": "score_pct", "row_condition": {"type": "comparison",
                    "column": {"name": "suppressed"}, "operator": "==", "parameter": False}}},
    ]}  # fmt: skip
    assert len(duplicated_expectations([fct], dbt_tests)) == 3


def _invariants(suites: list[dict]) -> dict[str, set[str]]:
    kinds: dict[str, set[str]] = {}
    for spec in suites:
        for e in spec["expectations"]:
            kind = (e.get("meta") or {}).get("invariant")
            if kind:
                kinds.setdefault(spec["meta"]["table"], set()).add(kind)
    return kinds


def test_publication_invariants_hold_back_a_bad_mart(home, monkeypatch):
    """Suppression consistency, a shown count below min_cell and a table that lost most of
    its rows since the last publish each fail validation (and so keep the published file)."""
    from mognad.config import PROJECT_DIR

    kinds = _invariants(marts_module.load_suites(PROJECT_DIR / "expectations"))
    for table in ("fct_maturity", "fct_maturity_gender", "fct_response_rate",
                  "fct_training_coverage", "fct_training_completions"):  # fmt: skip
        assert {"suppression", "row_count"} <= kinds[f"marts.{table}"], table

    write_survey_load(
        home.raw, KOD, 2025, "L-1", make_respondents(KOD, 2025, {"chef": 6, "medarbetare": 9}, 3)
    )
    monkeypatch.delenv("MOGNAD_MIN_ROW_SHARE", raising=False)
    build(home)
    published = home.published_db
    [(rows,)] = _one(published, "select count(*) from marts.fct_maturity")
    assert rows > 20
    assert marts_module.validate_marts(home).success

    def corrupted(sql: str) -> str:
        con = duckdb.connect(str(home.build_db))
        con.execute("create table _keep as select * from marts.fct_maturity")
        con.execute(sql)
        con.close()
        outcome = marts_module.validate_marts(home)
        con = duckdb.connect(str(home.build_db))
        con.execute("delete from marts.fct_maturity")
        con.execute("insert into marts.fct_maturity select * from _keep")
        con.execute("drop table _keep")
        con.close()
        assert not outcome.success
        return outcome.summary

    # a hidden cell that shows its score
    summary = corrupted("update marts.fct_maturity set score_pct = 50 where suppressed")
    assert "expect_column_values_to_be_null" in summary and "score_pct" in summary
    # a shown cell without its count
    summary = corrupted("update marts.fct_maturity set respondents = null where not suppressed")
    assert "expect_column_values_to_not_be_null" in summary and "respondents" in summary
    # a shown count below min_cell
    summary = corrupted("update marts.fct_maturity set respondents = 2 where not suppressed")
    assert "expect_column_values_to_be_between" in summary and "respondents" in summary
    # most rows lost since the last publish
    summary = corrupted(
        "delete from marts.fct_maturity where target_group <> 'alla' or dimension <> 'alla'"
    )
    assert "expect_table_row_count_to_be_between" in summary
    assert f"last published {rows}" in summary
    # a deliberate shrink passes with MOGNAD_MIN_ROW_SHARE=0
    monkeypatch.setenv("MOGNAD_MIN_ROW_SHARE", "0")
    con = duckdb.connect(str(home.build_db))
    con.execute("delete from marts.fct_maturity where wave = 2025 and target_group = 'chef'")
    con.close()
    assert marts_module.validate_marts(home).success, "share 0 must allow a shrink"
    monkeypatch.setenv("MOGNAD_MIN_ROW_SHARE", "0.99")
    outcome = marts_module.validate_marts(home)
    assert not outcome.success and "MOGNAD_MIN_ROW_SHARE=0.99" in outcome.summary
