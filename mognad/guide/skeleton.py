"""A mapping skeleton for an export (`mognad templates --mapping-from`): the export's headers
matched to the contract's columns where they are known, the rest left for the county to fill
in; columns that hold personal data are named so they are not mapped by mistake."""

from __future__ import annotations

import yaml

from mognad.contract.reference import codebook
from mognad.ingest import values as V
from mognad.ingest.mapping import (
    ROW_NUMBER,
    _feed_columns,
    _statement_index,
    _statement_of,
    text_key,
)
from mognad.ingest.readers import Sheet

KNOWN_HEADERS = {
    "survey": {
        "respondent_id": ("id", "svars-id", "response id", "svarsid"),
        "submitted_at": (
            "tid för slutförande",
            "completion time",
            "tidstämpel",
            "tidsstämpel",
            "timestamp",
            "inskickad",
        ),
        "target_group": ("målgrupp", "roll", "vilken roll har du", "vilken målgrupp tillhör du"),
        "gender": ("kön", "gender"),
        "department": ("förvaltning", "vilken förvaltning arbetar du på", "department"),
    },
}


PERSONAL_HEADERS = (
    "e-post",
    "e-postadress",
    "email",
    "email address",
    "namn",
    "name",
    "starttid",
    "start time",
    "senast ändrad",
    "last modified time",
)


def skeleton(
    feed: str, sheet: Sheet, municipality_code: str | None = None, source: str = ""
) -> str:
    """A mapping file for an export like ``sheet``: what can be recognised is filled in, the
    rest is listed for the municipality to fill in. Values of the export are never copied,
    except the distinct labels of the target-group, gender and answer columns."""
    header = [V.clean(h) for h in sheet.header]
    keys = [text_key(h) for h in header]
    used: set[int] = set()
    columns: dict[str, str] = {}
    known = KNOWN_HEADERS.get(feed, {})
    for col in _feed_columns(feed):
        candidates = [text_key(a) for a in (col.name, *col.aliases, *known.get(col.name, ()))]
        for idx, k in enumerate(keys):
            if idx not in used and k in candidates:
                columns[col.name] = header[idx]
                used.add(idx)
                break
    index = _statement_index(None)
    items: dict[str, str] = {}
    for idx, h in enumerate(header):
        if idx in used or not h:
            continue
        code = _statement_of(h, index)
        if code is None and h.upper() in {c for b in codebook().values() for c in b}:
            code = h.upper()
        if code and code not in items:
            items[code] = h
            used.add(idx)
    leftovers = [header[i] for i in range(len(header)) if i not in used and header[i]]
    personal = [h for h in leftovers if text_key(h) in PERSONAL_HEADERS]
    questions = [h for h in leftovers if h not in personal]
    instruments = {name for name, book in codebook().items() for code in items if code in book}
    instrument = instruments.pop() if len(instruments) == 1 else None
    data: dict = {"feed": feed}
    if municipality_code:
        data["municipality_code"] = municipality_code
    if instrument:
        data["instrument"] = instrument
    if feed == "survey" and "respondent_id" not in columns:
        columns["respondent_id"] = ROW_NUMBER
    data["columns"] = columns
    if feed == "survey" and "target_group" not in columns:
        data["constants"] = {"target_group": "medarbetare"}
    tg_idx = header.index(columns["target_group"]) if "target_group" in columns else None
    if tg_idx is not None:
        written = {V.clean(r[tg_idx]) for r in sheet.rows if tg_idx < len(r)} - {""}
        data["values"] = {
            "target_group": {lab: V.target_group(lab) or "?" for lab in sorted(written)[:20]}
        }
    if items:
        data["items"] = items
    labels = {
        text_key(label): step
        for book in codebook().values()
        for item in book.values()
        for step, label in item.scale_labels
    }
    seen_answers: dict[str, int] = {}
    for h in items.values():
        idx = header.index(h)
        for r in sheet.rows:
            cell = V.clean(r[idx]) if idx < len(r) else ""
            if cell and text_key(cell) in labels:
                seen_answers.setdefault(cell, labels[text_key(cell)])
    if seen_answers:
        data["answers"] = dict(sorted(seen_answers.items(), key=lambda kv: kv[1]))
    lines = [
        f"# Mappning för / mapping for {feed}"
        + (f", kommun/municipality {municipality_code}" if municipality_code else "")
        + (f", från/from {source}" if source else ""),
        "# Spara som / save as $MOGNAD_HOME/mappings/<kommunkod>/<feed>.yaml (länets mapp).",
        "# Kolumner som inte nämns här tas bort vid inläsning och sparas aldrig. /",
        "# Columns not named here are dropped at ingest and never stored.",
    ]
    if personal:
        lines.append("# Tas bort / dropped: " + ", ".join(personal))
    if questions:
        lines.append("# Okända frågor: lägg till under items (frågekod: rubrik) / unknown:")
        lines += ["#   ?: " + " ".join(q.split()) for q in questions]
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)
    return "\n".join(lines) + "\n" + body
