"""Ingest: take settled files from the inbox once, check them, land them, answer with a receipt.

Order of work for one file, so that no failure loses it:
durable copy (archive or quarantine) → raw zone (atomic) → ledger → receipt → leave inbox.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from mognad.config import FEEDS, Settings
from mognad.ingest.feeds import KEYED_FEEDS, Context, Parsed, parse
from mognad.ingest.land import land
from mognad.ingest.ledger import Attempt, Ledger
from mognad.ingest.problems import problem
from mognad.ingest.readers import UnreadableFile, read_file
from mognad.ingest.receipts import display_name, write_receipt
from mognad.reference import municipalities

INGEST_FEEDS = (*FEEDS, "kolada")
"""The contract's feeds plus ``kolada`` (Kolada v3 data landed by ``mognad pull``)."""
IGNORED_PREFIXES = (".", "~$")
IGNORED_SUFFIXES = (".part", ".tmp", ".crdownload")
RECEIPTS = "receipts"


@dataclass
class Outcome:
    municipality_code: str
    feed: str
    file: str
    status: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    receipt: Path | None = None
    reason: str | None = None


@dataclass
class IngestReport:
    outcomes: list[Outcome] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    waiting: int = 0
    seconds: float = 0.0

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def rows_loaded(self) -> int:
        return sum(o.rows_loaded for o in self.outcomes)

    @property
    def feeds_loaded(self) -> set[str]:
        return {o.feed for o in self.outcomes if o.status == "loaded"}

    def summary(self) -> str:
        text = (
            f"{len(self.outcomes)} filer/files: {self.count('loaded')} inlästa/loaded, "
            f"{self.count('duplicate')} dubbletter/duplicates, "
            f"{self.count('quarantined')} i karantän/quarantined; "
            f"{self.rows_loaded} rader/rows på/in {self.seconds:.1f} s"
        )
        if self.waiting:
            text += f"; {self.waiting} väntar/waiting to settle"
        return text


def is_ignored(name: str) -> bool:
    return name.startswith(IGNORED_PREFIXES) or name.lower().endswith(IGNORED_SUFFIXES)


def _durable_copy(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.tmp")
    if src.is_symlink():
        os.symlink(os.readlink(src), tmp)
    else:
        shutil.copyfile(src, tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
    os.replace(tmp, dest)


def candidates(settings: Settings) -> list[tuple[str, str, Path]]:
    """(folder code, folder feed, path) for every file in the inbox, in a stable order."""
    out: list[tuple[str, str, Path]] = []
    inbox = settings.inbox
    if not inbox.is_dir():
        return out
    for code_dir in sorted(inbox.iterdir()):
        if code_dir.is_symlink() or not code_dir.is_dir():
            if not is_ignored(code_dir.name):
                out.append(("_okänd", "_okänd", code_dir))
            continue
        for entry in sorted(code_dir.iterdir()):
            if entry.name == RECEIPTS and entry.is_dir() and not entry.is_symlink():
                continue
            if entry.is_dir() and not entry.is_symlink():
                for f in sorted(entry.iterdir()):
                    if not f.is_dir() or f.is_symlink():
                        out.append((code_dir.name, entry.name, f))
            else:
                out.append((code_dir.name, "_okänd", entry))
    return out


class Ingestor:
    def __init__(self, settings: Settings, progress: Callable[[str], None] | None = print):
        self.settings = settings
        self.progress = progress or (lambda _msg: None)
        self.ledger = Ledger(settings.ledger_path)
        self.key = settings.pseudonym_key()
        self.known = municipalities()

    def run(self) -> IngestReport:
        try:
            return self._run()
        finally:
            self.ledger.close()

    def _run(self) -> IngestReport:
        start = time.monotonic()
        report = IngestReport()
        now = time.time()
        for code, feed, path in candidates(self.settings):
            if is_ignored(path.name):
                continue
            try:
                st = path.lstat()
            except FileNotFoundError:
                continue
            if now - st.st_mtime < self.settings.settle_seconds:
                report.waiting += 1
                continue
            if feed in KEYED_FEEDS and code in self.known and self.key is None:
                msg = (
                    f"{code}/{feed}: ingen pseudonymnyckel (MOGNAD_PSEUDONYM_KEY) – flödet "
                    f"körs inte / no pseudonym key – feed refused"
                )
                if msg not in report.refused:
                    report.refused.append(msg)
                    self.progress("  " + msg)
                continue
            outcome = self.take(code, feed, path)
            report.outcomes.append(outcome)
            detail = f"{outcome.rows_loaded} rader/rows"
            if outcome.rows_rejected:
                detail += f", {outcome.rows_rejected} underkända/rejected"
            if outcome.reason:
                detail += f" – {outcome.reason}"
            self.progress(
                f"  {code}/{feed}  {display_name(path.name)}  {outcome.status}  ({detail})"
            )
        report.seconds = time.monotonic() - start
        return report

    def take(self, code: str, feed: str, path: Path) -> Outcome:
        name = display_name(path.name)
        received = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        data = b"" if path.is_symlink() else path.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        attempt_id = f"{received:%Y%m%dT%H%M%S%f}-{sha[:12]}"
        problems = []
        parsed: Parsed | None = None
        version = None
        sheet = None
        if code not in self.known:
            problems = [problem("unknown_municipality", None, None, name)]
            status = "quarantined"
        elif feed not in INGEST_FEEDS:
            problems = [problem("unknown_feed", None, None, name)]
            status = "quarantined"
        elif path.is_symlink():
            problems = [problem("unreadable", None, None, "symbolic link / symbolisk länk")]
            status = "quarantined"
        elif self.ledger.loaded_load_id(code, feed, sha):
            status = "duplicate"
        else:
            earlier = self.ledger.known_names(code, feed, name)
            version = len(earlier) + 1
            try:
                sheet = read_file(path, data)
                parsed = parse(feed, sheet, Context(self.key, municipality_code=code))
            except UnreadableFile as exc:
                parsed = Parsed([], 0, 0, [problem("unreadable", None, None, str(exc))])
                parsed.fatal = parsed.problems[0]
            problems = parsed.problems
            rejected = parsed.rows_read - parsed.rows_loaded
            if parsed.fatal:
                status = "quarantined"
            elif parsed.rows_read and rejected / parsed.rows_read > self.settings.max_reject_share:
                problems = [
                    *problems,
                    problem("too_many_rejected", None, None, f"{rejected}/{parsed.rows_read}"),
                ]
                status = "quarantined"
            else:
                status = "loaded"
        rows_read = parsed.rows_read if parsed else 0
        rows_loaded = parsed.rows_loaded if parsed and status == "loaded" else 0
        rows_rejected = parsed.rows_read - parsed.rows_loaded if parsed else 0
        zone = self.settings.quarantine if status == "quarantined" else self.settings.archive
        stored = zone / display_name(code) / display_name(feed) / f"{attempt_id}__{name}"
        _durable_copy(path, stored)
        load_id = None
        attribution = _attribution(feed, sheet if parsed else None)
        if status == "loaded":
            load_id = attempt_id
            provenance = {"file": name, "sha256": sha, "attempt_id": attempt_id}
            if attribution:
                provenance["attribution"] = attribution
            land(self.settings.raw, feed, code, load_id, parsed.records, provenance, received)
        reason = problems[0].code if status == "quarantined" and problems else None
        self.ledger.record(
            Attempt(
                attempt_id,
                code,
                feed,
                name,
                sha,
                status,
                rows_read,
                rows_loaded,
                rows_rejected,
                received.isoformat(),
                load_id,
                reason,
                str(stored),
            )
        )
        receipt = {
            "file": name,
            "sha256": sha,
            "feed": feed,
            "municipality_code": code,
            "status": status,
            "rows_read": rows_read,
            "rows_loaded": rows_loaded,
            "rows_rejected": rows_rejected,
            "problems": [p.as_dict() for p in problems],
            "received_at": received.isoformat() + "Z",
            "attempt_id": attempt_id,
            "load_id": load_id,
            "version": version,
        }
        if attribution:
            receipt["attribution"] = attribution
        receipt_path = write_receipt(self.settings.inbox / display_name(code) / RECEIPTS, receipt)
        path.unlink()
        return Outcome(
            code, feed, name, status, rows_read, rows_loaded, rows_rejected, receipt_path, reason
        )


def _attribution(feed: str, sheet) -> str | None:
    """Kolada's data must be credited: "Källa: Kolada" (or what the landed file says)."""
    if feed != "kolada":
        return None
    for rec in getattr(sheet, "records", None) or []:
        if isinstance(rec, dict) and rec.get("attribution"):
            return str(rec["attribution"])[:200]
    return "Källa: Kolada"


def ingest(settings: Settings, progress: Callable[[str], None] | None = print) -> IngestReport:
    return Ingestor(settings, progress).run()
