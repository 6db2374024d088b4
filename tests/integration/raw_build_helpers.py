"""Helpers for the build tests: a hand-made raw zone and an independent scorer."""

from __future__ import annotations

import hashlib
import random
import sqlite3
from datetime import datetime
from pathlib import Path
from statistics import mean

import duckdb

from mognad.contract.reference import codebook

SURVEY_COLUMNS = (
    "load_id VARCHAR, municipality_code VARCHAR, source_file VARCHAR, sha256 VARCHAR, "
    "received_at TIMESTAMP, source_row INTEGER, respondent_id VARCHAR, submitted_at TIMESTAMP, "
    "wave INTEGER, target_group VARCHAR, gender VARCHAR, department VARCHAR, "
    "instrument VARCHAR, item_code VARCHAR, answer INTEGER"
)


def make_respondents(
    kod: str, wave: int, groups: dict[str, int], seed: int, instrument: str = "dimios"
) -> list[dict]:
    """One dict per respondent: group and {item_code: answer or None}, about 25 % blanks."""
    rng = random.Random(seed)
    items = codebook()[instrument]
    out = []
    for group, n in groups.items():
        for i in range(n):
            answers = {
                code: (None if rng.random() < 0.25 else rng.randint(it.scale_min, it.scale_max))
                for code, it in items.items()
            }
            out.append(
                {
                    "respondent_id": f"{kod}-{wave}-{group[:3]}-{i}",
                    "target_group": group,
                    "instrument": instrument,
                    "answers": answers,
                }
            )
    return out


def write_survey_load(raw: Path, kod: str, wave: int, load_id: str, respondents: list[dict]):
    """One load in the raw zone, laid out and typed as docs/architecture.md says."""
    folder = raw / "feed=survey" / f"municipality_code={kod}" / f"load_id={load_id}"
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for n, r in enumerate(respondents):
        for code, answer in r["answers"].items():
            rows.append(
                (
                    load_id,
                    kod,
                    f"enkat_{wave}.csv",
                    "ab" * 32,
                    datetime(wave + 1, 1, 10, 8, 0),
                    n + 2,
                    r["respondent_id"],
                    datetime(wave, 5, 3, 12, 0),
                    wave,
                    r["target_group"],
                    "kvinna" if n % 2 else "man",
                    None,
                    r["instrument"],
                    code,
                    answer,
                )
            )
    con = duckdb.connect()
    try:
        con.execute(f"create table t ({SURVEY_COLUMNS})")
        con.executemany(f"insert into t values ({', '.join('?' * 15)})", rows)
        con.execute(f"copy t to '{folder / 'data.parquet'}' (format parquet)")
    finally:
        con.close()


def write_ledger(path: Path, rows: list[tuple]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path)
    con.execute(
        "create table attempts (attempt_id integer primary key, municipality_code text, "
        "feed text, file text, sha256 text, status text, rows_read integer, "
        "rows_loaded integer, rows_rejected integer, received_at text, load_id text, "
        "reason text)"
    )
    con.executemany(f"insert into attempts values ({', '.join('?' * 12)})", rows)
    con.commit()
    con.close()


def respondent_scores(respondent: dict) -> dict[tuple[str, str], float]:
    """CONTRACT §6 scoring, written independently of the dbt SQL."""
    items = codebook()[respondent["instrument"]]
    by_category: dict[tuple[str, str], list] = {}
    for code, item in items.items():
        answer = respondent["answers"].get(code)
        if answer is None:
            value = None
        else:
            if item.reverse_coded:
                answer = item.scale_max + item.scale_min - answer
            value = 100 * (answer - item.scale_min) / (item.scale_max - item.scale_min)
        by_category.setdefault((item.dimension, item.category), []).append(value)
    scores: dict[tuple[str, str], float] = {}
    for key, values in by_category.items():
        answered = [v for v in values if v is not None]
        if 2 * len(answered) >= len(values):
            scores[key] = mean(answered)
    dims: dict[str, list[float]] = {}
    for (dim, _cat), s in scores.items():
        dims.setdefault(dim, []).append(s)
    for dim, values in dims.items():
        scores[(dim, "alla")] = mean(values)
    if dims:
        scores[("alla", "alla")] = mean(scores[(d, "alla")] for d in dims)
    return scores


def expected_cell(respondents: list[dict], group: str, dimension: str, category: str):
    """(respondents with a score, mean score) for one cell of fct_maturity."""
    chosen = [r for r in respondents if group == "alla" or r["target_group"] == group]
    values = [
        s[(dimension, category)]
        for s in map(respondent_scores, chosen)
        if (dimension, category) in s
    ]
    return len(values), (mean(values) if values else None)


PROVENANCE = (
    "load_id VARCHAR, municipality_code VARCHAR, source_file VARCHAR, sha256 VARCHAR, "
    "received_at TIMESTAMP, source_row INTEGER"
)


def _write(folder: Path, columns: str, rows: list[tuple]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    try:
        con.execute(f"create table t ({PROVENANCE}, {columns})")
        n = len(columns.split(",")) + 6
        con.executemany(f"insert into t values ({', '.join('?' * n)})", rows)
        con.execute(f"copy t to '{folder / 'data.parquet'}' (format parquet)")
    finally:
        con.close()


def pseudonym(person: str) -> str:
    """A stand-in pseudonym (64 hex digits, like the ingest's HMAC) for a test person id;
    ids that already look like one (or are deliberately wrong: digits only) are kept."""
    if len(person) == 64 or person.isdigit():
        return person
    return hashlib.sha256(person.encode()).hexdigest()


def write_hr_load(raw: Path, kod: str, load_id: str, employments: list[tuple]) -> None:
    """employments: (person_key, snapshot_date, department, target_group, gender)."""
    rows = [
        (load_id, kod, "hr.csv", "ef" * 32, datetime(2026, 1, 5), i + 2, pseudonym(p), d, dep,
         None, tg, g,
         None, 1.0)
        for i, (p, d, dep, tg, g) in enumerate(employments)
    ]  # fmt: skip
    _write(
        raw / "feed=hr" / f"municipality_code={kod}" / f"load_id={load_id}",
        "person_key VARCHAR, snapshot_date DATE, department VARCHAR, unit VARCHAR, "
        "target_group VARCHAR, gender VARCHAR, aid_code VARCHAR, fte DOUBLE",
        rows,
    )


def write_training_load(raw: Path, kod: str, load_id: str, events: list[tuple]) -> None:
    """events: (person_key, course_code, completed_at or None, status)."""
    rows = [
        (load_id, kod, "lms.csv", "12" * 32, datetime(2026, 1, 5), i + 2, pseudonym(p), c,
         None, d, s,
         s in ("completed", "passed"), "e-learning", 2.0)
        for i, (p, c, d, s) in enumerate(events)
    ]  # fmt: skip
    _write(
        raw / "feed=training" / f"municipality_code={kod}" / f"load_id={load_id}",
        "person_key VARCHAR, course_code VARCHAR, course_name VARCHAR, completed_at DATE, "
        "status VARCHAR, completed BOOLEAN, format VARCHAR, hours DOUBLE",
        rows,
    )


def write_kolada_load(raw: Path, kod: str, load_id: str, values: list[tuple]) -> None:
    """values: (kpi, year, gender, value)."""
    rows = [
        (load_id, kod, "kolada.json", "34" * 32, datetime(2026, 1, 5), i + 1, k, y, g, v)
        for i, (k, y, g, v) in enumerate(values)
    ]
    _write(
        raw / "feed=kolada" / f"municipality_code={kod}" / f"load_id={load_id}",
        "kpi VARCHAR, year INTEGER, gender VARCHAR, value DOUBLE",
        rows,
    )
