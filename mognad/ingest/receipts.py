"""Receipts back to the municipality: JSON and a plain-text twin (Swedish, then English)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from mognad.contract.problems import CATALOGUE
from mognad.ingest import durable

MAX_PROBLEMS = 1000

STATUS_TEXT = {
    "loaded": ("Inläst", "Loaded"),
    "duplicate": ("Dubblett – samma innehåll har redan lästs in", "Duplicate – already loaded"),
    "quarantined": ("I karantän – filen lästes inte in", "Quarantined – the file was not loaded"),
}


def display_name(name: str) -> str:
    """A file name safe to show and to use in a receipt's name (no separators, no controls)."""
    text = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return re.sub(r"[\x00-\x1f\x7f/\\]", "_", text).replace("..", "__") or "_"


MAX_NAME_BYTES = 200
"""File names longer than this (UTF-8 bytes) are shortened where the platform names a file
after them (zones, receipts), keeping a hash of the whole name so they stay distinct."""


def short_name(name: str, limit: int = MAX_NAME_BYTES) -> str:
    """``name`` if it fits the file system's 255-byte limit with our prefixes and suffixes;
    otherwise its start, a hash of the whole name, and its extension."""
    raw = name.encode("utf-8")
    if len(raw) <= limit:
        return name
    import hashlib

    digest = hashlib.sha256(raw).hexdigest()[:12]
    stem, dot, ext = name.rpartition(".")
    ext = ext if dot and len(ext.encode()) <= 16 else ""
    keep = limit - len(digest) - len(ext.encode()) - 3
    head = raw[:keep].decode("utf-8", "ignore")
    return f"{head}~{digest}" + (f".{ext}" if ext else "")


def neutralise(text: str) -> str:
    """Keep spreadsheet programs from reading a value as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            durable.fsync_fd(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


SV = {"index": 0, "heading": "Problem:", "row": "rad", "file": "filen", "column": "kolumn"}
EN = {"index": 1, "heading": "Problems:", "row": "row", "file": "the file", "column": "column"}


def _file_detail(p: dict) -> str:
    """What a problem about the whole file adds (which mapping key, which columns): details of
    file-level and header problems name keys and headers, never a data cell's value."""
    if p["row"] not in (None, 1):
        return ""
    sv, en = CATALOGUE.get(p["code"], ("", ""))
    prefix = f"{sv} / {en}: "
    message = p.get("message") or ""
    return f" – {neutralise(message[len(prefix) :])}" if message.startswith(prefix) else ""


def _problem_lines(problems: list[dict], lang: dict) -> list[str]:
    """One line per problem in one language: where (row, column), what, and the code."""
    if not problems:
        return []
    lines = [lang["heading"]]
    for p in problems:
        text = CATALOGUE.get(p["code"], (p["code"], p["code"]))[lang["index"]]
        where = f"{lang['row']} {p['row']}" if p["row"] is not None else lang["file"]
        col = f", {lang['column']} {neutralise(p['column'])}" if p["column"] else ""
        lines.append(f"  - {where}{col}: {text} [{p['code']}]{_file_detail(p)}")
    return lines


def _extra_lines(receipt: dict, en: bool) -> list[str]:
    """Ignored xAPI statements, withdrawn Kolada values and the mapping applied: counts and
    header names only."""
    lines = []
    ignored = receipt.get("ignored_statements")
    if ignored:
        counts = ", ".join(f"{neutralise(str(v))} {n}" for v, n in ignored.items())
        total = sum(ignored.values())
        if en:
            lines.append(
                f"Ignored xAPI statements (verbs that are not a completion): {total} "
                f"({counts}); not rejected rows"
            )
        else:
            lines.append(
                f"Ignorerade xAPI-satser (verb som inte är ett slutförande): {total} "
                f"({counts}); räknas inte som underkända rader"
            )
    if receipt.get("deleted_values"):
        n = receipt["deleted_values"]
        lines.append(
            f"Withdrawn Kolada values skipped: {n}"
            if en
            else f"Återkallade Kolada-värden hoppades över: {n}"
        )
    mapping = receipt.get("mapping")
    if mapping:
        cols = ", ".join(
            f"{k} = {neutralise(str(v))}" for k, v in mapping.get("columns", {}).items()
        )
        items = len(mapping.get("items", {}))
        dropped = mapping.get("dropped_columns", [])
        more = mapping.get("dropped_columns_more", 0)
        names = ", ".join(neutralise(str(d)) for d in dropped) + (f" (+{more})" if more else "")
        if en:
            lines.append(f"Mapping: {mapping.get('file')}; columns: {cols or '-'}; items: {items}")
            lines.append(
                f"Dropped columns (never stored): {len(dropped) + more}"
                + (f": {names}" if dropped else "")
            )
        else:
            lines.append(
                f"Mappning: {mapping.get('file')}; kolumner: {cols or '-'}; frågor: {items}"
            )
            lines.append(
                f"Borttagna kolumner (sparas aldrig): {len(dropped) + more}"
                + (f": {names}" if dropped else "")
            )
    return lines


def render_text(receipt: dict) -> str:
    sv_status, en_status = STATUS_TEXT[receipt["status"]]
    problems = receipt["problems"]
    lines = [
        f"Kvitto för {neutralise(receipt['file'])}",
        f"Status: {sv_status}",
        f"Kommun: {receipt['municipality_code']}  Flöde: {receipt['feed']}",
        f"Rader lästa: {receipt['rows_read']}, inlästa: {receipt['rows_loaded']}, "
        f"underkända: {receipt['rows_rejected']}",
        f"Kontrollsumma (SHA-256): {receipt['sha256']}",
    ]
    lines += _extra_lines(receipt, en=False)
    lines += _problem_lines(problems, SV)
    lines += [
        "",
        f"Receipt for {neutralise(receipt['file'])}",
        f"Status: {en_status}",
        f"Municipality: {receipt['municipality_code']}  Feed: {receipt['feed']}",
        f"Rows read: {receipt['rows_read']}, loaded: {receipt['rows_loaded']}, "
        f"rejected: {receipt['rows_rejected']}",
    ]
    lines += _extra_lines(receipt, en=True)
    lines += _problem_lines(problems, EN)
    if receipt.get("problems_truncated"):
        lines.append(f"(+{receipt['problems_truncated']} fler problem / more problems)")
    return "\n".join(lines) + "\n"


def write_receipt(folder: Path, receipt: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    problems = receipt["problems"]
    if len(problems) > MAX_PROBLEMS:
        receipt = {
            **receipt,
            "problems": problems[:MAX_PROBLEMS],
            "problems_truncated": len(problems) - MAX_PROBLEMS,
        }
    stem = f"{short_name(receipt['file'])}.{receipt['status']}"
    path = folder / f"{stem}.json"
    _atomic_write(path, json.dumps(receipt, ensure_ascii=False, indent=2, default=str) + "\n")
    _atomic_write(folder / f"{stem}.txt", render_text(receipt))
    return path
