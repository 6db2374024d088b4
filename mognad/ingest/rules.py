"""The ingest rules every parser shares: each feed's columns (name, aliases, required),
header mapping, the parse result and context, and each tabular feed's rules table
(:data:`FEED_RULES`: column → how a cell is read → the problem codes it can give) that both
the row-wise parser (`rows`) and the columnar parser (`columnar`) apply."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

from mognad.contract.problems import Problem, problem
from mognad.contract.reference import codebook
from mognad.ingest import values as V
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


# --- the rules table ---------------------------------------------------------------------
# One rule per column of the tabular feeds: how a cell's text is read and which problem
# codes the column can give. The row-wise parser names problems with it, the columnar parser
# runs the same rule once per distinct value; the rules that look across cells (a repeated
# id, a completed course without a date) are each parser's own, their codes listed here.


class Invalid(ValueError):
    """A cell a rule cannot read; ``reason`` picks one of the rule's ``also`` codes."""

    def __init__(self, reason: str | None = None, detail: str = ""):
        super().__init__(reason or "invalid")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Reading:
    """What reading a cell may depend on besides its text."""

    excel: bool = False
    ctx: Context | None = None
    item: object | None = None
    """The codebook item of an answer column (its scale)."""


@dataclass(frozen=True)
class Rule:
    column: str
    read: Callable[[str, Reading], object] | None = None
    """The cell's value from its trimmed text (raises :class:`Invalid`); ``None``: the text."""
    invalid: str | None = None
    """The problem when ``read`` cannot read the cell."""
    missing: str | None = None
    """The problem when the cell is empty; ``None``: an empty cell is read (or blank)."""
    blank: bool = False
    """An empty cell is ``None`` without being read (the column is optional)."""
    detail: str = ""
    also: dict[str, str] = field(default_factory=dict)
    """Further problems of this column by reason: ``Invalid(reason)`` from ``read``, or a rule
    across cells the parsers apply (``repeated``, ``undated``)."""

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(c for c in (self.invalid, self.missing, *self.also.values()) if c)

    def check(self, text: str, reading: Reading) -> tuple[object, tuple[str, str] | None]:
        """``(value, None)``, or ``(None, (problem code, detail))`` when the cell is bad."""
        if not text:
            if self.missing:
                return None, (self.missing, "")
            if self.blank:
                return None, None
        if self.read is None:
            return text, None
        try:
            return self.read(text, reading), None
        except Invalid as bad:
            code = self.also[bad.reason] if bad.reason else self.invalid
            return None, (code, bad.detail or self.detail)


@lru_cache(maxsize=1 << 16)
def _person_key(raw: str, key: bytes, today: dt.date) -> str | None:
    """The pseudonym for a written personnummer (cached: HR and LMS files repeat people)."""
    twelve = normalise(raw, today=today)
    return None if twelve is None else pseudonymise(key, twelve)


def _read_person(text: str, r: Reading) -> str:
    pkey = _person_key(text, r.ctx.key, r.ctx.today)
    if pkey is None:
        raise Invalid
    return pkey


def _must(fn: Callable[[str], object]) -> Callable[[str, Reading], object]:
    def read(text: str, _r: Reading) -> object:
        value = fn(text)
        if value is None:
            raise Invalid
        return value

    return read


def _read_date(text: str, r: Reading) -> dt.date:
    value = V.date_or_month(text, excel=r.excel)
    if value is None:
        raise Invalid
    return value


def _read_timestamp(text: str, r: Reading) -> dt.datetime:
    value = V.timestamp(text, excel=r.excel)
    if value is None:
        raise Invalid
    return value


def _read_number(text: str, _r: Reading) -> float | None:
    try:
        return V.number(text)
    except ValueError:
        raise Invalid from None


def _read_fte(text: str, r: Reading) -> float | None:
    fte = _read_number(text, r)
    return fte / 100 if fte is not None and fte > 1.5 else fte


def _read_aid(text: str, r: Reading) -> str:
    if text.isdigit() and len(text) < 6 and r.excel:
        text = text.zfill(6)  # Excel drops the leading zeros of a number
    if not re.fullmatch(r"\d{6}", text):
        raise Invalid
    return text


def _read_instrument(text: str, _r: Reading) -> str:
    name = V.norm(text)
    if name not in codebook():
        raise Invalid
    return name


def _read_answer(text: str, r: Reading) -> int | None:
    try:
        value = V.answer(text)
    except ValueError:
        raise Invalid from None
    item = r.item
    if value is not None and not item.scale_min <= value <= item.scale_max:
        raise Invalid("scale", f"{item.scale_min}–{item.scale_max}")
    return value


_target_group = _must(V.target_group)
_gender = _must(V.gender)
_PERSON = Rule("person_id", _read_person, "invalid_personnummer", "missing_value")

ITEMS = "items"
"""The survey table's key for its answer columns (every codebook item in the header)."""

FEED_RULES: dict[str, dict[str, Rule]] = {
    "survey": {
        "respondent_id": Rule(
            "respondent_id", None, None, "missing_value", also={"repeated": "duplicate_id"}
        ),
        "submitted_at": Rule("submitted_at", _read_timestamp, "invalid_date", "missing_value"),
        "target_group": Rule("target_group", _target_group, "invalid_target_group"),
        "gender": Rule("gender", _gender, "invalid_gender"),
        "department": Rule("department", blank=True),
        # an empty cell is the file's default instrument (:func:`default_instrument`)
        "instrument": Rule("instrument", _read_instrument, "unknown_instrument"),
        ITEMS: Rule(ITEMS, _read_answer, "invalid_answer", also={"scale": "out_of_scale"}),
    },
    "training": {
        "person_id": _PERSON,
        "course_code": Rule("course_code", missing="missing_value"),
        "course_name": Rule("course_name", blank=True),
        # a completed or passed course needs its date
        "completed_at": Rule(
            "completed_at",
            _read_date,
            "invalid_date",
            blank=True,
            also={"undated": "missing_value"},
        ),
        # an empty status is implied by the date: completed with one, started without
        "status": Rule(
            "status", _must(lambda t: STATUSES.get(V.norm(t))), "invalid_status", blank=True
        ),
        "format": Rule("format", lambda t, _r: FORMATS.get(V.norm(t), "other"), blank=True),
        "hours": Rule("hours", _read_number, "invalid_number", blank=True),
    },
    "hr": {
        "person_id": _PERSON,
        "snapshot_date": Rule("snapshot_date", _read_date, "invalid_date", "missing_value"),
        "department": Rule("department", missing="missing_value"),
        "unit": Rule("unit", blank=True),
        # an empty target group is decided by the manager column
        "target_group": Rule("target_group", _target_group, "invalid_target_group", blank=True),
        "manager": Rule("manager", lambda t, _r: "chef" if V.yes_no(t) else "medarbetare"),
        "gender": Rule("gender", _gender, "invalid_gender"),
        "aid_code": Rule(
            "aid_code", _read_aid, "invalid_code", blank=True, detail="6 siffror/digits"
        ),
        "fte": Rule("fte", _read_fte, "invalid_number"),
    },
}


def answer_reading(reading: Reading, item) -> Reading:
    """The reading of one answer column: its item's scale."""
    return replace(reading, item=item)


def default_instrument(item_codes) -> str:
    """The instrument of a survey row without one: the one instrument owning the file's
    items, else the standard ``dimios``. The same for every row of a file."""
    books = codebook()
    owners = {inst for inst, book in books.items() for code in item_codes if code in book}
    return owners.pop() if len(owners) == 1 else "dimios"


def _person(raw: str, row_no: int, column: str, ctx: Context) -> tuple[str | None, Problem | None]:
    """A written personnummer's pseudonym, or the problem naming it (the xAPI parser's)."""
    pkey, flaw = _PERSON.check(raw, Reading(ctx=ctx))
    return pkey, None if flaw is None else problem(flaw[0], row_no, column, flaw[1])
