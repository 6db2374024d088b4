"""Read what municipalities drop: CSV (any common dialect and encoding), XLSX and JSON.

Every reader returns a :class:`Sheet`: the header, the data rows as text, and for each row
its number as a person counts it in the file (header = row 1 for CSV; the sheet's own row
numbers for XLSX; the statement or line number for JSON).
"""

from __future__ import annotations

import csv
import io
import json
import re
import threading
import zipfile
import zlib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import duckdb


class UnreadableFile(Exception):
    """The file cannot be read at all (the reason is safe to show: it holds no cell values)."""

    code = "unreadable"


class TooLarge(UnreadableFile):
    """The file (or what it unpacks to) is over the size limit; it was not read."""

    code = "too_large"


MAX_XLSX_UNCOMPRESSED = 1024 * 1024 * 1024
"""An XLSX whose zip directory declares more than this, uncompressed, is not opened (a zip
bomb); settable with ``MOGNAD_MAX_XLSX_UNCOMPRESSED_BYTES``."""


def _max_uncompressed() -> int:
    import os

    raw = os.environ.get("MOGNAD_MAX_XLSX_UNCOMPRESSED_BYTES")
    return int(raw) if raw else MAX_XLSX_UNCOMPRESSED


def check_zip_directory(path: Path) -> None:
    """Refuse a zip whose directory declares too much uncompressed data, before any of it is
    inflated. (The reader inflates at most the declared size of an entry.)"""
    limit = _max_uncompressed()
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
    if len(infos) > 10_000:
        raise TooLarge(f"XLSX with {len(infos)} zip entries")
    total = sum(max(i.file_size, 0) for i in infos)
    if total > limit:
        raise TooLarge(f"XLSX unpacks to {total} bytes (limit {limit})")


@dataclass
class Sheet:
    header: list[str]
    rows: list[list[str | None]]
    row_numbers: list[int]
    kind: str  # csv, xlsx, json
    encoding: str | None = None
    delimiter: str | None = None
    records: list[dict] = field(default_factory=list)  # json only


def detect_kind(data: bytes) -> str:
    head = data[:8]
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    stripped = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if stripped in (b"[", b"{"):
        return "json"
    return "csv"


def decode(data: bytes) -> tuple[str, str]:
    """UTF-8 (with or without BOM) first; Windows-1252 (Excel's Swedish export) otherwise."""
    if b"\x00" in data[:4096]:
        raise UnreadableFile("binary content (NUL bytes)")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise UnreadableFile("neither UTF-8 nor Windows-1252 text") from exc
    return text, "cp1252"


DELIMITERS = (";", ",", "\t")  # in order of preference when the evidence ties
SNIFF_CHARS = 256 * 1024


def _delimiter_score(text: str, delimiter: str, sample_records: int = 200) -> tuple:
    """How well the text parses with this delimiter: (header has several fields, share of
    rows with the header's field count, field count). Quoted fields are parsed properly, so
    a delimiter inside quotes (``"1,5"`` in a ``;`` file) does not count."""
    counts: list[int] = []
    try:
        for record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            if not any(cell.strip() for cell in record):
                continue
            counts.append(len(record))
            if len(counts) >= sample_records:
                break
    except csv.Error:
        return (False, 0.0, 0)
    if not counts:
        return (False, 0.0, 0)
    width = counts[0]
    rows = counts[1:] or counts
    consistent = sum(1 for c in rows if c == width) / len(rows)
    return (width > 1, consistent, width)


def sniff_delimiter(text: str) -> str:
    """``;``, ``,`` or tab: the one under which the header splits into several fields and
    the rows agree with it (``csv.Sniffer`` guesses wrong on short files with quotes)."""
    if len(text) > SNIFF_CHARS:  # the first records decide; never copy a large file thrice
        cut = text.rfind("\n", 0, SNIFF_CHARS)
        text = text[: cut + 1] if cut > 0 else text[:SNIFF_CHARS]
    scores = {d: _delimiter_score(text, d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: (scores[d], -DELIMITERS.index(d)))
    return best if scores[best][0] else ","


def read_csv_bytes(data: bytes) -> Sheet:
    text, encoding = decode(data)
    if not text.strip():
        return Sheet([], [], [], "csv", encoding, None)
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    rows: list[list[str | None]] = []
    numbers: list[int] = []
    try:
        for record in reader:
            line_no = reader.line_num
            if header is None:
                if not any(cell.strip() for cell in record):
                    continue
                header = record
                continue
            if not any(cell.strip() for cell in record):
                continue
            rows.append(record)
            numbers.append(line_no)
    except csv.Error as exc:
        raise UnreadableFile(f"CSV syntax error: {exc.__class__.__name__}") from exc
    return Sheet(header or [], rows, numbers, "csv", encoding, delimiter)


@cache
def _excel_extension() -> str:
    import duckdb_extension_excel

    base = Path(duckdb_extension_excel.__file__).parent
    found = sorted(base.glob("extensions/*/excel.duckdb_extension"))
    if not found:
        raise RuntimeError("duckdb-extension-excel is installed without its extension file")
    return str(found[-1])


_XLSX = threading.local()


def _xlsx_connection() -> duckdb.DuckDBPyConnection:
    """One in-memory DuckDB connection per thread with the excel extension loaded (opening
    one and loading the extension per file cost ~30 ms)."""
    con = getattr(_XLSX, "con", None)
    if con is None:
        con = duckdb.connect()
        con.execute(f"LOAD '{_excel_extension()}'")
        _XLSX.con = con
    return con


_DIMENSION = re.compile(rb'<dimension ref="([A-Z]+\d+(?::[A-Z]+\d+)?)"')


def _sheet_range(path: Path) -> str | None:
    with zipfile.ZipFile(path) as zf:
        names = [n for n in zf.namelist() if n.startswith("xl/worksheets/sheet")]
        if not names:
            raise UnreadableFile("XLSX without worksheets")
        with zf.open(sorted(names)[0]) as f:
            m = _DIMENSION.search(f.read(4096))
    if not m:
        return None
    ref = m.group(1).decode()
    ref = ref if ":" in ref else f"{ref}:{ref}"
    if _cells(ref) > MAX_DECLARED_CELLS:
        return None  # a declared range this large is a lie or a bomb: read what is there
    return ref


MAX_DECLARED_CELLS = 20_000_000


def _cells(ref: str) -> int:
    def split(cell: str) -> tuple[int, int]:
        letters = re.sub(r"\d", "", cell)
        col = 0
        for ch in letters:
            col = col * 26 + ord(ch) - 64
        return int(re.sub(r"[A-Z]", "", cell) or 1), col

    (r1, c1), (r2, c2) = (split(c) for c in ref.split(":"))
    return (abs(r2 - r1) + 1) * (abs(c2 - c1) + 1)


def read_xlsx(path: Path) -> Sheet:
    try:
        check_zip_directory(path)
        rng = _sheet_range(path)
    except (zipfile.BadZipFile, OSError, KeyError, EOFError, ValueError, zlib.error) as exc:
        raise UnreadableFile("damaged XLSX (not a valid zip)") from exc
    start_row = int(re.sub(r"[A-Z]", "", rng.split(":")[0])) if rng else 1
    try:
        con = _xlsx_connection()
        args = "header=false, all_varchar=true, stop_at_empty=false"
        if rng:
            args += f", range='{rng}'"
        result = con.execute(f"SELECT * FROM read_xlsx(?, {args})", [str(path)]).fetchall()
    except duckdb.Error as exc:
        raise UnreadableFile("damaged XLSX (the first sheet cannot be read)") from exc
    header: list[str] | None = None
    rows: list[list[str | None]] = []
    numbers: list[int] = []
    for offset, record in enumerate(result):
        values = [None if v is None else str(v) for v in record]
        if not any(v is not None and v.strip() for v in values):
            continue
        if header is None:
            header = [v or "" for v in values]
            continue
        rows.append(values)
        numbers.append(start_row + offset)
    return Sheet(header or [], rows, numbers, "xlsx")


def read_json_bytes(data: bytes) -> Sheet:
    text, encoding = decode(data)
    stripped = text.lstrip()
    records: list[dict] = []
    numbers: list[int] = []
    try:
        if stripped.startswith("["):
            parsed = json.loads(text)
            for i, rec in enumerate(parsed, start=1):
                records.append(rec)
                numbers.append(i)
        else:
            try:  # one JSON document (an object, possibly over many lines)
                whole = json.loads(text)
            except json.JSONDecodeError:
                whole = None
            if isinstance(whole, dict):
                return Sheet([], [], [1], "json", encoding, None, [whole])
            for i, line in enumerate(text.splitlines(), start=1):
                if line.strip():
                    records.append(json.loads(line))
                    numbers.append(i)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise UnreadableFile("invalid JSON") from exc
    return Sheet([], [], numbers, "json", encoding, None, records)


def read_file(path: Path, data: bytes) -> Sheet:
    kind = detect_kind(data)
    if kind == "xlsx":
        return read_xlsx(path)
    if kind == "json":
        return read_json_bytes(data)
    return read_csv_bytes(data)
