"""Problem codes reported in receipts: one place, Swedish first, then English.

The delivery guide is generated from this catalogue, so a code cannot go undocumented.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

CATALOGUE: dict[str, tuple[str, str]] = {
    "unreadable": (
        "Filen kunde inte läsas som CSV, XLSX eller JSON",
        "The file could not be read as CSV, XLSX or JSON",
    ),
    "too_large": (
        "Filen är för stor (eller packas upp till för mycket data) och lästes inte",
        "The file is too large (or unpacks to too much data) and was not read",
    ),
    "empty_file": ("Filen innehåller inga datarader", "The file contains no data rows"),
    "unknown_municipality": (
        "Mappen är ingen känd kommunkod",
        "The folder is not a known municipality code",
    ),
    "unknown_feed": (
        "Mappen är inget känt flöde (survey, training, hr, plan, kolada)",
        "The folder is not a known feed (survey, training, hr, plan, kolada)",
    ),
    "missing_column": ("Obligatorisk kolumn saknas", "A required column is missing"),
    "no_items": (
        "Inga frågekolumner från någon känd enkät hittades",
        "No item columns of a known instrument were found",
    ),
    "missing_value": ("Obligatoriskt värde saknas", "A required value is missing"),
    "invalid_date": ("Ogiltigt datum", "Invalid date"),
    "invalid_target_group": (
        "Okänd målgrupp (förtroendevald, chef eller medarbetare)",
        "Unknown target group (förtroendevald, chef or medarbetare)",
    ),
    "invalid_gender": ("Okänt kön (kvinna, man, annat)", "Unknown gender (kvinna, man, annat)"),
    "unknown_instrument": ("Okänd enkät", "Unknown instrument"),
    "invalid_answer": ("Svaret är inget heltal", "The answer is not a whole number"),
    "out_of_scale": ("Svaret ligger utanför skalan", "The answer is outside the scale"),
    "duplicate_id": (
        "Samma svars-id förekommer flera gånger i filen",
        "The same respondent id occurs more than once in the file",
    ),
    "invalid_personnummer": (
        "Ogiltigt personnummer eller samordningsnummer (format eller kontrollsiffra)",
        "Invalid personnummer or samordningsnummer (format or check digit)",
    ),
    "invalid_status": ("Okänd status", "Unknown status"),
    "invalid_number": ("Ogiltigt tal", "Invalid number"),
    "invalid_code": ("Ogiltig kod", "Invalid code"),
    "wrong_municipality": (
        "Raden gäller en annan kommun än mappen",
        "The row belongs to another municipality than the folder",
    ),
    "invalid_plan_target_group": (
        "Okänd målgrupp (förtroendevald, chef, medarbetare eller alla)",
        "Unknown target group (förtroendevald, chef, medarbetare or alla)",
    ),
    "duplicate_step": (
        "Samma steg förekommer flera gånger i planen",
        "The same step occurs more than once in the plan",
    ),
    "due_before_start": (
        "Slutdatum ligger före startdatum",
        "The due date is before the start date",
    ),
    "target_out_of_range": (
        "Målet ska vara en procentsats mellan 0 och 100",
        "The target must be a percentage between 0 and 100",
    ),
    "unknown_after_step": (
        "Efter_steg namnger inget steg i planen",
        "after_step names no step of the plan",
    ),
    "plan_cycle": (
        "Stegens ordning bildar en cirkel (ett steg kommer efter sig självt)",
        "The steps' order forms a cycle (a step comes after itself)",
    ),
    "invalid_mapping": (
        "Kommunens mappningsfil kan inte användas",
        "The municipality's mapping file cannot be used",
    ),
    "too_many_rejected": (
        "För stor andel rader underkändes; filen sattes i karantän",
        "Too many rows were rejected; the file was quarantined",
    ),
}


@dataclass(frozen=True)
class Problem:
    row: int | None
    column: str | None
    code: str
    message: str

    def as_dict(self) -> dict:
        return asdict(self)


def problem(
    code: str, row: int | None = None, column: str | None = None, detail: str = ""
) -> Problem:
    sv, en = CATALOGUE[code]
    message = f"{sv} / {en}"
    if detail:
        message += f": {detail}"
    return Problem(row, column, code, message)
