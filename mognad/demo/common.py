"""What every demo feed uses: the summary of what was written, seeded randomness (never the
global RNG), the months, the staff of a municipality, and writing CSV and XLSX bytes."""

from __future__ import annotations

import csv
import hashlib
import io
import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import xlsxwriter

from mognad.contract.personnummer import build as build_pnr
from mognad.demo.design import (
    DEPARTMENTS,
    FIRST_MONTH,
    LAST_MONTH,
    POLITICAL,
    POPULATION,
    PROFILES,
    XLSX_CREATED,
    Profile,
)


# --- results -------------------------------------------------------------------------------
@dataclass(frozen=True)
class BadThing:
    """One deliberate problem. ``row`` counts as a person does in the file (header = 1)."""

    municipality_code: str
    feed: str
    file: str  # path relative to the inbox, with forward slashes
    row: int | None
    column: str | None
    kind: str  # invalid_personnummer | invalid_target_group | answer_out_of_range |
    #            duplicate_respondent_id | unparseable_date | unreadable_file
    detail: str


@dataclass
class DemoSummary:
    inbox: Path
    seed: int
    scale: float
    files: list[Path] = field(default_factory=list)
    rows: dict[str, int] = field(
        default_factory=lambda: {"survey": 0, "training": 0, "hr": 0, "plan": 0}
    )
    bad: list[BadThing] = field(default_factory=list)
    staff: dict[str, int] = field(default_factory=dict)  # municipality -> staff at the start
    survey_mean_answer: dict[int, float] = field(default_factory=dict)  # dimios, by wave
    seconds: float = 0.0

    @property
    def unreadable(self) -> list[BadThing]:
        return [b for b in self.bad if b.kind == "unreadable_file"]


# --- deterministic randomness ------------------------------------------------------------------
def _h(*parts: object) -> int:
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big")


def _u(*parts: object) -> float:
    """A stable number in [0, 1) from the parts."""
    return _h(*parts) / 2**64


def _rng(seed: int, *parts: object) -> random.Random:
    return random.Random(_h(seed, *parts))


def _months() -> list[tuple[int, int]]:
    out, (y, m) = [], FIRST_MONTH
    while (y, m) <= LAST_MONTH:
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


MONTHS = _months()


def _month_end(y: int, m: int) -> date:
    return (date(y + 1, 1, 1) if m == 12 else date(y, m + 1, 1)) - timedelta(days=1)


def _month_index(d: date) -> int:
    return (d.year - FIRST_MONTH[0]) * 12 + d.month - FIRST_MONTH[1]


def population(code: str) -> int:
    """Approximate inhabitants: known for Västernorrland, else a stable 2.5k–100k draw."""
    if code in POPULATION:
        return POPULATION[code]
    return int(round(2_500 * math.exp(math.log(40) * _u("population", code)), -2))


def _slug(name: str) -> str:
    table = str.maketrans({"å": "a", "ä": "a", "ö": "o", "é": "e", " ": "-"})
    return "".join(c for c in name.lower().translate(table) if c.isalnum() or c == "-")


def _profile(code: str) -> Profile:
    if code in PROFILES:
        return PROFILES[code]
    keys = sorted(PROFILES)
    return PROFILES[keys[_h("profile", code) % len(keys)]]


# --- people ----------------------------------------------------------------------------------
@dataclass
class Person:
    pnr: str
    gender: str
    target_group: str
    department: str
    unit: str
    aid: str
    fte: float | None
    start: int  # first month index employed
    end: int | None  # first month index no longer employed
    second: tuple[str, str, float] | None
    base: float  # latent maturity, 0-100 scale

    def active(self, month: int) -> bool:
        return self.start <= month and (self.end is None or month < self.end)


def _people(rng: random.Random, code: str, n: int, level: float) -> list[Person]:
    used: set[str] = set()
    people: list[Person] = []
    monthly_leave = 0.008

    def tenure_end(start: int) -> int | None:
        # geometric number of months until leaving
        months = int(math.log(1 - rng.random()) / math.log(1 - monthly_leave)) + 1
        end = start + months
        return end if end < len(MONTHS) else None

    def new_person(start: int) -> Person:
        r = rng.random()
        tg = "förtroendevald" if r < 0.03 else "chef" if r < 0.09 else "medarbetare"
        g = rng.random()
        gender = "kvinna" if g < 0.74 else "man" if g < 0.99 else "annat"
        while True:
            year = rng.randint(1958, 2003)
            born = date(year, 1, 1) + timedelta(days=rng.randrange(365))
            odd = gender == "man" or (gender == "annat" and rng.random() < 0.5)
            serial = (
                rng.randrange(0, 100) * 10 + rng.choice((1, 3, 5, 7, 9) if odd else (0, 2, 4, 6, 8))
                or 2
            )  # serial 000 is never issued (and is refused at ingest)
            pnr = build_pnr(born, serial, samordning=rng.random() < 0.012)
            if pnr not in used:
                used.add(pnr)
                break
        if tg == "förtroendevald":
            dept, (_, units, aids) = POLITICAL[0], (0, POLITICAL[1], POLITICAL[2])
            fte = None if rng.random() < 0.6 else rng.choice((0.05, 0.1, 0.2, 0.4))
        else:
            x, acc = rng.random(), 0.0
            for dept, (w, units, aids) in DEPARTMENTS.items():  # noqa: B007
                acc += w
                if x < acc:
                    break
            fte = (
                1.0
                if tg == "chef" or rng.random() < 0.6
                else rng.choice((0.5, 0.75, 0.8, 0.875, 0.9))
            )
        unit = rng.choice(units)
        aid = rng.choice(aids)
        second = None
        if tg == "medarbetare" and fte is not None and fte < 1 and rng.random() < 0.08:
            second = (rng.choice(units), rng.choice(aids), round(1 - fte, 3))
        tg_off = {"chef": 6.0, "förtroendevald": -4.0, "medarbetare": 0.0}[tg]
        base = level + tg_off + rng.gauss(0, 12)
        return Person(pnr, gender, tg, dept, unit, aid, fte, start, tenure_end(start), second, base)

    for _ in range(n):
        people.append(new_person(0))
    for m in range(1, len(MONTHS)):
        hires = sum(1 for _ in range(max(1, round(n * monthly_leave * 2))) if rng.random() < 0.55)
        for _ in range(hires):
            people.append(new_person(m))
    return people


# --- writing ----------------------------------------------------------------------------------
def _text(v: object) -> str:
    return "" if v is None else str(v)


def _csv_bytes(style: dict, header: list[str], rows: list[list[object]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=style["delimiter"], lineterminator=style["newline"])
    w.writerow(header)
    for r in rows:
        w.writerow([_text(v) for v in r])
    return buf.getvalue().encode(style["encoding"])


def _xlsx_bytes(
    style: dict, header: list[str], rows: list[list[object]], title: str | None
) -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_numbers": False})
    wb.set_properties({"created": XLSX_CREATED, "author": "mognad demo"})
    ws = wb.add_worksheet("Export")
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    bold = wb.add_format({"bold": True})
    r0 = 0
    if title:
        ws.write_string(0, 0, title, bold)
        r0 = 2 if style.get("blank_after_title") else 1
    for c, h in enumerate(header):
        ws.write_string(r0, c, h, bold)
    for i, row in enumerate(rows, start=r0 + 1):
        for c, v in enumerate(row):
            if v is None or v == "":
                continue
            if isinstance(v, str):
                ws.write_string(i, c, v)
            elif isinstance(v, date):
                ws.write_datetime(i, c, datetime(v.year, v.month, v.day), date_fmt)
            else:
                ws.write_number(i, c, v)
    wb.close()
    return buf.getvalue()


class _Writer:
    def __init__(self, inbox: Path, summary: DemoSummary):
        self.inbox = inbox
        self.summary = summary

    def write(self, code: str, feed: str, name: str, data: bytes, rows: int) -> str:
        path = self.inbox / code / feed / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.summary.files.append(path)
        self.summary.rows[feed] += rows
        return f"{code}/{feed}/{name}"

    def table(self, code, feed, name, style, header, rows, title=None) -> str:
        if style["kind"] == "xlsx":
            data = _xlsx_bytes(style, header, rows, title)
        else:
            data = _csv_bytes(style, header, rows)
        return self.write(code, feed, name, data, len(rows))


def _gender(g: str | None, how: str) -> str:
    if not g:
        return ""
    if how == "letter":
        return {"kvinna": "K", "man": "M", "annat": "Annat"}[g]
    if how == "word":
        return g.capitalize()
    return g


def _tg(tg: str, how: str) -> str:
    return tg.capitalize() if how == "title" else tg
