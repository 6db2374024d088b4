"""Fixtures for the fault suite (tests/faults): homes of their own, one shared real build."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import drop, make_settings
from tests.faults.helpers import CODES, hr_csv, people, survey_csv, training_csv


@pytest.fixture
def fhome(tmp_path: Path):
    """Settings for a fresh home with its own generated pseudonym key."""
    return make_settings(tmp_path / "home")


@dataclass
class Delivered:
    settings: object
    files: list[tuple[str, str, str]]
    respondents: dict[str, int]  # municipality -> respondents delivered (all good rows)
    persons: list[str]
    build_seconds: float


@pytest.fixture(scope="session")
def delivered(tmp_path_factory) -> Delivered:
    """50 files from 7 municipalities dropped at once (survey, training, hr; a few bad
    ones), one ingest, one real build and publish."""
    import time

    from mognad.build.run import build
    from mognad.ingest.run import ingest

    settings = make_settings(tmp_path_factory.mktemp("delivered") / "home")
    files = []
    respondents = {c: 0 for c in CODES}
    persons = people(140)
    n = 0
    for k, code in enumerate(CODES):
        # 5 survey files per municipality (35), each 5..9 respondents
        for j in range(5):
            rows = 5 + (k + j) % 5
            name = f"dimios_{code}_{j}.csv"
            drop(settings, code, "survey", name, survey_csv(rows, prefix=f"{code}-{j}-"))
            files.append((code, "survey", name))
            respondents[code] += rows
            n += 1
        # one training and one hr file per municipality for 7 (14) -> 49
        group = persons[k * 20 : (k + 1) * 20]
        drop(settings, code, "training", f"lms_{code}.csv", training_csv(group))
        drop(settings, code, "hr", f"hr_{code}.csv", hr_csv(group))
        files += [(code, "training", f"lms_{code}.csv"), (code, "hr", f"hr_{code}.csv")]
        n += 2
    # the 50th: a formula-injection attempt (a cell and a file name starting with '=')
    name = "=HYPERLINK(1).csv"
    drop(settings, "2281", "survey", name, survey_csv(5, prefix="inj-", first_cell="=1+2"))
    files.append(("2281", "survey", name))
    respondents["2281"] += 5
    assert len(files) == 50
    report = ingest(settings, progress=None)
    assert report.count("loaded") == 50, report.summary()
    os.environ.pop("MOGNAD_PSEUDONYM_KEY", None)
    started = time.monotonic()
    build(settings)
    return Delivered(settings, files, respondents, persons, time.monotonic() - started)


@pytest.fixture
def delivered_copy(delivered, tmp_path):
    """A private copy of the delivered home (for tests that break it)."""
    home = tmp_path / "home"
    shutil.copytree(delivered.settings.home, home, symlinks=True)
    return make_settings(home)
