"""Delivery faults: repeats, new versions, half-written files, many files at once."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import replace

import duckdb

from mognad.ingest.run import ingest
from tests.conftest import drop
from tests.faults.helpers import CODES, inbox_files, ledger_snapshot, receipts, survey_csv


def test_same_bytes_twice_under_same_and_other_name_loads_once(fhome):
    text = survey_csv(6)
    drop(fhome, "2281", "survey", "a.csv", text)
    assert ingest(fhome, progress=None).count("loaded") == 1
    drop(fhome, "2281", "survey", "a.csv", text)  # the same name again
    drop(fhome, "2281", "survey", "kopia av a.csv", text)  # another name
    report = ingest(fhome, progress=None)
    assert report.count("duplicate") == 2 and report.count("loaded") == 0
    loads = list(fhome.raw.glob("feed=survey/*/*/data.parquet"))
    assert len(loads) == 1
    statuses = sorted(r["status"] for r in receipts(fhome))
    assert statuses == ["duplicate", "duplicate", "loaded"]
    assert len(list(fhome.archive.rglob("*a.csv"))) == 3  # every delivery kept
    assert inbox_files(fhome) == []


def test_changed_file_under_known_name_is_a_new_version_both_kept(fhome):
    drop(fhome, "2281", "survey", "enkät.csv", survey_csv(6))
    ingest(fhome, progress=None)
    drop(fhome, "2281", "survey", "enkät.csv", survey_csv(7, prefix="x"))
    report = ingest(fhome, progress=None)
    assert report.count("loaded") == 1
    r = [x for x in receipts(fhome) if x["file"] == "enkät.csv"]
    assert len(r) == 1 and r[0]["version"] == 2  # the receipt names the latest version
    ledger = [a for a in ledger_snapshot(fhome) if dict(a)["file"] == "enkät.csv"]
    assert sorted(dict(a)["rows_loaded"] for a in ledger) == [6, 7]
    con = duckdb.connect()
    n = con.execute(
        "select count(distinct load_id), count(distinct respondent_id) from read_parquet(?)",
        [str(fhome.raw / "feed=survey/*/*/data.parquet")],
    ).fetchone()
    assert n == (2, 13)
    assert len(list(fhome.archive.rglob("*enkät.csv"))) == 2


def test_growing_part_and_renamed_files_only_complete_ones_taken(fhome):
    slow = replace(fhome, settle_seconds=1.5)
    folder = fhome.inbox / "2281" / "survey"
    folder.mkdir(parents=True)
    full = survey_csv(40).encode()
    growing = folder / "växer.csv"
    stop = threading.Event()

    def writer():
        with open(growing, "wb") as f:
            for i in range(0, len(full), 200):
                if stop.is_set():
                    return
                f.write(full[i : i + 200])
                f.flush()
                time.sleep(0.05)

    t = threading.Thread(target=writer)
    t.start()
    (folder / "upload.csv.part").write_bytes(full[:500])
    (folder / "download.csv.crdownload").write_bytes(full[:500])
    (folder / ".~lock.csv").write_bytes(b"x")
    taken = []
    while t.is_alive():
        taken += [o for o in ingest(slow, progress=None).outcomes if o.file == "växer.csv"]
        time.sleep(0.2)
    t.join()
    assert taken == []  # never taken while it grew
    # a finished upload renamed into place is taken whole
    os.replace(folder / "upload.csv.part", folder / "upload.csv")
    (folder / "upload.csv").write_bytes(survey_csv(9, prefix="u").encode())
    time.sleep(1.6)
    report = ingest(slow, progress=None)
    got = {o.file: (o.status, o.rows_loaded) for o in report.outcomes}
    assert got == {"växer.csv": ("loaded", 40), "upload.csv": ("loaded", 9)}
    left = sorted(p.name for p in inbox_files(fhome))
    assert left == [".~lock.csv", "download.csv.crdownload"]


def test_fifty_files_seven_municipalities_one_receipt_each_all_rows_published(delivered):
    s = delivered.settings
    got = receipts(s)
    assert len(got) == 50
    assert sorted((r["municipality_code"], r["feed"], r["file"]) for r in got) == sorted(
        delivered.files
    )
    assert all(r["status"] == "loaded" and r["rows_rejected"] == 0 for r in got)
    assert inbox_files(s) == []
    con = duckdb.connect(str(s.published_db), read_only=True)
    try:
        log = con.execute(
            "select municipality_code, feed, file, status, rows_loaded from marts.ingest_log"
        ).fetchall()
        maturity = dict(
            con.execute(
                "select municipality_code, respondents from marts.fct_maturity where wave = 2024 "
                "and instrument = 'dimios' and target_group = 'alla' and dimension = 'alla' "
                "and category = 'alla'"
            ).fetchall()
        )
        coverage = con.execute(
            "select municipality_code, headcount, trained_persons from "
            "marts.fct_training_coverage where period = '2024-12' and target_group = 'alla' "
            "and gender = 'alla'"
        ).fetchall()
    finally:
        con.close()
    assert sorted((c, f, n) for c, f, n, *_ in log) == sorted(delivered.files)
    rows = {(r["municipality_code"], r["file"]): r["rows_loaded"] for r in got}
    assert {(c, n): rl for c, _, n, st, rl in log if st == "loaded"} == rows
    assert maturity == delivered.respondents  # every good survey row is in the mart
    assert set(maturity) == set(CODES)
    assert sorted(coverage) == [(c, 20, 20) for c in CODES]  # every hr and training row


def test_files_dropped_while_a_build_runs_are_in_the_next_build(delivered_copy):
    """A drop during a build is neither lost nor half-read; the next build publishes it."""
    from mognad.build.run import build

    s = delivered_copy
    result = {}

    def run_build():
        try:
            build(s)
            result["ok"] = True
        except Exception as exc:  # pragma: no cover - reported by the assert below
            result["error"] = exc

    t = threading.Thread(target=run_build)
    t.start()
    time.sleep(1.0)
    drop(s, "2262", "survey", "under bygget.csv", survey_csv(8, prefix="late-", year=2025))
    report = ingest(s, progress=None)
    t.join()
    assert result.get("ok"), result
    assert report.count("loaded") == 1
    build(s)
    con = duckdb.connect(str(s.published_db), read_only=True)
    try:
        n = con.execute(
            "select respondents from marts.fct_maturity where municipality_code = '2262' "
            "and wave = 2025 and target_group = 'alla' and dimension = 'alla' "
            "and category = 'alla' and instrument = 'dimios'"
        ).fetchall()
    finally:
        con.close()
    assert n == [(8,)]
