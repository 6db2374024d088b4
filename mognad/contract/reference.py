"""Reference data shipped with the project: municipalities (SCB codes) and codebooks.

The CSV files are the dbt seeds, so the ingest code and the mart read the very same rows.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache

from mognad.config import PROJECT_DIR

SEEDS = PROJECT_DIR / "dbt_project" / "seeds"

VASTERNORRLAND = ("2260", "2262", "2280", "2281", "2282", "2283", "2284")


@dataclass(frozen=True)
class Municipality:
    code: str
    name: str
    county_code: str
    county_name: str


@dataclass(frozen=True)
class Item:
    instrument: str
    item_code: str
    dimension: str
    category: str
    scale_min: int
    scale_max: int
    reverse_coded: bool
    statement_sv: str = ""
    """The statement as the respondent reads it (a survey tool's question header)."""
    scale_labels: tuple[tuple[int, str], ...] = ()
    """(step, Swedish label) for each step of the scale, e.g. (6, "Instämmer helt")."""


@cache
def municipalities() -> dict[str, Municipality]:
    with open(SEEDS / "kommuner.csv", encoding="utf-8", newline="") as f:
        return {
            r["municipality_code"]: Municipality(
                r["municipality_code"], r["municipality_name"], r["county_code"], r["county_name"]
            )
            for r in csv.DictReader(f)
        }


def _labels(text: str) -> tuple[tuple[int, str], ...]:
    """``1=Instämmer inte alls|…|6=Instämmer helt`` as (step, label) pairs."""
    out = []
    for part in text.split("|"):
        step, sep, label = part.partition("=")
        if sep and step.strip().isdigit() and label.strip():
            out.append((int(step), label.strip()))
    return tuple(out)


@cache
def codebook() -> dict[str, dict[str, Item]]:
    """instrument -> item_code -> Item."""
    out: dict[str, dict[str, Item]] = {}
    with open(SEEDS / "codebook.csv", encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            item = Item(
                r["instrument"],
                r["item_code"],
                r["dimension"],
                r["category"],
                int(r["scale_min"]),
                int(r["scale_max"]),
                r["reverse_coded"].strip().lower() == "true",
                (r.get("statement_sv") or "").strip(),
                _labels(r.get("scale_labels_sv") or ""),
            )
            out.setdefault(item.instrument, {})[item.item_code] = item
    return out
