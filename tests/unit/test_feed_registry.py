"""The feed registry (mognad/contract/feeds.py) is the one place the feeds and their raw
columns are named: every other copy is derived from it, or checked against it here."""

from __future__ import annotations

import ast
import re
import shutil

import pytest

from mognad.build.exports import BATCH_CHECK_COLUMNS, INBOX_WAITING_COLUMNS, INGEST_LOG_COLUMNS
from mognad.config import FEEDS as CONFIG_FEEDS
from mognad.contract import generate
from mognad.contract.feeds import DELIVERED_FEEDS, EXPORTS, FEEDS, PROVENANCE, RAW_FEEDS
from mognad.ingest.land import FEED_SCHEMAS
from mognad.ingest.rules import FEED_COLUMNS
from mognad.ingest.run import INGEST_FEEDS
from mognad.orchestration.names import RAW_FEEDS as ASSET_FEEDS
from mognad.pull.sources import FEEDS as PULL_FEEDS
from tests.conftest import REPO

STAGING = REPO / "dbt_project" / "models" / "staging"
STAGING_MODEL = {
    "survey": "survey/stg_survey__answers.sql",
    "training": "training/stg_training__events.sql",
    "hr": "hr/stg_hr__employments.sql",
    "plan": "plan/stg_plan__steps.sql",
    "kolada": "kolada/stg_kolada__values.sql",
}


def test_the_derived_files_match_the_registry():
    assert generate.drifted() == [], "run: python -m mognad.contract.generate"


def test_a_drifted_file_is_named(tmp_path):
    for path in generate.render():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / path, tmp_path / path)
    assert generate.drifted(tmp_path) == []
    suite = tmp_path / generate.RAW_SUITES / "raw.hr.json"
    suite.write_text(suite.read_text(encoding="utf-8").replace('"aid_code",\n', ""))
    source = tmp_path / generate.SOURCE_YAML
    source.write_text(source.read_text(encoding="utf-8").replace("data_type: date", "data_type: x"))
    assert set(generate.drifted(tmp_path)) == {
        generate.RAW_SUITES / "raw.hr.json",
        source.relative_to(tmp_path),
    }
    generate.write(tmp_path)
    assert generate.drifted(tmp_path) == []


def test_every_feed_list_is_the_registrys():
    assert CONFIG_FEEDS == DELIVERED_FEEDS
    assert INGEST_FEEDS == ASSET_FEEDS == PULL_FEEDS == RAW_FEEDS == tuple(FEEDS)
    assert set(DELIVERED_FEEDS) == set(FEED_COLUMNS), "a delivered feed without header rules"


def test_the_raw_parquet_schema_is_the_registrys():
    assert list(FEED_SCHEMAS) == list(FEEDS)
    for name, feed in FEEDS.items():
        assert FEED_SCHEMAS[name].names == [c.name for c in feed.raw_columns], name


def test_the_exports_are_the_registrys():
    assert INGEST_LOG_COLUMNS == EXPORTS["ingest_log"].types
    assert INBOX_WAITING_COLUMNS == EXPORTS["inbox_waiting"].types
    assert BATCH_CHECK_COLUMNS == EXPORTS["batch_checks"].types


def _staging_columns(sql: str) -> dict[str, str]:
    """The column -> type mapping a staging model hands `read_raw` (Jinja dict literals)."""
    found = {}
    for block in re.findall(r"columns\.update\((\{.*?\})\)", sql, re.S):
        found.update(ast.literal_eval(block))
    return found


@pytest.mark.parametrize("feed", list(FEEDS))
def test_each_staging_model_reads_the_registrys_columns_and_types(feed):
    sql = (STAGING / STAGING_MODEL[feed]).read_text(encoding="utf-8")
    assert "provenance_columns()" in sql
    macro = (REPO / "dbt_project" / "macros" / "provenance_columns.sql").read_text("utf-8")
    provenance = ast.literal_eval(re.search(r"return\((\{.*?\})\)", macro, re.S).group(1))
    assert provenance == {c.name: c.type.lower() for c in PROVENANCE}
    assert _staging_columns(sql) == {c.name: c.type.lower() for c in FEEDS[feed].columns}
