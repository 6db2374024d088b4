"""Run bench/baseline.sql on an inbox and compare it with a published warehouse.

    .venv/pipeline/bin/python bench/baseline.py INBOX [--warehouse mognad.duckdb] [--json OUT]

Sniffs each survey file's encoding (UTF-8 or Windows-1252) and delimiter from its bytes
(per file, never per row), fills the placeholders of baseline.sql and runs it in one
in-memory DuckDB. With ``--warehouse``, compares the baseline's unsuppressed numbers with the
published ``marts.fct_maturity``: every cell the platform shows (suppressed = false) must have
the same respondents and score_pct in the baseline.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
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


def survey_files(inbox: Path) -> list[Path]:
    return sorted(p for p in Path(inbox).glob("[0-9][0-9][0-9][0-9]/survey/*") if p.is_file())


def sources_sql(files: list[Path]) -> str:
    classes: dict[tuple[str, str], list[str]] = defaultdict(list)
    parts = []
    for f in files:
        if f.suffix.lower() == ".xlsx":
            # the header is below a title row in the demo's XLSX exports
            parts.append(
                f"select *, {_q(str(f))} as filename from read_xlsx({_q(str(f))}, "
                "header = true, all_varchar = true, range = 'A2:BZ1048576', stop_at_empty = true)"
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


def render(inbox: Path, min_cell: int = 5) -> str:
    ext = (
        f"LOAD {_q(_extension('duckdb_extension_excel', 'excel'))};\n"
        f"LOAD {_q(_extension('duckdb_extension_encodings', 'encodings'))};"
    )
    return (
        SQL.read_text(encoding="utf-8")
        .replace("{{EXTENSIONS}}", ext)
        .replace("{{SOURCES}}", sources_sql(survey_files(inbox)))
        .replace("{{CODEBOOK}}", str(CODEBOOK))
        .replace("{{MIN_CELL}}", str(int(min_cell)))
    )


def run(inbox: Path, threads: int | None = None) -> tuple[duckdb.DuckDBPyConnection, float]:
    """Run the baseline; return the open connection (table baseline_maturity) and seconds."""
    t = time.perf_counter()
    con = duckdb.connect(config={"memory_limit": "4GB"})
    if threads:
        con.execute(f"set threads = {int(threads)}")
    con.execute(render(inbox))
    return con, time.perf_counter() - t


def compare(con: duckdb.DuckDBPyConnection, warehouse: Path) -> dict:
    """Cells the platform shows vs the baseline's unsuppressed numbers."""
    con.execute(f"attach {_q(str(warehouse))} as pub (read_only)")
    on = " and ".join(f"p.{k} = b.{k}" for k in KEYS)
    row = con.execute(
        f"""
        select
            count(*) filter (where not p.suppressed) as shown,
            count(*) filter (where not p.suppressed and b.municipality_code is not null
                and p.respondents = b.respondents_unsuppressed
                and p.score_pct = b.score_unsuppressed) as equal,
            count(*) filter (where not p.suppressed and b.municipality_code is null) as missing,
            count(*) as platform_cells,
            count(*) filter (where p.respondents is not null) as platform_with_n
        from pub.marts.fct_maturity as p
        left join baseline_maturity as b on {on}
        """
    ).fetchone()
    shown, equal, missing, cells, _ = row
    baseline_cells = con.execute(
        "select count(*), count(*) filter (where not suppressed) from baseline_maturity"
    ).fetchone()
    con.execute("detach pub")
    return {
        "platform_cells": cells,
        "platform_shown": shown,
        "equal": equal,
        "missing_in_baseline": missing,
        "match_rate": (equal / shown) if shown else None,
        "baseline_cells": baseline_cells[0],
        "baseline_shown": baseline_cells[1],
    }


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
        "survey_files": len(survey_files(args.inbox)),
        "rows": con.execute("select count(*) from baseline_maturity").fetchone()[0],
    }
    if args.warehouse:
        out["match"] = compare(con, args.warehouse)
    print(json.dumps(out, indent=1))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
