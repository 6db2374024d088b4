"""Run bench/baseline.sql on an inbox and compare it with a published warehouse.

    .venv/pipeline/bin/python bench/baseline.py INBOX [--warehouse mognad.duckdb] [--json OUT]

Sniffs each CSV file's encoding (UTF-8 or Windows-1252) and delimiter from its bytes, each
XLSX file's header row and each xAPI JSON file's layout (per file, never per row), fills the
placeholders of baseline.sql and runs it in one in-memory DuckDB: the survey, HR and training
feeds, computing fct_maturity, fct_response_rate and fct_training_coverage. With
``--warehouse``, compares the baseline's unsuppressed numbers with the published marts: every
cell the platform shows (suppressed = false) must have the same numbers in the baseline
(``compare``, ``compare_all``; the match rate per mart).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
import zipfile
from collections import defaultdict
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
SQL = Path(__file__).with_name("baseline.sql")
CODEBOOK = ROOT / "dbt_project" / "seeds" / "codebook.csv"
KEYS = ("municipality_code", "wave", "instrument", "target_group", "dimension", "category")


def _extension(module: str, name: str) -> str:
    mod = __import__(module)
    found = sorted(Path(mod.__file__).parent.glob(f"extensions/*/{name}.duckdb_extension"))
    if not found:
        raise SystemExit(f"{module} carries no {name} extension file")
    return str(found[-1])


def _q(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def sniff(path: Path) -> tuple[str, str]:
    """(encoding, delimiter) of a CSV file: UTF-8 if it decodes, else CP1252."""
    data = path.read_bytes()
    try:
        data.decode("utf-8")
        enc = "utf-8"
    except UnicodeDecodeError:
        enc = "CP1252"
    first = data.split(b"\n", 1)[0]
    delim = max((";", ",", "\t"), key=lambda d: first.count(d.encode()))
    return enc, delim


def feed_files(inbox: Path, feed: str) -> list[Path]:
    """The files of one feed in every municipality's inbox folder (receipts excluded)."""
    return sorted(p for p in Path(inbox).glob(f"[0-9][0-9][0-9][0-9]/{feed}/*") if p.is_file())


def survey_files(inbox: Path) -> list[Path]:
    return feed_files(inbox, "survey")


def xlsx_header_row(path: Path, con: duckdb.DuckDBPyConnection) -> int | None:
    """The 1-based row of an XLSX file's header: the first row with more than two filled
    cells (a title line and a blank line may come first, as in the ingest). None when the
    file cannot be read (a broken upload: the ingest quarantines it)."""
    try:
        with zipfile.ZipFile(path) as zf:
            zf.infolist()
        rows = con.execute(
            "select * from read_xlsx(?, header = false, all_varchar = true, "
            "range = 'A1:Z10', stop_at_empty = false)",
            [str(path)],
        ).fetchall()
    except (zipfile.BadZipFile, OSError, duckdb.Error):
        return None
    for i, row in enumerate(rows, start=1):
        if sum(1 for v in row if v is not None and v.strip()) > 2:
            return i
    return None


def json_layout(path: Path) -> str:
    """'array' for a JSON array of statements, else 'newline_delimited' (one per line)."""
    with open(path, "rb") as f:
        head = f.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    return "array" if head.startswith(b"[") else "newline_delimited"


def sources_sql(files: list[Path], con: duckdb.DuckDBPyConnection | None = None) -> str:
    """UNION ALL BY NAME of one read_csv per (encoding, delimiter) class of the CSV files and
    one read_xlsx per XLSX file (from its header row); JSON files are left out."""
    classes: dict[tuple[str, str], list[str]] = defaultdict(list)
    parts = []
    for f in files:
        if f.suffix.lower() == ".xlsx":
            row = xlsx_header_row(f, con) if con is not None else 2
            if row is None:
                continue
            parts.append(
                f"select *, {_q(str(f))} as filename from read_xlsx({_q(str(f))}, "
                f"header = true, all_varchar = true, range = 'A{row}:BZ1048576', "
                "stop_at_empty = true)"
            )
        elif f.suffix.lower() in (".csv", ".txt", ".tsv"):
            classes[sniff(f)].append(str(f))
    for (enc, delim), paths in sorted(classes.items()):
        listed = ", ".join(_q(p) for p in paths)
        parts.insert(
            0,
            f"select * from read_csv([{listed}], encoding = {_q(enc)}, delim = {_q(delim)}, "
            "header = true, all_varchar = true, union_by_name = true, filename = true, "
            "quote = '\"', strict_mode = false)",
        )
    return "".join(f"\n    union all by name\n    {p}" for p in parts)


def xapi_sql(files: list[Path]) -> str:
    """One read_json per layout of the training feed's xAPI files (actor, verb, object and
    timestamp of each statement)."""
    layouts: dict[str, list[str]] = defaultdict(list)
    for f in files:
        if f.suffix.lower() == ".json":
            layouts[json_layout(f)].append(str(f))
    parts = []
    for layout, paths in sorted(layouts.items()):
        listed = ", ".join(_q(p) for p in paths)
        parts.append(
            f'select actor, verb, object, "timestamp", filename from read_json([{listed}], '
            f"format = {_q(layout)}, filename = true, union_by_name = true, "
            "columns = {actor: 'JSON', verb: 'JSON', object: 'JSON', timestamp: 'VARCHAR'})"
        )
    return "".join(f"\n    union all by name\n    {p}" for p in parts)


def render(inbox: Path, min_cell: int = 5, max_reject_share: float = 0.2) -> str:
    excel = _extension("duckdb_extension_excel", "excel")
    ext = f"LOAD {_q(excel)};\nLOAD {_q(_extension('duckdb_extension_encodings', 'encodings'))};"
    sniffer = duckdb.connect()
    sniffer.execute(f"LOAD {_q(excel)}")
    try:
        survey = sources_sql(feed_files(inbox, "survey"), sniffer)
        hr = sources_sql(feed_files(inbox, "hr"), sniffer)
        training_files = feed_files(inbox, "training")
        training = sources_sql(training_files, sniffer)
    finally:
        sniffer.close()
    return (
        SQL.read_text(encoding="utf-8")
        .replace("{{EXTENSIONS}}", ext)
        .replace("{{SURVEY_SOURCES}}", survey)
        .replace("{{HR_SOURCES}}", hr)
        .replace("{{TRAINING_SOURCES}}", training)
        .replace("{{XAPI_SOURCES}}", xapi_sql(training_files))
        .replace("{{CODEBOOK}}", str(CODEBOOK))
        .replace("{{MIN_CELL}}", str(int(min_cell)))
        .replace("{{MAX_REJECT_SHARE}}", repr(float(max_reject_share)))
    )


def run(inbox: Path, threads: int | None = None) -> tuple[duckdb.DuckDBPyConnection, float]:
    """Run the baseline; return the open connection (table baseline_maturity) and seconds."""
    t = time.perf_counter()
    con = duckdb.connect(config={"memory_limit": "4GB"})
    if threads:
        con.execute(f"set threads = {int(threads)}")
    con.execute(render(inbox))
    return con, time.perf_counter() - t


# mart -> (keys, [(platform column, baseline column)], baseline table)
MARTS: dict[str, tuple[tuple[str, ...], tuple[tuple[str, str], ...], str]] = {
    "fct_maturity": (
        KEYS,
        (("respondents", "respondents_unsuppressed"), ("score_pct", "score_unsuppressed")),
        "baseline_maturity",
    ),
    "fct_response_rate": (
        ("municipality_code", "wave", "target_group"),
        (
            ("headcount", "headcount"),
            ("respondents", "respondents"),
            ("response_rate_pct", "response_rate_pct"),
        ),
        "baseline_response_rate",
    ),
    "fct_training_coverage": (
        ("municipality_code", "period", "target_group", "gender"),
        (
            ("headcount", "headcount"),
            ("trained_persons", "trained_persons"),
            ("coverage_pct", "coverage_pct"),
        ),
        "baseline_training_coverage",
    ),
}


def compare(con: duckdb.DuckDBPyConnection, warehouse: Path, mart: str = "fct_maturity") -> dict:
    """Cells the platform shows (suppressed = false) vs the baseline's unsuppressed numbers:
    every shown cell must be in the baseline with equal values (unrounded, to 1e-9)."""
    keys, values, table = MARTS[mart]
    con.execute(f"attach {_q(str(warehouse))} as pub (read_only)")
    try:
        on = " and ".join(f"p.{k} = b.{k}" for k in keys)
        # the marts publish unrounded numbers: equal up to floating-point summation order
        same = " and ".join(
            f"((p.{a} is null and b.{b} is null) or "
            f"abs(p.{a} - b.{b}) <= 1e-9 * greatest(1, abs(b.{b})))"
            for a, b in values
        )
        shown, equal, missing, cells = con.execute(
            f"""
            select
                count(*) filter (where not p.suppressed),
                count(*) filter (where not p.suppressed and b.{keys[0]} is not null and {same}),
                count(*) filter (where not p.suppressed and b.{keys[0]} is null),
                count(*)
            from pub.marts.{mart} as p
            left join {table} as b on {on}
            """
        ).fetchone()
    finally:
        con.execute("detach pub")
    baseline_cells = con.execute(
        f"select count(*), count(*) filter (where not suppressed) from {table}"
    ).fetchone()
    return {
        "platform_cells": cells,
        "platform_shown": shown,
        "equal": equal,
        "missing_in_baseline": missing,
        "match_rate": (equal / shown) if shown else None,
        "baseline_cells": baseline_cells[0],
        "baseline_shown": baseline_cells[1],
    }


def compare_all(con: duckdb.DuckDBPyConnection, warehouse: Path) -> dict[str, dict]:
    """compare() for every mart the baseline computes."""
    return {mart: compare(con, warehouse, mart) for mart in MARTS}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("inbox", type=Path)
    ap.add_argument("--warehouse", type=Path, help="a published mognad.duckdb to compare with")
    ap.add_argument("--json", type=Path, help="write the result here")
    ap.add_argument("--print-sql", action="store_true")
    args = ap.parse_args(argv)
    if args.print_sql:
        print(render(args.inbox))
        return 0
    cpu0 = time.process_time()
    con, seconds = run(args.inbox)
    out = {
        "scenario": "baseline",
        "wall_s": round(seconds, 3),
        "cpu_s": round(time.process_time() - cpu0, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "files": {f: len(feed_files(args.inbox, f)) for f in ("survey", "hr", "training")},
        "rows": {
            mart: con.execute(f"select count(*) from {table}").fetchone()[0]
            for mart, (_, _, table) in MARTS.items()
        },
    }
    if args.warehouse:
        out["match"] = compare_all(con, args.warehouse)
    print(json.dumps(out, indent=1))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
