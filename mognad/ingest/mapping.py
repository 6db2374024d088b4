"""Survey-tool and LMS exports through a mapping a municipality writes once.

A Microsoft Forms or Google Forms export has a column per question headed by the question
text, answers as the scale's labels ("Instämmer helt"), and columns the platform must never
keep (e-mail, name, free text). A *mapping file* describes such an export once:

    $MOGNAD_HOME/mappings/<kommunkod>/<feed>.yaml      (or MOGNAD_MAPPINGS_DIR/<kod>/<feed>.yaml)

The folder is the county's, outside the inbox where municipalities write. A mapping names

- ``columns``: which header is which contract column (respondent, submission time, target
  group, gender, department, …);
- ``constants``: a value for every row when the export has no such column (a form sent
  only to managers: ``target_group: chef``);
- ``values``: which written value is which contract value (``"Politiker": förtroendevald``);
- ``items``: which question text is which item code (a header equal to the codebook's
  statement text maps by itself);
- ``answers``: which answer label is which scale step (the codebook's labels map by
  themselves).

Applying a mapping makes a new sheet with the contract's headers and only the named
columns: every other column is dropped here, before any rule reads the file, so its values
never reach the raw zone, a receipt or a log. Row numbers stay the file's own.
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from mognad.contract.problems import Problem, problem
from mognad.contract.reference import codebook
from mognad.ingest import values as V
from mognad.ingest.readers import Sheet

MAPPINGS_ENV = "MOGNAD_MAPPINGS_DIR"
ROW_NUMBER = "#rad"
"""``respondent_id: "#rad"`` (or no respondent column at all): the row number in the file is
the respondent id (Google Forms exports have no response id)."""
SECTIONS = ("feed", "municipality_code", "instrument", "columns", "constants", "values")
SECTIONS += ("items", "answers", "description")
MAX_DROPPED_LISTED = 50


class MappingError(ValueError):
    """A mapping file that cannot be used (the message says which key and why)."""


def mappings_root(home: Path | None) -> Path | None:
    raw = os.environ.get(MAPPINGS_ENV, "").strip()
    if raw:
        return Path(raw)
    return None if home is None else Path(home) / "mappings"


def mapping_path(home: Path | None, code: str | None, feed: str) -> Path | None:
    root = mappings_root(home)
    if root is None or not code:
        return None
    return root / code / f"{feed}.yaml"


def text_key(text: object) -> str:
    """A header or label compared as people see it: Unicode-normalised, case-folded, inner
    whitespace made one space, surrounding quotes and trailing ``. : ?`` ignored."""
    t = unicodedata.normalize("NFKC", "" if text is None else str(text)).replace("\u00a0", " ")
    t = " ".join(t.split()).casefold()
    t = t.strip("\"'“”‘’«» ")
    return t.rstrip(" .:?!*").strip()


@dataclass
class Mapping:
    source: str
    """Where it came from: the file's path under the mappings folder, or ``kodboken``."""
    feed: str
    instrument: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    items: dict[str, str] = field(default_factory=dict)
    answers: dict[str, int] = field(default_factory=dict)


def _feed_columns(feed: str):
    from mognad.ingest.rules import FEED_COLUMNS

    return FEED_COLUMNS.get(feed, ())


def _str_map(data: object, where: str) -> dict[str, str]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise MappingError(f"{where}: väntade nyckel: värde / expected key: value pairs")
    out = {}
    for k, v in data.items():
        if v is None or isinstance(v, dict | list):
            raise MappingError(f"{where}.{k}: väntade en text / expected a text")
        out[str(k).strip()] = str(v).strip()
    return out


def parse_mapping(data: object, feed: str, code: str | None, source: str) -> Mapping:
    if not isinstance(data, dict):
        raise MappingError("väntade en YAML-mappning / expected a YAML mapping")
    unknown = sorted(set(map(str, data)) - set(SECTIONS))
    if unknown:
        raise MappingError(f"okända nycklar / unknown keys: {', '.join(unknown)}")
    if data.get("feed") not in (None, feed):
        raise MappingError(f"feed: {data.get('feed')!r} ≠ {feed}")
    if data.get("municipality_code") not in (None, "") and code:
        if str(data["municipality_code"]).zfill(4) != code:
            raise MappingError(f"municipality_code: {data['municipality_code']!r} ≠ {code}")
    names = {c.name for c in _feed_columns(feed)}
    columns = _str_map(data.get("columns"), "columns")
    constants = _str_map(data.get("constants"), "constants")
    for section, given in (("columns", columns), ("constants", constants)):
        bad = sorted(set(given) - names)
        if bad:
            raise MappingError(
                f"{section}: okända kolumner / unknown columns {', '.join(bad)} "
                f"(flödet {feed} har / the feed has: {', '.join(sorted(names))})"
            )
    values_raw = data.get("values") or {}
    if not isinstance(values_raw, dict):
        raise MappingError("values: väntade kolumn: {etikett: värde} / expected {label: value}")
    values = {}
    for col, table in values_raw.items():
        if str(col) not in names:
            raise MappingError(f"values: okänd kolumn / unknown column {col}")
        values[str(col)] = {text_key(k): v for k, v in _str_map(table, f"values.{col}").items()}
    instrument = data.get("instrument")
    books = codebook()
    if instrument is not None and str(instrument) not in books:
        raise MappingError(f"instrument: okänd enkät / unknown instrument {instrument!r}")
    items = _str_map(data.get("items"), "items")
    if items and feed != "survey":
        raise MappingError("items: bara i enkätflödet / only for the survey feed")
    known = {code_ for book in books.values() for code_ in book}
    bad_items = sorted(c for c in items if c not in known)
    if bad_items:
        raise MappingError(f"items: okända frågekoder / unknown item codes {', '.join(bad_items)}")
    answers_raw = data.get("answers") or {}
    if not isinstance(answers_raw, dict):
        raise MappingError("answers: väntade etikett: skalsteg / expected label: scale step")
    answers = {}
    for label, step in answers_raw.items():
        if isinstance(step, bool) or not isinstance(step, int):
            raise MappingError(f"answers.{label}: skalsteget ska vara ett heltal / not an integer")
        answers[text_key(label)] = step
    return Mapping(
        source,
        feed,
        str(instrument) if instrument else None,
        columns,
        constants,
        values,
        items,
        answers,
    )


def load_mapping(path: Path, feed: str, code: str | None = None, source: str = "") -> Mapping:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        raise MappingError(f"kan inte läsas / cannot be read ({exc.__class__.__name__})") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (rad/line {mark.line + 1})" if mark else ""
        raise MappingError(f"ogiltig YAML / invalid YAML{where}") from exc
    return parse_mapping(data, feed, code, source or str(path))


@dataclass
class Mapped:
    sheet: Sheet
    receipt: dict = field(default_factory=dict)
    fatal: Problem | None = None
    original: dict[str, str] = field(default_factory=dict)
    """Contract column or item code → the header it came from (for problem messages)."""


def named_as_delivered(p: Problem, original: dict[str, str]) -> Problem:
    """A problem that names the export's header instead of the contract column or code."""
    import dataclasses

    if p.column in original:
        return dataclasses.replace(p, column=original[p.column])
    return p


def _statement_index(instrument: str | None) -> dict[str, str]:
    """Normalised statement text → item code (of one instrument, or of all)."""
    out: dict[str, str] = {}
    for name, book in codebook().items():
        if instrument and name != instrument:
            continue
        for code, item in book.items():
            if item.statement_sv:
                out.setdefault(text_key(item.statement_sv), code)
    return out


_BRACKET = re.compile(r"^.*\[(.+)\]\s*$")


def _statement_of(header: str, index: dict[str, str]) -> str | None:
    """The item whose statement the header is: the whole header, or (Google Forms' grid
    questions, ``Fråga [påstående]``) the text in brackets."""
    code = index.get(text_key(header))
    if code is None:
        m = _BRACKET.match(header or "")
        if m:
            code = index.get(text_key(m.group(1)))
    return code


def has_statement_headers(sheet: Sheet) -> bool:
    index = _statement_index(None)
    return any(_statement_of(h, index) for h in sheet.header)


def find_mapping(feed: str, ctx) -> Mapping | None:
    """The mapping for the context's municipality and feed; raises MappingError."""
    given = getattr(ctx, "mapping", None)
    if given is not None:
        return given
    path = mapping_path(getattr(ctx, "home", None), getattr(ctx, "municipality_code", None), feed)
    if path is None or not path.is_file():
        return None
    root = mappings_root(getattr(ctx, "home", None))
    shown = f"mappings/{path.relative_to(root)}" if root else path.name
    return load_mapping(path, feed, ctx.municipality_code, shown)


def apply_for(feed: str, sheet: Sheet, ctx) -> Mapped:
    """The sheet as ingest reads it: through the municipality's mapping when there is one;
    through the codebook alone when a survey's headers are statement texts; else as it is."""
    if feed not in ("survey", "training", "hr"):
        return Mapped(sheet)
    try:
        found = find_mapping(feed, ctx)
    except MappingError as exc:
        return Mapped(sheet, {}, problem("invalid_mapping", None, None, str(exc)[:300]))
    if found is None:
        if feed == "survey" and has_statement_headers(sheet):
            found = Mapping("kodboken/codebook", feed)
        else:
            return Mapped(sheet)
    mapped = apply(found, sheet)
    if mapped.fatal is not None and _native_file(feed, sheet):
        return Mapped(sheet)  # a file in the contract's own format needs no mapping
    return mapped


def _native_file(feed: str, sheet: Sheet) -> bool:
    from mognad.ingest.rules import map_header

    hmap = map_header(feed, sheet.header)
    return not hmap.missing and (feed != "survey" or bool(hmap.items))


def _native_index(col, keys: list[str], used: set[int]) -> int | None:
    from mognad.ingest.rules import header_key

    for alias in (col.name, *col.aliases):
        k = header_key(alias)
        for idx, key in enumerate(keys):
            if key == k and idx not in used:
                return idx
    return None


def _label_table(mapping: Mapping, item) -> dict[str, str]:
    table = {text_key(label): str(step) for step, label in item.scale_labels}
    table.update({k: str(v) for k, v in mapping.answers.items()})
    return table


def apply(mapping: Mapping, sheet: Sheet) -> Mapped:
    from mognad.ingest.rules import header_key

    header = [V.clean(h) for h in sheet.header]
    text_keys = [text_key(h) for h in header]
    native_keys = [header_key(h) for h in header]
    used: set[int] = set()
    out_names: list[str] = []
    getters: list = []  # per output column: (index or None, constant, translation table)
    original: dict[str, str] = {}
    named: dict[str, str] = {}
    missing: list[str] = []

    def by_text(text: str) -> int | None:
        k = text_key(text)
        for idx, key in enumerate(text_keys):
            if key == k and idx not in used:
                return idx
        return None

    columns = _feed_columns(mapping.feed)
    for col in columns:
        translate = mapping.values.get(col.name, {})
        if col.name in mapping.columns:
            wanted = mapping.columns[col.name]
            if mapping.feed == "survey" and col.name == "respondent_id" and wanted == ROW_NUMBER:
                out_names.append(col.name)
                getters.append((ROW_NUMBER, None, {}))
                named[col.name] = ROW_NUMBER
                continue
            idx = by_text(wanted)
            if idx is None:
                if col.required:
                    detail = f"{wanted} ({mapping.source})"
                    p = problem("missing_column", 1, wanted, detail)
                    return Mapped(sheet, {"mapping": {"file": mapping.source}}, p)
                missing.append(wanted)
                continue
        elif col.name in mapping.constants:
            out_names.append(col.name)
            getters.append((None, mapping.constants[col.name], {}))
            named[col.name] = f"konstant/constant: {mapping.constants[col.name]}"
            continue
        else:
            idx = _native_index(col, native_keys, used)
            if idx is None:
                if mapping.feed == "survey" and col.name == "respondent_id":
                    out_names.append(col.name)
                    getters.append((ROW_NUMBER, None, {}))
                    named[col.name] = ROW_NUMBER
                elif col.name == "instrument" and mapping.instrument:
                    out_names.append(col.name)
                    getters.append((None, mapping.instrument, {}))
                    named[col.name] = f"konstant/constant: {mapping.instrument}"
                continue
        used.add(idx)
        out_names.append(col.name)
        getters.append((idx, None, translate))
        original[col.name] = header[idx]
        named[col.name] = header[idx]
    items: dict[str, str] = {}
    if mapping.feed == "survey":
        books = codebook()
        by_code = {c: it for name, b in books.items() for c, it in b.items()}
        if mapping.instrument:
            by_code.update(books[mapping.instrument])
        for code, text in mapping.items.items():
            idx = by_text(text)
            if idx is None:
                missing.append(text)
                continue
            used.add(idx)
            items[code] = header[idx]
            out_names.append(code)
            getters.append((idx, None, _label_table(mapping, by_code[code])))
        index = _statement_index(mapping.instrument)
        taken = set(items)
        for idx, h in enumerate(header):
            if idx in used or not h:
                continue
            code = _statement_of(h, index)
            if code is None and native_keys[idx].upper() in by_code:
                code = native_keys[idx].upper()
            if code is None or code in taken:
                continue
            used.add(idx)
            taken.add(code)
            items[code] = h
            out_names.append(code)
            getters.append((idx, None, _label_table(mapping, by_code[code])))
        original.update(items)
    dropped = [h or f"(kolumn/column {i + 1})" for i, h in enumerate(header) if i not in used]
    rows: list[list[str | None]] = []
    for row, row_no in zip(sheet.rows, sheet.row_numbers, strict=True):
        out: list[str | None] = []
        for idx, const, table in getters:
            if idx == ROW_NUMBER:
                out.append(f"rad-{row_no}")
            elif idx is None:
                out.append(const)
            else:
                cell = row[idx] if idx < len(row) else None
                if table and cell is not None:
                    cell = table.get(text_key(cell), cell)
                out.append(cell)
        rows.append(out)
    mapped = Sheet(
        out_names, rows, list(sheet.row_numbers), sheet.kind, sheet.encoding, sheet.delimiter
    )
    info: dict = {"file": mapping.source, "columns": named}
    if items:
        info["items"] = items
    info["dropped_columns"] = dropped[:MAX_DROPPED_LISTED]
    if len(dropped) > MAX_DROPPED_LISTED:
        info["dropped_columns_more"] = len(dropped) - MAX_DROPPED_LISTED
    if missing:
        info["not_found"] = missing
    return Mapped(mapped, {"mapping": info}, None, original)
