"""Waiting files are an alarm, not a silence: a settled file that nobody takes shows as stale
in the published `marts.fct_inbox_waiting` (the Dataleveranser dashboard) and fails the
nightly health check with the file named."""

from __future__ import annotations

import dataclasses
import os
import shutil
import time

import duckdb
import pytest
from metod_example import KOD, built_example

from mognad.build.run import build
from mognad.orchestration.nightly import StaleInbox, inbox_health
from tests.conftest import make_settings


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    return built_example(tmp_path_factory, make_settings)


def test_stale_file_is_published_and_fails_the_health_check(example, tmp_path, monkeypatch):
    home = tmp_path / "home"
    shutil.copytree(example.home, home, symlinks=True)
    settings = dataclasses.replace(
        example, home=home, secrets_file=home / "secrets.env", stale_inbox_minutes=30.0
    )
    monkeypatch.setenv("MOGNAD_HOME", str(home))
    monkeypatch.setenv("MOGNAD_SECRETS_FILE", str(settings.secrets_file))
    assert "inkorgarna OK" in inbox_health(settings)

    folder = settings.inbox / KOD / "hr"
    folder.mkdir(parents=True, exist_ok=True)
    stuck, fresh = folder / "fastnad.csv", folder / "ny.csv"
    stuck.write_text("x", encoding="utf-8")
    fresh.write_text("x", encoding="utf-8")
    past = time.time() - 45 * 60
    os.utime(stuck, (past, past))

    with pytest.raises(StaleInbox) as caught:
        inbox_health(settings)
    assert f"{KOD}/hr/fastnad.csv" in str(caught.value) and "ny.csv" not in str(caught.value)

    build(settings)
    con = duckdb.connect(str(settings.published_db), read_only=True)
    try:
        rows = con.execute(
            "select municipality_code, feed, file, stale, waiting_minutes >= 45 "
            "from marts.fct_inbox_waiting order by file"
        ).fetchall()
    finally:
        con.close()
    assert rows == [(KOD, "hr", "fastnad.csv", True, True), (KOD, "hr", "ny.csv", False, False)]
