"""The demo's world: its time frame, sizes, departments, courses, the file styles each
municipality delivers in, and each municipality's profile (how fast it improves)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

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
