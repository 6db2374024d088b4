"""Open data: after a publish, `$MOGNAD_HOME/open/` holds the published aggregates as CSV and
a Frictionless data package that the `frictionless` package finds valid."""

from __future__ import annotations

import csv
import json

import duckdb
import pytest
from metod_example import built_example

from mognad.build.open_data import NOT_OPEN, OPEN_TABLES, OpenDataError, open_dir, write_open_data
from tests.conftest import make_settings


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    return built_example(tmp_path_factory, make_settings)


def _published(settings, table):
    con = duckdb.connect(str(settings.published_db), read_only=True)
    try:
        cur = con.execute(f"select * from marts.{table}")
        names = [d[0] for d in cur.description]
        return names, cur.fetchall()
    finally:
        con.close()


def _published_tables(settings) -> set[str]:
    con = duckdb.connect(str(settings.published_db), read_only=True)
    try:
        rows = con.execute(
            "select table_name from duckdb_tables() where schema_name = 'marts'"
        ).fetchall()
    finally:
        con.close()
    return {r[0] for r in rows}


def _csv(path):
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=","))
    return rows[0], rows[1:]


def _cell(value) -> str:
    """A published value as the CSV must hold it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def test_build_writes_the_open_aggregates_and_nothing_operational(example):
    folder = open_dir(example)
    files = {p.name for p in folder.iterdir()}
    published = _published_tables(example)
    expected = {f"{t}.csv" for t in OPEN_TABLES if t in published}
    assert files == expected | {"datapackage.json"}
    # the aggregates the dashboards show are all there; the operational tables never
    assert {
        "dim_municipality", "dim_population", "fct_maturity", "fct_maturity_gender",
        "fct_maturity_progress", "fct_maturity_region", "fct_category_profile",
        "fct_response_rate", "fct_training_coverage", "fct_training_completions",
    } <= {name.removesuffix(".csv") for name in files}  # fmt: skip
    for table in NOT_OPEN:
        assert table in published and f"{table}.csv" not in files
    assert not list(folder.parent.glob("open.tmp-*"))


def test_frictionless_finds_the_package_and_every_file_valid(example):
    from frictionless import Package, validate

    path = open_dir(example) / "datapackage.json"
    report = validate(str(path))
    problems = report.flatten(["taskName", "rowNumber", "fieldName", "type", "note"])
    assert report.valid, problems[:10]
    package = Package(str(path))
    assert len(package.resources) == len(list(open_dir(example).glob("*.csv")))
    assert len(report.tasks) == len(package.resources)
    assert " / " in package.title  # Swedish / English


def test_every_file_and_column_is_described_in_swedish_and_english(example):
    package = json.loads((open_dir(example) / "datapackage.json").read_text(encoding="utf-8"))
    for resource in package["resources"]:
        table = resource["path"].removesuffix(".csv")
        assert " / " in resource["title"] and resource["description"], table
        names, _rows = _published(example, table)
        fields = resource["schema"]["fields"]
        assert [f["name"] for f in fields] == names, table
        for field in fields:
            sv, _, en = field["title"].partition(" / ")
            assert sv and en and sv != field["name"], (table, field)
            assert field["description"], (table, field["name"])  # from the dbt YAML
            assert field["type"] in {"string", "integer", "number", "boolean", "date"}
    by_table = {r["path"].removesuffix(".csv"): r for r in package["resources"]}
    score = next(
        f for f in by_table["fct_maturity"]["schema"]["fields"] if f["name"] == "score_pct"
    )
    assert score["type"] == "number" and "unrounded" in score["description"]
    assert by_table["fct_maturity"]["schema"]["primaryKey"] == [
        "municipality_code", "wave", "instrument", "target_group", "dimension", "category",
    ]  # fmt: skip


def test_files_hold_exactly_the_published_rows_with_hidden_values_empty(example):
    package = json.loads((open_dir(example) / "datapackage.json").read_text(encoding="utf-8"))
    hidden_rows = 0
    for resource in package["resources"]:
        table = resource["path"].removesuffix(".csv")
        names, rows = _published(example, table)
        header, lines = _csv(open_dir(example) / resource["path"])
        assert header == names
        assert len(lines) == len(rows) == resource["rows"], table
        assert sorted(lines) == sorted([_cell(v) for v in row] for row in rows), table
        if "suppressed" not in names:
            continue
        at = names.index("suppressed")
        # a column the mart hides in suppressed rows is empty in every such CSV row
        hidden = [
            i for i, n in enumerate(names)
            if any(r[at] for r in rows) and all(r[i] is None for r in rows if r[at])
        ]  # fmt: skip
        for line in lines:
            if line[at] == "true":
                hidden_rows += 1
                assert all(line[i] == "" for i in hidden), (table, line)
    assert hidden_rows > 0  # the example has hidden cells (balansering 2025, chefer)
    # numbers are unrounded and read back to the published float exactly
    _names, rows = _published(example, "fct_response_rate")
    header, lines = _csv(open_dir(example) / "fct_response_rate.csv")
    i = header.index("response_rate_pct")
    assert {float(line[i]) for line in lines if line[i]} == {r[i] for r in rows if r[i] is not None}


def test_rewrite_swaps_the_folder_whole_and_a_failure_keeps_the_old_one(example):
    folder = open_dir(example)
    (folder / "stale.txt").write_text("from an earlier publish")
    before = folder.stat().st_ino
    assert write_open_data(example, example.published_db) == folder
    assert not (folder / "stale.txt").exists() and folder.stat().st_ino != before
    assert not list(folder.parent.glob("open.tmp-*"))

    package = (folder / "datapackage.json").read_bytes()
    with pytest.raises(OpenDataError, match="öppna data.*/ open data"):
        write_open_data(example, example.home / "no-such.duckdb")
    assert (folder / "datapackage.json").read_bytes() == package
    assert not list(folder.parent.glob("open.tmp-*"))
