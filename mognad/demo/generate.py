"""Deterministic demo data: what municipalities would drop into the inbox.

``generate(inbox)`` writes ``inbox/<kommunkod>/<feed>/<file>`` for the survey, training and hr
feeds, in the variety the contract promises to accept (cp1252 and UTF-8 with or without BOM,
``;`` ``,`` and tab, decimal commas, XLSX with title rows, Swedish and English headers, every
common personnummer form), plus a few deliberately bad rows and exactly one unreadable file,
all listed in the returned :class:`DemoSummary`.

Same ``seed`` and ``scale`` give byte-identical files. Every random draw comes from a
``random.Random`` seeded by a SHA-256 of (seed, municipality, purpose), never the global RNG
nor Python's salted ``hash()``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import random
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import xlsxwriter

from mognad.contract.personnummer import build as build_pnr
from mognad.contract.personnummer import format_as
from mognad.contract.reference import VASTERNORRLAND, codebook, municipalities

# --- time frame ---------------------------------------------------------------------------
FIRST_MONTH = (2024, 1)
LAST_MONTH = (2026, 11)  # "now" is late November 2026: no snapshots from the future
WAVES = (2024, 2025, 2026)
SURVEY_WINDOWS = {
    2024: (date(2024, 3, 4), date(2024, 4, 26)),
    2025: (date(2025, 3, 3), date(2025, 5, 9)),
    2026: (date(2026, 2, 16), date(2026, 4, 24)),
}
TRAINING_START = date(2024, 2, 1)
TRAINING_END = date(2026, 11, 20)
XLSX_CREATED = datetime(2026, 1, 1, 0, 0, 0)

# --- sizes ----------------------------------------------------------------------------------
POPULATION = {  # approximate inhabitants
    "2260": 9_100,  # Ånge
    "2262": 18_000,  # Timrå
    "2280": 24_600,  # Härnösand
    "2281": 99_400,  # Sundsvall
    "2282": 17_800,  # Kramfors
    "2283": 19_000,  # Sollefteå
    "2284": 56_000,  # Örnsköldsvik
}
STAFF_SHARE = 0.07
MIN_STAFF = 30
FLAT_MUNICIPALITY = "2260"  # Ånge: no improvement between waves
FAST_MUNICIPALITY = "2262"  # Timrå: improves fast
BAD_HOST = "2281"  # Sundsvall carries the deliberate bad rows (if generated)

DEPARTMENTS = {
    "Socialförvaltningen": (
        0.34,
        [
            "Hemtjänst Norr",
            "Hemtjänst Söder",
            "Särskilt boende Björken",
            "Särskilt boende Solgläntan",
            "Individ- och familjeomsorg",
            "LSS-boende Tallen",
            "Biståndsenheten",
        ],
        ["051010", "053010", "059010", "061010", "052010"],
    ),
    "Barn- och utbildningsförvaltningen": (
        0.38,
        [
            "Förskola Myran",
            "Förskola Ekorren",
            "Centralskolan F-6",
            "Norrskolan 7-9",
            "Gymnasieskolan",
            "Elevhälsan",
            "Vuxenutbildningen",
        ],
        ["041010", "041020", "031010", "031020", "032010", "071010"],
    ),
    "Kommunledningsförvaltningen": (
        0.07,
        ["Ekonomi", "HR-avdelningen", "IT-avdelningen", "Kommunikation", "Kansli"],
        ["021010", "021020", "022010", "024010", "013010"],
    ),
    "Samhällsbyggnadsförvaltningen": (
        0.13,
        ["Plan och bygg", "Gata och park", "Vatten och avlopp", "Miljö och hälsa", "Fastigheter"],
        ["111010", "112010", "113010", "131010", "081010"],
    ),
    "Kultur- och fritidsförvaltningen": (
        0.08,
        ["Biblioteket", "Fritidsgårdar", "Simhallen", "Kulturskolan"],
        ["091010", "092010", "093010", "094010"],
    ),
}
POLITICAL = (
    "Politisk organisation",
    ["Kommunfullmäktige", "Kommunstyrelsen", "Nämnder"],
    ["001010"],
)

COURSES = [
    # code, name, format, hours, share who complete by the end, available from
    ("DF-GRUND", "Digitalt först – grundkurs", "e-learning", 1.5, 0.72, date(2024, 2, 1)),
    ("DF-INFOSAK", "Informationssäkerhet i vardagen", "e-learning", 1.0, 0.45, date(2024, 4, 1)),
    (
        "DF-M365",
        "Microsoft 365 – samarbete och delning",
        "e-learning",
        1.25,
        0.30,
        date(2024, 9, 1),
    ),
    ("DF-AI", "AI i offentlig sektor – introduktion", "e-learning", 2.0, 0.22, date(2025, 3, 1)),
    (
        "WS-VERKTYG",
        "Digitala verktyg i praktiken (workshop)",
        "workshop",
        2.5,
        0.18,
        date(2024, 5, 1),
    ),
    ("WS-LEDA", "Leda digital förändring (workshop)", "workshop", 3.5, 0.0, date(2024, 3, 1)),
]

# --- file styles ----------------------------------------------------------------------------
# A style: kind (csv/xlsx), encoding, delimiter, header names, how values are written.
SURVEY_STYLES = {
    "sv_bom": dict(
        kind="csv",
        encoding="utf-8-sig",
        delimiter=";",
        newline="\r\n",
        cols=["Svars_id", "Inskickad", "Målgrupp", "Kön", "Förvaltning", "Enkät"],
        ts="%Y-%m-%d %H:%M",
        tg="lower",
        gender="word",
        missing=["", "-", "Vet ej"],
    ),
    "sv_cp1252": dict(
        kind="csv",
        encoding="cp1252",
        delimiter=";",
        newline="\r\n",
        cols=["SVARS_ID", "Datum", "Roll", "KÖN", " Förvaltning ", None],
        ts="%Y-%m-%d",
        tg="title",
        gender="letter",
        missing=["", "Vet ej"],
    ),
    "en_utf8": dict(
        kind="csv",
        encoding="utf-8",
        delimiter=",",
        newline="\n",
        cols=[
            "respondent_id",
            "submitted_at",
            "target_group",
            "gender",
            "department",
            "instrument",
        ],
        ts="%Y-%m-%dT%H:%M:%S",
        tg="lower",
        gender="lower",
        missing=["", "-"],
    ),
    "tab": dict(
        kind="csv",
        encoding="utf-8",
        delimiter="\t",
        newline="\n",
        cols=["Respondent", "Inskickad", " Målgrupp ", "Kön", "Förvaltning", None],
        ts="%Y-%m-%d %H:%M:%S",
        tg="title",
        gender="word",
        missing=["", "vet ej", "-"],
    ),
    "xlsx_title": dict(
        kind="xlsx",
        title="DiMiOS {wave} – {name}",
        blank_after_title=False,
        cols=["Svars_ID ", "Datum", "Målgrupp", "Kön", "Förvaltning", "Enkät"],
        ts="%Y-%m-%d %H:%M",
        tg="title",
        gender="word",
        missing=["", "Vet ej"],
    ),
}
# digcomp files need an instrument column; styles without one use this header
INSTRUMENT_FALLBACK = {"sv_cp1252": "Enkät", "tab": "enkät"}

HR_STYLES = {
    "sv_cp1252": dict(
        kind="csv",
        encoding="cp1252",
        delimiter=";",
        newline="\r\n",
        cols=[
            "personnummer",
            "datum",
            "förvaltning",
            "enhet",
            "målgrupp",
            "kön",
            "aid-kod",
            "sysselsättningsgrad",
        ],
        period="month",
        pnr="long-",
        gender="letter",
        tg="lower",
        fte="percent_comma",
    ),
    "en_utf8": dict(
        kind="csv",
        encoding="utf-8",
        delimiter=",",
        newline="\n",
        cols=[
            "person_id",
            "snapshot_date",
            "department",
            "unit",
            "target_group",
            "gender",
            "aid_code",
            "fte",
        ],
        period="date",
        pnr="long",
        gender="lower",
        tg="lower",
        fte="fraction_point",
    ),
    "tab_bom": dict(
        kind="csv",
        encoding="utf-8-sig",
        delimiter="\t",
        newline="\r\n",
        cols=[
            "PERSONNUMMER",
            "Period",
            "Förvaltning",
            "Enhet",
            " Målgrupp ",
            "KÖN",
            "AID",
            "Sysselsättningsgrad",
        ],
        period="month",
        pnr="short-",
        gender="word",
        tg="title",
        fte="fraction_comma",
    ),
    "xlsx_dates": dict(
        kind="xlsx",
        title="Personalsammanställning {name}",
        blank_after_title=True,
        cols=[
            "Personnummer",
            "Datum",
            "Förvaltning",
            "Enhet",
            "Roll",
            "Kön",
            "Aid-kod",
            "Sysselsättningsgrad",
            "Chef",
        ],
        period="excel_date",
        pnr="short",
        gender="word",
        tg="title",
        fte="percent_number",
    ),
}

TRAINING_STYLES = {
    "sv_semicolon": dict(
        kind="csv",
        encoding="utf-8",
        delimiter=";",
        newline="\n",
        cols=["Personnummer", "Kurskod", "Kursnamn", "Slutförd", "Status", "Form", "Timmar"],
        pnr="short-",
        ts="%Y-%m-%d",
        status="lower",
        hours="comma",
    ),
    "sv_cp1252": dict(
        kind="csv",
        encoding="cp1252",
        delimiter=";",
        newline="\r\n",
        cols=["PERSONNUMMER", "KURSKOD", "KURSNAMN", "DATUM", "STATUS", "FORM", "TIMMAR"],
        pnr="long-",
        ts="%Y-%m-%d",
        status="title",
        hours="comma",
    ),
    "en_bom": dict(
        kind="csv",
        encoding="utf-8-sig",
        delimiter=",",
        newline="\r\n",
        cols=[
            "person_id",
            "course_code",
            "course_name",
            "completed_at",
            "status",
            "format",
            "hours",
        ],
        pnr="long",
        ts="%Y-%m-%d %H:%M:%S",
        status="title",
        hours="comma",
    ),
    "xlsx": dict(
        kind="xlsx",
        title=None,
        cols=["Personnummer", "Kurskod", "Kursnamn", "Slutförd", "Status", "Form", "Timmar"],
        pnr="long-",
        ts="%Y-%m-%d",
        status="lower",
        hours="number",
    ),
}


@dataclass(frozen=True)
class Profile:
    survey: Sequence[str]  # style per wave (index = wave - 2024)
    hr: str
    hr_switch: tuple[str, tuple[int, int]] | None  # (new style, from month)
    training: str
    training_every: int  # months per LMS export
    xapi: bool  # e-learning arrives as xAPI statements, workshops as CSV


PROFILES = {
    "2260": Profile(("sv_cp1252",) * 3, "xlsx_dates", None, "sv_cp1252", 3, False),
    "2262": Profile(("xlsx_title", "sv_bom", "sv_bom"), "sv_cp1252", None, "en_bom", 1, False),
    "2280": Profile(("en_utf8",) * 3, "en_utf8", None, "xlsx", 3, False),
    "2281": Profile(("sv_bom",) * 3, "tab_bom", None, "sv_semicolon", 1, False),
    "2282": Profile(("tab",) * 3, "sv_cp1252", None, "en_bom", 1, False),
    "2283": Profile(
        ("sv_cp1252", "en_utf8", "en_utf8"),
        "sv_cp1252",
        ("en_utf8", (2025, 7)),
        "sv_cp1252",
        1,
        False,
    ),
    "2284": Profile(("sv_bom", "sv_bom", "tab"), "tab_bom", None, "sv_semicolon", 3, True),
}


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


# --- survey ----------------------------------------------------------------------------------
def _improvement(seed: int, code: str) -> Callable[[str, str], float]:
    """Points per year on the 0-100 scale, by (category, target group), clamped to 0..12."""
    if code == FLAT_MUNICIPALITY:
        rate = 0.0
    elif code == FAST_MUNICIPALITY:
        rate = 10.0
    else:
        u = _u(seed, "rate", code)
        rate = 0.0 if u < 0.06 else 1.5 + 6.5 * u
    tg_factor = {"chef": 1.3, "förtroendevald": 0.75, "medarbetare": 1.0}

    def imp(category: str, tg: str) -> float:
        cf = 0.6 + 0.8 * _u(seed, "cat", code, category)
        tf = tg_factor[tg] * (0.85 + 0.3 * _u(seed, "tg", code, tg))
        return max(0.0, min(12.0, rate * cf * tf))

    return imp


def _survey(
    w: _Writer,
    seed: int,
    code: str,
    name: str,
    people: list[Person],
    level: float,
    profile: Profile,
    bad: bool,
    sums: dict[int, list[float]],
) -> None:
    items_by_instr = {instr: list(codebook()[instr].values()) for instr in ("dimios", "digcomp")}
    imp = _improvement(seed, code)
    rr_base = 0.35 + 0.30 * _u(seed, "rr", code)
    slug = _slug(name)
    cat_off = {}
    for instr, items in items_by_instr.items():
        for it in items:
            cat_off[(instr, it.category)] = -6 + 12 * _u(seed, "catlevel", code, it.category)

    plan = [("dimios", wave) for wave in WAVES]
    plan.append(("digcomp", 2025))
    if code in ("2281", "2284") or _h(seed, "dc2026", code) % 2 == 0:
        plan.append(("digcomp", 2026))

    for instr, wave in plan:
        rng = _rng(seed, code, "survey", instr, wave)
        style_name = profile.survey[wave - WAVES[0]]
        style = SURVEY_STYLES[style_name]
        items = items_by_instr[instr]
        lo, hi = items[0].scale_min, items[0].scale_max
        start, stop = SURVEY_WINDOWS[wave]
        month = _month_index(start)
        wi = wave - WAVES[0]
        base_cols = list(style["cols"])
        if instr == "digcomp" and base_cols[5] is None:
            base_cols[5] = INSTRUMENT_FALLBACK[style_name]
        keep = [i for i, c in enumerate(base_cols) if c is not None]
        header = [base_cols[i] for i in keep] + [it.item_code for it in items]
        rows: list[list[object]] = []
        ids = rng.sample(range(100_000, 1_000_000), k=len(people))
        for p in people:
            if not p.active(month):
                continue
            rr = (
                rr_base
                + {"chef": 0.10, "förtroendevald": -0.08, "medarbetare": 0.0}[p.target_group]
            )
            if instr == "digcomp":
                rr *= 0.8
            if rng.random() >= max(0.30, min(0.70, rr)):
                continue
            day = start + timedelta(days=rng.randrange((stop - start).days + 1))
            ts = datetime(
                day.year,
                day.month,
                day.day,
                rng.randint(7, 16),
                rng.randrange(60),
                rng.randrange(60),
            )
            answers: list[object] = []
            mus: dict[str, float] = {}
            for it in items:
                if it.category not in mus:
                    mus[it.category] = (
                        p.base
                        + cat_off[(instr, it.category)]
                        + wi * imp(it.category, p.target_group)
                        + rng.gauss(0, 6)
                    )
                if rng.random() < 0.03:
                    answers.append(rng.choice(style["missing"]))
                    continue
                x = lo + (hi - lo) * (mus[it.category] + rng.gauss(0, 12)) / 100
                a = max(lo, min(hi, int(round(x))))
                answers.append(a if style["kind"] == "xlsx" else str(a))
                if instr == "dimios":
                    sums.setdefault(wave, []).append(a)
            rid = (
                f"{wave % 100:02d}{ids[len(rows)]}"
                if style_name != "en_utf8"
                else f"R-{ids[len(rows)]}"
            )
            gender = "" if rng.random() < 0.04 else p.gender
            dept = "" if rng.random() < 0.03 else p.department
            meta = [
                rid,
                ts.strftime(style["ts"]),
                _tg(p.target_group, style["tg"]),
                _gender(gender, style["gender"]),
                dept,
                instr,
            ]
            rows.append([meta[i] for i in keep] + answers)
        rows.sort(key=lambda r: r[1])  # exports come sorted by submission time
        bad_rows: list[tuple[int, str, str, str]] = []
        if bad and instr == "dimios" and wave == 2025 and len(rows) >= 10:
            # an answer 9 on the 1-6 scale
            i = len(rows) // 3
            col = header.index("F03")
            rows[i][col] = "9"
            bad_rows.append((i, "F03", "answer_out_of_range", "answer 9 on a 1-6 scale"))
            # a duplicate respondent id (the later row repeats an earlier row's id)
            j = 2 * len(rows) // 3
            rows[j][0] = rows[1][0]
            bad_rows.append((j, header[0], "duplicate_respondent_id", f"same id as row {1 + 2}"))
        ext = "xlsx" if style["kind"] == "xlsx" else "csv"
        fname = f"{instr}_{wave}_{slug}.{ext}"
        title = (
            style.get("title", "").format(wave=wave, name=f"{name} kommun")
            if style.get("title")
            else None
        )
        rel = w.table(code, "survey", fname, style, header, rows, title)
        for i, col, kind, detail in bad_rows:
            w.summary.bad.append(BadThing(code, "survey", rel, i + 2, col, kind, detail))


# --- hr --------------------------------------------------------------------------------------
def _fte(v: float | None, how: str) -> object:
    if v is None:
        return ""
    if how == "percent_comma":
        return f"{v * 100:g}".replace(".", ",")
    if how == "percent_number":
        return round(v * 100, 1)
    if how == "fraction_comma":
        return f"{v:g}".replace(".", ",")
    return f"{v:g}"


def _hr(
    w: _Writer,
    seed: int,
    code: str,
    name: str,
    people: list[Person],
    profile: Profile,
    bad: bool,
    hr_months: Sequence[tuple[int, int]],
) -> None:
    # the bad rows go to 2025-03, or to the middle snapshot when 2025-03 is not generated
    bad_month = (2025, 3) if (2025, 3) in hr_months else hr_months[len(hr_months) // 2]
    for y, m in hr_months:
        mi = MONTHS.index((y, m))
        style_name = profile.hr
        if profile.hr_switch and (y, m) >= profile.hr_switch[1]:
            style_name = profile.hr_switch[0]
        st = HR_STYLES[style_name]
        end = _month_end(y, m)
        period: object = {"month": f"{y:04d}-{m:02d}", "date": end.isoformat(), "excel_date": end}[
            st["period"]
        ]
        rows: list[list[object]] = []
        for p in people:
            if not p.active(mi):
                continue
            jobs = [(p.unit, p.aid, p.fte)]
            if p.second:
                jobs.append(p.second)
            for unit, aid, fte in jobs:
                row: list[object] = [
                    format_as(p.pnr, st["pnr"]),
                    period,
                    p.department,
                    unit,
                    _tg(p.target_group, st["tg"]),
                    _gender(p.gender, st["gender"]),
                    aid,
                    _fte(fte, st["fte"]),
                ]
                if style_name == "xlsx_dates":
                    row.append("Ja" if p.target_group == "chef" else "Nej")
                rows.append(row)
        rows.sort(key=lambda r: (r[2], r[3], r[0]))
        bad_rows: list[tuple[int, str, str, str]] = []
        if bad and (y, m) == bad_month and st["kind"] == "csv" and len(rows) >= 10:
            template = rows[len(rows) // 2]
            # a personnummer with a wrong check digit
            valid = build_pnr(date(1975, 5, 17), 238)
            wrong = valid[:-1] + str((int(valid[-1]) + 3) % 10)
            r1 = list(template)
            r1[0] = format_as(wrong, st["pnr"])
            # a consultant: valid number, a target group outside the codebook
            r2 = list(template)
            r2[0] = format_as(build_pnr(date(1981, 11, 2), 457), st["pnr"])
            r2[4] = "konsult"
            i1, i2 = len(rows) // 4, 3 * len(rows) // 4
            rows.insert(i1, r1)
            rows.insert(i2, r2)
            bad_rows.append((i1, st["cols"][0], "invalid_personnummer", "wrong Luhn check digit"))
            bad_rows.append((i2, st["cols"][4], "invalid_target_group", "target group 'konsult'"))
        ext = "xlsx" if st["kind"] == "xlsx" else "csv"
        title = (
            st["title"].format(name=f"{name} kommun") + f" {y:04d}-{m:02d}"
            if st.get("title")
            else None
        )
        rel = w.table(code, "hr", f"hr_{y:04d}-{m:02d}.{ext}", st, list(st["cols"]), rows, title)
        for i, col, kind, detail in bad_rows:
            w.summary.bad.append(BadThing(code, "hr", rel, i + 2, col, kind, detail))


# --- training --------------------------------------------------------------------------------
@dataclass
class _Event:
    when: datetime
    person: Person
    course: tuple
    status: str  # completed, passed, failed, incomplete, started


def _training_events(seed: int, code: str, people: list[Person]) -> list[_Event]:
    rng = _rng(seed, code, "training")
    uptake = 0.7 + 0.45 * _u(seed, "uptake", code)
    horizon = datetime(TRAINING_END.year, TRAINING_END.month, TRAINING_END.day)
    events: list[_Event] = []
    for p in people:
        hired = datetime.combine(date(*MONTHS[p.start], 1), datetime.min.time())
        left = (
            datetime.combine(date(*MONTHS[p.end], 1), datetime.min.time())
            if p.end is not None
            else horizon
        )
        for course in COURSES:
            ccode, _, fmt, _, share, avail = course
            if ccode == "WS-LEDA":
                share = {"chef": 0.75, "förtroendevald": 0.5}.get(p.target_group, 0.0)
            tgf = {"chef": 1.2, "förtroendevald": 0.8, "medarbetare": 1.0}[p.target_group]
            gf = {"kvinna": 1.05, "man": 0.85, "annat": 1.0}[p.gender]
            prob = min(0.97, share * tgf * gf * uptake)
            lo = max(hired, datetime.combine(avail, datetime.min.time()))
            hi = min(left, horizon)
            if hi <= lo:
                continue
            r = rng.random()
            span = (hi - lo).total_seconds()
            if r < prob:
                # adoption grows over time: later dates are more likely than early ones
                frac = rng.random() ** (0.8 if p.start == 0 else 1.6)
                when = lo + timedelta(seconds=int(span * frac))
                when = when.replace(
                    hour=rng.randint(8, 16), minute=rng.randrange(60), second=rng.randrange(60)
                )
                if fmt == "e-learning" and rng.random() < 0.15:
                    before = when - timedelta(days=rng.randint(1, 20))
                    if before > lo:
                        events.append(
                            _Event(before, p, course, rng.choice(("incomplete", "failed")))
                        )
                status = (
                    "completed"
                    if fmt == "workshop"
                    else rng.choice(("completed", "passed", "passed"))
                )
                events.append(_Event(when, p, course, status))
            elif r < prob + 0.08 and fmt == "e-learning":
                when = lo + timedelta(seconds=int(span * rng.random()))
                events.append(
                    _Event(when, p, course, rng.choice(("incomplete", "started", "failed")))
                )
    events.sort(key=lambda e: (e.when, e.person.pnr, e.course[0]))
    return events


def _status(s: str, how: str) -> str:
    return s.capitalize() if how == "title" else s


def _training_row(e: _Event, st: dict, rng: random.Random) -> list[object]:
    ccode, cname, fmt, hours, _, _ = e.course
    done = e.status in ("completed", "passed", "failed")
    when = e.when.strftime(st["ts"]) if done else ""
    h: object = ""
    if e.status in ("completed", "passed"):
        hv = round(hours * rng.choice((0.8, 1.0, 1.0, 1.2)) * 4) / 4
        h = hv if st["hours"] == "number" else f"{hv:g}".replace(".", ",")
    fmt_txt = fmt if rng.random() < 0.9 else fmt.capitalize()
    return [
        format_as(e.person.pnr, st["pnr"]),
        ccode,
        cname,
        when,
        _status(e.status, st["status"]),
        fmt_txt,
        h,
    ]


_VERBS = {
    "completed": ("http://adlnet.gov/expapi/verbs/completed", "slutförde"),
    "passed": ("http://adlnet.gov/expapi/verbs/passed", "godkänd"),
    "failed": ("http://adlnet.gov/expapi/verbs/failed", "underkänd"),
    "incomplete": ("http://adlnet.gov/expapi/verbs/attempted", "påbörjade"),
    "started": ("http://adlnet.gov/expapi/verbs/launched", "startade"),
}


def _xapi(e: _Event, rng: random.Random, slug: str) -> dict:
    ccode, cname, _, hours, _, _ = e.course
    verb, display = _VERBS[e.status]
    st: dict = {
        "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "actor": {
            "objectType": "Agent",
            "account": {"homePage": f"https://lms.{slug}.se", "name": e.person.pnr},
        },
        "verb": {"id": verb, "display": {"sv-SE": display}},
        "object": {
            "objectType": "Activity",
            "id": f"https://lms.{slug}.se/xapi/activities/{ccode}",
            "definition": {
                "name": {"sv-SE": cname},
                "type": "http://adlnet.gov/expapi/activities/course",
            },
        },
        "timestamp": e.when.strftime("%Y-%m-%dT%H:%M:%S")
        + ("+02:00" if 4 <= e.when.month <= 10 else "+01:00"),
    }
    if e.status in ("completed", "passed", "failed"):
        minutes = int(hours * 60 * rng.choice((0.8, 1.0, 1.2)))
        st["result"] = {
            "completion": e.status != "failed",
            "success": e.status != "failed",
            "duration": f"PT{minutes // 60}H{minutes % 60}M",
        }
    return st


def _training(
    w: _Writer,
    seed: int,
    code: str,
    name: str,
    people: list[Person],
    profile: Profile,
    bad: bool,
    unreadable: bool,
) -> None:
    rng = _rng(seed, code, "training-files")
    events = _training_events(seed, code, people)
    st = TRAINING_STYLES[profile.training]
    slug = _slug(name)
    csv_events = events
    if profile.xapi:
        csv_events = [e for e in events if e.course[2] == "workshop"]
        by_year: dict[int, list[dict]] = {}
        for e in events:
            if e.course[2] != "workshop":
                by_year.setdefault(e.when.year, []).append(_xapi(e, rng, slug))
        for year, stmts in sorted(by_year.items()):
            if year % 2 == 1:  # JSON lines, one statement per line
                data = "".join(json.dumps(s, ensure_ascii=False) + "\n" for s in stmts)
            else:  # one JSON array
                data = json.dumps(stmts, ensure_ascii=False, indent=1)
            w.write(code, "training", f"xapi_{year}.json", data.encode("utf-8"), len(stmts))
    every = profile.training_every
    buckets: dict[tuple[int, int], list[_Event]] = {}
    for e in csv_events:
        mi = _month_index(e.when.date())
        ym = MONTHS[min(len(MONTHS) - 1, (mi // every + 1) * every - 1)]
        buckets.setdefault(ym, []).append(e)
    prefix = "workshop_narvaro" if profile.xapi else "lms_export"
    for (y, m), evs in sorted(buckets.items()):
        rows = [_training_row(e, st, rng) for e in evs]
        bad_rows: list[tuple[int, str, str, str]] = []
        if bad and (y, m) == (2025, 6) and st["kind"] == "csv":
            for i, r in enumerate(rows):
                if r[4].lower() in ("completed", "passed"):
                    r[3] = "2025-06-31"
                    bad_rows.append(
                        (i, st["cols"][3], "unparseable_date", "date 2025-06-31 does not exist")
                    )
                    break
        ext = "xlsx" if st["kind"] == "xlsx" else "csv"
        rel = w.table(
            code, "training", f"{prefix}_{y:04d}-{m:02d}.{ext}", st, list(st["cols"]), rows
        )
        for i, col, kind, detail in bad_rows:
            w.summary.bad.append(BadThing(code, "training", rel, i + 2, col, kind, detail))
    if unreadable:
        # an upload that broke half-way: a truncated XLSX next to the good CSV for that month
        rows = [_training_row(e, st, rng) for e in buckets.get((2025, 9), [])[:50]]
        full = _xlsx_bytes(
            TRAINING_STYLES["xlsx"], list(TRAINING_STYLES["xlsx"]["cols"]), rows, None
        )
        rel = w.write(code, "training", "lms_export_2025-09.xlsx", full[: len(full) * 2 // 5], 0)
        w.summary.bad.append(
            BadThing(
                code,
                "training",
                rel,
                None,
                None,
                "unreadable_file",
                "truncated XLSX (broken upload)",
            )
        )


# --- plan ----------------------------------------------------------------------------------
# Each municipality's training plan follows one of the programme's two models, with the
# course codes its training files really use (the activity IRI where e-learning arrives as
# xAPI). Due dates lie in the past, and one in the future (after the demo's "now"), so the
# dashboard shows every status. Plans use their own random stream: the other files keep
# their bytes.
PLAN_MODEL = {"2280": "chefsdag", "2282": "namnd_forst"}  # Härnösand, Kramfors
PLAN_HEADER_SV = ["Steg", "Målgrupp", "Förvaltning", "Kurskoder", "Startdatum",
                  "Klart senast", "Mål", "Efter steg"]  # fmt: skip
PLAN_HEADER_EN = ["step", "target_group", "department", "course_codes", "starts_on", "due_on",
                  "target_pct", "after_step"]  # fmt: skip


def _plan_steps(seed: int, code: str, model: str, course) -> list[list[object]]:
    rng = _rng(seed, code, "plan")
    shift = rng.choice((0, 1, 2))  # months later than the model's dates

    def due(y: int, m: int) -> date:
        y, m = (y + (m + shift - 1) // 12, (m + shift - 1) % 12 + 1)
        return _month_end(y, m)

    def target(base: int) -> int:
        return base + 5 * rng.randint(-1, 1)

    if model == "chefsdag":  # managers' day: a web module first, then a workshop
        steps = [
            [
                "1 Chefsdag: webbmodul",
                "chef",
                "",
                course("DF-GRUND"),
                date(2024, 2, 1),
                due(2024, 11),
                target(80),
                "",
            ],
            [
                "2 Chefsdag: workshop i små grupper",
                "chef",
                "",
                course("WS-LEDA"),
                date(2024, 3, 1),
                due(2025, 6),
                target(70),
                "1 Chefsdag: webbmodul",
            ],
            [
                "3 Informationssäkerhet för alla",
                "alla",
                "",
                course("DF-INFOSAK"),
                date(2024, 4, 1),
                due(2025, 12),
                target(50),
                "",
            ],
            [
                "4 Verktygsworkshop Socialförvaltningen",
                "medarbetare",
                "Socialförvaltningen",
                course("WS-VERKTYG"),
                date(2024, 5, 1),
                due(2026, 9),
                target(25),
                "3 Informationssäkerhet för alla",
            ],
            [
                "5 AI-introduktion för chefer",
                "chef",
                "",
                course("DF-AI"),
                date(2025, 3, 1),
                date(2027, 3, 31),
                target(60),
                "1 Chefsdag: webbmodul",
            ],
        ]
    else:  # the board first, then every department before its first meeting, then more
        board = "1 Kommunstyrelsen: genomgång"
        steps = [
            [
                board,
                "förtroendevald",
                "",
                course("DF-GRUND"),
                date(2024, 2, 1),
                due(2024, 9),
                target(75),
                "",
            ],
        ]
        interactive = f"{course('WS-VERKTYG')}; {course('DF-M365')}"
        for i, dept in enumerate(DEPARTMENTS):
            month = 2 + 3 * i  # each department's first meeting, a quarter apart
            steps.append(
                [f"2{'abcde'[i]} {dept}: interaktiv utbildning", "alla", dept, interactive,
                 date(2024, 9, 1), due(2025 + month // 12, month % 12 + 1), target(35), board]
            )  # fmt: skip
        steps.append(
            ["3 Fördjupning: AI i offentlig sektor", "alla", "", course("DF-AI"),
             date(2025, 3, 1), date(2027, 5, 31), target(40), board]
        )  # fmt: skip
    return steps


def _plan(w: _Writer, seed: int, code: str, name: str, profile: Profile) -> None:
    model = PLAN_MODEL.get(code) or ("chefsdag", "namnd_forst")[_h(seed, "plan-model", code) % 2]
    slug = _slug(name)
    formats = {c[0]: c[2] for c in COURSES}

    def course(ccode: str) -> str:
        if profile.xapi and formats[ccode] == "e-learning":
            return f"https://lms.{slug}.se/xapi/activities/{ccode}"
        return ccode

    rows = _plan_steps(seed, code, model, course)
    if code == "2282" or (code != "2280" and _h(seed, "plan-kind", code) % 2):
        style = dict(kind="xlsx", title=None)
        title = f"Utbildningsplan {name} – digital kompetens"
        w.table(code, "plan", f"utbildningsplan_{slug}.xlsx", style, PLAN_HEADER_SV, rows, title)
        return
    english = code not in ("2280",) and _h(seed, "plan-lang", code) % 2 == 1
    style = dict(
        kind="csv",
        encoding="utf-8" if english else "utf-8-sig",
        delimiter="," if english else ";",
        newline="\r\n",
    )
    text_rows = [
        [v.isoformat() if isinstance(v, date) else v for v in r[:6]] + [f"{r[6]:g}", r[7]]
        for r in rows
    ]
    header = PLAN_HEADER_EN if english else PLAN_HEADER_SV
    w.table(code, "plan", f"utbildningsplan_{slug}.csv", style, header, text_rows)


# --- entry point -----------------------------------------------------------------------------
def staff_size(code: str, scale: float) -> int:
    return max(MIN_STAFF, int(round(population(code) * STAFF_SHARE * scale)))


def generate(
    inbox: Path,
    *,
    seed: int = 2024,
    scale: float = 1.0,
    municipalities: Sequence[str] = VASTERNORRLAND,
    progress: Callable[[str], None] | None = None,
    hr_months: Sequence[tuple[int, int]] | None = None,
) -> DemoSummary:
    """Write demo inbox files for each municipality and return what was written.

    ``hr_months`` limits the monthly HR snapshots (default: every month 2024-01..2026-11),
    useful for large benchmarks. The deliberate bad rows and the single unreadable file go to
    Sundsvall (2281), or to the first municipality when Sundsvall is not generated.
    """
    t0 = time.perf_counter()
    inbox = Path(inbox)
    codes = list(dict.fromkeys(municipalities))
    names = _names()
    summary = DemoSummary(inbox=inbox, seed=seed, scale=scale)
    w = _Writer(inbox, summary)
    host = BAD_HOST if BAD_HOST in codes else codes[0]
    months = list(hr_months) if hr_months is not None else MONTHS
    sums: dict[int, list[float]] = {}
    for code in codes:
        name = names.get(code, code)
        profile = PROFILES[BAD_HOST] if code == host else _profile(code)
        level = 38 + 14 * _u(seed, "level", code)
        n = staff_size(code, scale)
        people = _people(_rng(seed, code, "people"), code, n, level)
        summary.staff[code] = n
        _survey(w, seed, code, name, people, level, profile, code == host, sums)
        _hr(w, seed, code, name, people, profile, code == host, months)
        _training(w, seed, code, name, people, profile, code == host, code == host)
        _plan(w, seed, code, name, profile)
        if progress:
            progress(f"{code} {name}: {n} staff")
    summary.survey_mean_answer = {wave: sum(v) / len(v) for wave, v in sorted(sums.items()) if v}
    summary.seconds = time.perf_counter() - t0
    return summary


def _names() -> dict[str, str]:
    try:
        return {c: m.name for c, m in municipalities().items()}
    except OSError:
        return {}


if __name__ == "__main__":  # python -m mognad.demo.generate <inbox> [scale]
    import sys

    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("demo_inbox")
    s = generate(out, scale=float(sys.argv[2]) if len(sys.argv) > 2 else 1.0, progress=print)
    print(f"{len(s.files)} files, rows {s.rows}, {s.seconds:.1f} s")
    for b in s.bad:
        print(f"  bad: {b.file} row {b.row} {b.column}: {b.kind} ({b.detail})")
