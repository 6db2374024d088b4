"""Fixtures for the build tests: one demo build shared by the suppression and incremental
tests (generated at scale 0.2, one municipality's latest survey file held back so the
incremental test can deliver it later)."""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

HELD_BACK = ("2262", "survey", "dimios_2026_timra.csv")


@dataclass
class DemoBuild:
    settings: object
    held_back: Path  # the file kept aside
    inbox_path: Path  # where it belongs in the inbox
    timings: dict


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory) -> DemoBuild:
    from mognad.build.run import build
    from mognad.demo.generate import generate
    from mognad.ingest.run import ingest
    from tests.conftest import make_settings

    root = tmp_path_factory.mktemp("demo_build")
    settings = make_settings(root / "home")
    generate(settings.inbox, seed=2024, scale=0.2)
    kod, feed, name = HELD_BACK
    held = root / name
    shutil.move(settings.inbox / kod / feed / name, held)
    ingest(settings, progress=None)
    started = time.monotonic()
    build(settings, full=True)
    return DemoBuild(
        settings,
        held,
        settings.inbox / kod / feed / name,
        {"first full build": time.monotonic() - started},
    )
