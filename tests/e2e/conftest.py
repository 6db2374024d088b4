"""A stand-in published warehouse, for working on the dashboard without a pipeline run.

``published_home`` (tests/conftest.py) comes from a real pipeline run. With
``MOGNAD_E2E_STAND_IN=1`` the Superset tests use ``stand_in_home`` instead: a small
warehouse with ``marts.dim_municipality`` and ``marts.fct_maturity`` for Västernorrland's
seven municipalities, waves 2024–2026, with some suppressed cells. It has only those two
marts, so with it the other datasets are imported as typed empty queries and the tests that
expect every chart to have data fail: use it only to iterate on the first dashboard.
"""

from __future__ import annotations

import random
from pathlib import Path

import duckdb
import pytest

from mognad.config import Settings
from mognad.secrets import ensure_secrets

KOMMUNER = {
    "2260": "Ånge",
    "2262": "Timrå",
    "2280": "Härnösand",
    "2281": "Sundsvall",
    "2282": "Kramfors",
    "2283": "Sollefteå",
    "2284": "Örnsköldsvik",
}
WAVES = (2024, 2025, 2026)
INSTRUMENTS = {"dimios": ("strategi", "kompetens"), "digcomp": ("information", "säkerhet")}
GROUPS = ("alla", "förtroendevald", "chef", "medarbetare")
SUPPRESSED_TOTAL = ("2260", 2024, "digcomp", "alla")


def build_stand_in_warehouse(path: Path, min_cell: int = 5) -> Path:
    rng = random.Random(2260)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    rows = []
    for code in KOMMUNER:
        base = rng.uniform(35, 60)
        for w, wave in enumerate(WAVES):
            for instrument, dimensions in INSTRUMENTS.items():
                offset = 0 if instrument == "dimios" else -8
                for group in GROUPS:
                    n = {"alla": 180, "förtroendevald": 4, "chef": 25, "medarbetare": 151}[group]
                    n += rng.randint(-3, 3) if group != "förtroendevald" else 0
                    for dimension in ("alla", *dimensions):
                        score = round(base + offset + 4 * w + rng.uniform(-3, 3), 1)
                        # one whole-municipality cell suppressed, to show it stays empty
                        suppressed = n < min_cell or (
                            (code, wave, instrument, group) == SUPPRESSED_TOTAL
                        )
                        rows.append(
                            (
                                code,
                                wave,
                                instrument,
                                group,
                                dimension,
                                "alla",
                                None if suppressed else n,
                                None if suppressed else score,
                                suppressed,
                            )
                        )
    con = duckdb.connect(str(path))
    try:
        con.execute("CREATE SCHEMA marts")
        con.execute(
            "CREATE TABLE marts.dim_municipality (municipality_code VARCHAR, "
            "municipality_name VARCHAR, county_code VARCHAR, county_name VARCHAR)"
        )
        con.executemany(
            "INSERT INTO marts.dim_municipality VALUES (?, ?, '22', 'Västernorrlands län')",
            list(KOMMUNER.items()),
        )
        con.execute(
            "CREATE TABLE marts.fct_maturity (municipality_code VARCHAR, wave INTEGER, "
            "instrument VARCHAR, target_group VARCHAR, dimension VARCHAR, category VARCHAR, "
            "respondents INTEGER, score_pct DOUBLE, suppressed BOOLEAN)"
        )
        con.executemany("INSERT INTO marts.fct_maturity VALUES (?,?,?,?,?,?,?,?,?)", rows)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return path


@pytest.fixture(scope="session")
def stand_in_home(tmp_path_factory) -> Settings:
    home = tmp_path_factory.mktemp("stand_in_home")
    settings = Settings(home=home, secrets_file=home / ".secrets" / "mognad.env")
    ensure_secrets(settings.secrets_file)
    build_stand_in_warehouse(settings.published_db, settings.min_cell)
    return settings


# Superset fixtures (one server and one browser per session), shared by test_dashboard.py and
# test_superset_security.py.
from tests.e2e.superset_fixtures import (  # noqa: E402, F401
    _browser,
    api,
    driver,
    superset_server,
    user_api,
    warehouse_home,
)
