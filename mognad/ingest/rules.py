"""The ingest rules every parser shares: each feed's columns (name, aliases, required),
header mapping, the parse result and context, and the per-value rules both the row-wise
parser (`rows`) and the columnar parser (`columnar`) apply."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from mognad.contract.problems import Problem, problem
from mognad.contract.reference import codebook
from mognad.ingest.identity import normalise, pseudonymise


@dataclass(frozen=True)
class Column:
    name: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    description: str = ""


FEED_COLUMNS: dict[str, tuple[Column, ...]] = {
    "survey": (
        Column("respondent_id", ("svars_id", "svarsid", "respondent"), True, "unikt svars-id"),
        Column("submitted_at", ("inskickad", "datum"), True, "datum eller datum och tid"),
        Column("target_group", ("målgrupp", "roll"), True, "förtroendevald, chef, medarbetare"),
        Column("gender", ("kön",), False, "kvinna, man, annat"),
        Column("department", ("förvaltning",), False, ""),
        Column("instrument", ("enkät",), False, "dimios (standard) eller digcomp"),
    ),
    "training": (
        Column("person_id", ("personnummer",), True, "personnummer eller samordningsnummer"),
        Column("course_code", ("kurskod",), True, ""),
        Column("course_name", ("kursnamn",), False, ""),
        Column("completed_at", ("slutförd", "datum"), False, "krävs för slutförda rader"),
        Column("status", ("status",), False, "completed, passed, failed, incomplete, started"),
        Column("format", ("form",), False, "e-learning, workshop, other"),
        Column("hours", ("timmar",), False, "decimaltal, komma eller punkt"),
    ),
    "hr": (
        Column("person_id", ("personnummer",), True, "personnummer eller samordningsnummer"),
        Column("snapshot_date", ("datum", "period"), True, "datum eller ÅÅÅÅ-MM"),
        Column("department", ("förvaltning",), True, ""),
        Column("unit", ("enhet",), False, ""),
        Column("target_group", ("målgrupp", "roll"), False, "förtroendevald, chef, medarbetare"),
        Column("manager", ("chef",), False, "ja/nej, används när målgrupp saknas"),
        Column("gender", ("kön",), False, "kvinna, man, annat (K/M)"),
        Column("aid_code", ("aid", "aid-kod"), False, "6 siffror"),
        Column("fte", ("sysselsättningsgrad",), False, "procent eller andel"),
    ),
    # A training plan: steps of courses a target group is to complete (mognad.ingest.plan).
    "plan": (
        Column("step", ("steg",), True, "kort namn, unikt i filen"),
        Column("target_group", ("målgrupp",), True, "förtroendevald, chef, medarbetare eller alla"),
        Column("department", ("förvaltning",), False, "tomt = hela kommunen"),
        Column(
            "course_codes",
            ("kurskoder", "kurskod"),
            True,
            "en eller flera kurskoder, åtskilda med , eller ;",
        ),
        Column("starts_on", ("startdatum", "start"), False, "datum"),
        Column("due_on", ("klart_senast", "slutdatum"), True, "datum, inte före startdatum"),
        Column("target_pct", ("mål_procent", "mål"), True, "0–100, decimalkomma går bra"),
        Column("after_step", ("efter_steg",), False, "ett steg i samma fil som ska göras först"),
    ),
}


KEYED_FEEDS = ("training", "hr")


def header_key(text: str) -> str:
    return re.sub(r"[\s_\-]+", "", str(text or "").strip().lower())


@dataclass
class HeaderMap:
    columns: dict[str, int]
    original: dict[str, str]
    items: dict[str, int] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)


def map_header(feed: str, header: list[str]) -> HeaderMap:
    keys = [header_key(h) for h in header]
    columns: dict[str, int] = {}
    original: dict[str, str] = {}
    for col in FEED_COLUMNS[feed]:
        for alias in (col.name, *col.aliases):
            k = header_key(alias)
            if k in keys and col.name not in columns:
                idx = keys.index(k)
                if idx in columns.values():
                    continue
                columns[col.name] = idx
                original[col.name] = header[idx].strip()
    items: dict[str, int] = {}
    if feed == "survey":
        known = {code.lower(): code for book in codebook().values() for code in book}
        for idx, k in enumerate(keys):
            if k in known and idx not in columns.values():
                items[known[k]] = idx
                original[known[k]] = header[idx].strip()
    missing = [c.name for c in FEED_COLUMNS[feed] if c.required and c.name not in columns]
    return HeaderMap(columns, original, items, missing)


@dataclass
class Parsed:
    records: list[dict]
    rows_read: int
    rows_loaded: int
    problems: list[Problem]
    fatal: Problem | None = None
    table: object | None = None
    """The landed rows as a ``pyarrow.Table`` (the columnar path) instead of ``records``."""
    receipt: dict = field(default_factory=dict)
    """More for the receipt (``ignored_statements``, ``mapping``): counts and header names,
    never a cell's value."""


@dataclass
class Context:
    key: bytes | None
    today: dt.date = field(default_factory=dt.date.today)
    municipality_code: str | None = None
    home: Path | None = None
    """``MOGNAD_HOME``: where the county's mapping files are (``mappings/<kod>/<feed>.yaml``,
    or the folder ``MOGNAD_MAPPINGS_DIR`` names); ``None``: no mapping files are looked for."""
    mapping: object | None = None
    """A mapping given directly (``mognad check --mapping``) instead of looked up."""


def _cell(row: list, idx: int | None) -> str:
    """The trimmed text of a cell ("" when absent); the per-row hot path, so inlined."""
    if idx is None or idx >= len(row):
        return ""
    value = row[idx]
    return "" if value is None else str(value).strip()


def _fatal(rows_read: int, p: Problem) -> Parsed:
    return Parsed([], rows_read, 0, [p], p)


def _col(hmap: HeaderMap, name: str) -> str:
    return hmap.original.get(name, name)


@lru_cache(maxsize=1 << 16)
def _person_key(raw: str, key: bytes, today: dt.date) -> str | None:
    """The pseudonym for a written personnummer (cached: HR and LMS files repeat people)."""
    twelve = normalise(raw, today=today)
    return None if twelve is None else pseudonymise(key, twelve)


def _person(raw: str, row_no: int, column: str, ctx: Context) -> tuple[str | None, Problem | None]:
    pkey = _person_key(raw, ctx.key, ctx.today) if raw else None
    if pkey is None:
        code = "missing_value" if not raw else "invalid_personnummer"
        return None, problem(code, row_no, column)
    return pkey, None


STATUSES = {
    "completed": "completed",
    "complete": "completed",
    "slutförd": "completed",
    "genomförd": "completed",
    "klar": "completed",
    "passed": "passed",
    "godkänd": "passed",
    "failed": "failed",
    "underkänd": "failed",
    "incomplete": "incomplete",
    "ej slutförd": "incomplete",
    "ofullständig": "incomplete",
    "started": "started",
    "påbörjad": "started",
    "browsed": "started",
    "launched": "started",
    "initialized": "started",
    "not attempted": "started",
    "attempted": "started",
}


FORMATS = {
    "e-learning": "e-learning",
    "elearning": "e-learning",
    "webb": "e-learning",
    "webbutbildning": "e-learning",
    "webbkurs": "e-learning",
    "online": "e-learning",
    "workshop": "workshop",
    "seminarium": "workshop",
    "other": "other",
    "annat": "other",
    "övrigt": "other",
}


def _training_record(
    pkey, course_code, course_name, completed_at, status, fmt, hours, row_no
) -> dict:
    return {
        "person_key": pkey,
        "course_code": course_code,
        "course_name": course_name or None,
        "completed_at": completed_at,
        "status": status,
        "completed": status in ("completed", "passed"),
        "format": fmt,
        "hours": hours,
        "source_row": row_no,
    }


KOLADA_GENDER = {"T": "alla", "K": "kvinna", "M": "man"}
