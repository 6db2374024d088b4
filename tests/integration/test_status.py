"""`mognad status` on a home after a real ingest and `mognad build`."""

from __future__ import annotations

import json

import pytest
from metod_example import KOD, built_example

from mognad.cli.app import main
from mognad.quality.status import collect, render_table
from tests.conftest import make_settings


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    return built_example(tmp_path_factory, make_settings)


def test_status_json_and_table(example, monkeypatch, capsys):
    monkeypatch.setenv("MOGNAD_HOME", str(example.home))
    monkeypatch.setenv("MOGNAD_SECRETS_FILE", str(example.secrets_file))
    assert main(["status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    feeds = {(f["municipality_code"], f["feed"]): f for f in status["feeds"]}
    assert set(feeds) == {(KOD, "survey"), (KOD, "hr"), (KOD, "training")}
    survey = feeds[(KOD, "survey")]
    assert survey["municipality_name"] == "Timrå"
    assert survey["last_status"] == "loaded" and survey["files_loaded"] == 2
    assert survey["last_file"] in ("enkat_2024.csv", "enkat_2025.csv")
    assert survey["days_since_last_load"] == 0 and survey["open_quarantine"] == 0
    assert feeds[(KOD, "hr")]["last_file"] == "hr_2025.csv"
    assert status["open_quarantine"] == []
    publish = status["last_publish"]
    assert publish["file"] == str(example.published_db) and publish["published_at"].endswith("Z")
    assert status["last_validation"]["success"] is True
    assert "marts-" in status["last_validation"]["file"]

    assert main(["status"]) == 0
    table = capsys.readouterr().out
    assert "Timrå" in table and "hr_2025.csv" in table
    assert "godkänd / passed" in table and "Senast publicerad" in table


def test_status_counts_quarantine_and_waiting_files(tmp_path):
    from mognad.ingest.run import ingest

    settings = make_settings(tmp_path / "home")
    folder = settings.inbox / "2280" / "hr"
    folder.mkdir(parents=True)
    (folder / "trasig.csv").write_text("förvaltning\nKLF\n", encoding="utf-8")
    ingest(settings, progress=None)
    (folder / "ny.csv").write_text("x", encoding="utf-8")
    status = collect(settings)
    [entry] = status["feeds"]
    assert (entry["municipality_code"], entry["last_status"]) == ("2280", "quarantined")
    assert entry["open_quarantine"] == 1 and entry["waiting_in_inbox"] == 1
    assert entry["days_since_last_load"] is None
    assert status["last_publish"] is None and status["last_validation"] is None
    text = render_table(status)
    assert "Härnösand" in text and "missing_column" in text and "aldrig / never" in text


def test_status_on_an_empty_home(tmp_path):
    settings = make_settings(tmp_path / "empty")
    status = collect(settings)
    assert status["feeds"] == [] and status["open_quarantine"] == []
    assert "inga leveranser" in render_table(status)


def test_a_file_left_in_the_inbox_becomes_stale(tmp_path, monkeypatch, capsys):
    """A settled file that nobody takes is an alarm once it has waited
    MOGNAD_STALE_INBOX_MINUTES: in the table, in --json, and not before."""
    import os
    import time

    settings = make_settings(tmp_path / "home", stale_inbox_minutes=30.0)
    folder = settings.inbox / "2281" / "survey"
    folder.mkdir(parents=True)
    old, fresh = folder / "gammal.csv", folder / "färsk.csv"
    old.write_text("x", encoding="utf-8")
    fresh.write_text("x", encoding="utf-8")
    (folder / "halv.csv.part").write_text("x", encoding="utf-8")  # never taken: no alarm
    past = time.time() - 31 * 60
    os.utime(old, (past, past))
    os.utime(folder / "halv.csv.part", (past, past))
    status = collect(settings)
    assert [(f["municipality_code"], f["feed"], f["file"]) for f in status["stale_inbox"]] == [
        ("2281", "survey", "gammal.csv")
    ]
    assert status["stale_inbox"][0]["waiting_minutes"] >= 31
    [entry] = status["feeds"]
    assert (entry["waiting_in_inbox"], entry["stale_in_inbox"]) == (2, 1)
    text = render_table(status)
    assert "LARM / ALARM" in text and "2281/survey/gammal.csv" in text
    assert "färsk.csv" not in text.split("LARM / ALARM", 1)[1]

    monkeypatch.setenv("MOGNAD_HOME", str(settings.home))
    monkeypatch.setenv("MOGNAD_SECRETS_FILE", str(settings.secrets_file))
    monkeypatch.setenv("MOGNAD_STALE_INBOX_MINUTES", "40")
    assert main(["status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["stale_inbox"] == []  # 31 min < 40
