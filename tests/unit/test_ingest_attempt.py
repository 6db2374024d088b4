"""The take step's decision, without an inbox: `classify` on what was found, and the ledger
row, receipt and outcome one `Attempt` renders (they must agree with each other)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from mognad.contract.problems import problem
from mognad.ingest.attempt import Delivery, classify
from mognad.ingest.rules import Parsed

RECEIVED = dt.datetime(2026, 3, 1, 10, 0, 0, 123456)
DELIVERY = Delivery(
    attempt_id="20260301T100000123456-abcdef012345",
    municipality_code="2281",
    feed="survey",
    file="enkät.csv",
    sha256="ab" * 32,
    received_at=RECEIVED,
    source=Path("/inbox/2281/survey/enkät.csv"),
)


def _parsed(read: int, loaded: int, *, fatal: bool = False) -> Parsed:
    problems = [problem("missing_value", 2 + i, "svars_id") for i in range(read - loaded)]
    parsed = Parsed([{"r": i} for i in range(loaded)], read, loaded, problems)
    if fatal:
        parsed.problems = [problem("empty_file")]
        parsed.fatal = parsed.problems[0]
    return parsed


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"known_municipality": False}, "unknown_municipality"),
        ({"known_feed": False}, "unknown_feed"),
        ({"special": "not a regular file"}, "unreadable"),
        ({"oversize": "9 bytes > 1 (MOGNAD_MAX_FILE_BYTES)"}, "too_large"),
        ({"known_municipality": False, "oversize": "9 > 1"}, "unknown_municipality"),
    ],
)
def test_a_file_refused_whatever_it_holds_is_quarantined_first(change, code):
    delivery = dataclasses.replace(DELIVERY, **change)
    attempt = classify(delivery, duplicate=True, parsed=_parsed(3, 3))
    assert attempt.status == "quarantined" and attempt.reason == code
    assert [p.code for p in attempt.problems] == [code]
    assert (attempt.rows_read, attempt.rows_loaded, attempt.rows_rejected) == (0, 0, 0)
    assert attempt.version is None and attempt.load_id is None and attempt.rows is None


def test_a_duplicate_is_neither_parsed_nor_loaded():
    attempt = classify(DELIVERY, duplicate=True)
    assert attempt.status == "duplicate" and attempt.problems == [] and attempt.reason is None
    assert attempt.load_id is None and attempt.receipt()["version"] is None


def test_an_open_file_needs_its_parse():
    with pytest.raises(ValueError):
        classify(DELIVERY)


def test_loaded_with_some_rows_rejected():
    attempt = classify(DELIVERY, parsed=_parsed(10, 9), version=2, max_reject_share=0.2)
    assert attempt.status == "loaded" and attempt.load_id == DELIVERY.attempt_id
    assert (attempt.rows_read, attempt.rows_loaded, attempt.rows_rejected) == (10, 9, 1)
    assert attempt.reason is None and [p.code for p in attempt.problems] == ["missing_value"]
    assert attempt.version == 2 and len(attempt.rows) == 9


def test_too_many_rejected_rows_quarantine_the_file():
    attempt = classify(DELIVERY, parsed=_parsed(10, 5), version=1, max_reject_share=0.2)
    assert attempt.status == "quarantined"
    assert attempt.problems[-1].code == "too_many_rejected"
    assert attempt.problems[-1].as_dict()["message"].endswith("5/10")
    # the reason is the first problem; the rows read and rejected are still told
    assert attempt.reason == "missing_value"
    assert (attempt.rows_read, attempt.rows_loaded, attempt.rows_rejected) == (10, 0, 5)
    assert attempt.rows is None


def test_a_parse_that_failed_as_a_whole_quarantines():
    attempt = classify(DELIVERY, parsed=_parsed(0, 0, fatal=True), version=1)
    assert attempt.status == "quarantined" and attempt.reason == "empty_file"


def test_the_three_renderings_agree():
    parsed = _parsed(4, 3)
    parsed.receipt["mapping"] = "2281/survey.yaml"
    attempt = classify(
        DELIVERY, parsed=parsed, version=1, attribution="Källa: Kolada", max_reject_share=0.5
    )
    stored = attempt.stored_path(Path("/a"), Path("/q"))
    assert stored == Path("/a/2281/survey") / f"{DELIVERY.attempt_id}__enkät.csv"
    row = attempt.ledger_row(stored)
    receipt = attempt.receipt()
    outcome = attempt.outcome(Path("/r.json"))
    assert list(receipt) == [
        "file",
        "sha256",
        "feed",
        "municipality_code",
        "status",
        "rows_read",
        "rows_loaded",
        "rows_rejected",
        "problems",
        "received_at",
        "attempt_id",
        "load_id",
        "version",
        "mapping",
        "attribution",
    ]
    assert receipt["received_at"] == "2026-03-01T10:00:00.123456Z"
    assert row.received_at == "2026-03-01T10:00:00.123456"
    assert row.stored_path == str(stored)
    for name in ("attempt_id", "municipality_code", "feed", "file", "status", "load_id"):
        assert getattr(row, name) == receipt[name]
    for name in ("rows_read", "rows_loaded", "rows_rejected"):
        assert getattr(row, name) == receipt[name] == getattr(outcome, name)
    assert row.reason == outcome.reason is None
    assert outcome.source == DELIVERY.source and outcome.receipt == Path("/r.json")
    assert attempt.provenance() == {
        "file": "enkät.csv",
        "sha256": DELIVERY.sha256,
        "attempt_id": DELIVERY.attempt_id,
        "attribution": "Källa: Kolada",
    }


def test_a_quarantined_copy_goes_to_the_quarantine():
    attempt = classify(dataclasses.replace(DELIVERY, known_feed=False))
    assert attempt.stored_path(Path("/a"), Path("/q")).parts[:2] == ("/", "q")
    assert attempt.ledger_row(Path("/q/x")).reason == "unknown_feed"
