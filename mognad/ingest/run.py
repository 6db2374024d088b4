"""Ingest: take settled files from the inbox once, check them, land them, answer with a receipt.

Order of work for one file, so that no failure loses it:
durable copy (archive or quarantine) → raw zone (atomic) → ledger → receipt → leave inbox.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import shutil
import sqlite3
import stat
import time
from collections.abc import Callable
from pathlib import Path

from mognad.config import Settings
from mognad.contract.feeds import RAW_FEEDS
from mognad.contract.problems import problem
from mognad.contract.reference import municipalities
from mognad.ingest import durable
from mognad.ingest.attempt import Attempt, Delivery, classify
from mognad.ingest.feeds import parse
from mognad.ingest.inbox import RECEIPTS, _partition, candidates, is_ignored
from mognad.ingest.land import land, load_dir, remove_stale_temp
from mognad.ingest.originals import NotSettled, _durable_copy, _sha256_file
from mognad.ingest.readers import UnreadableFile, read_file
from mognad.ingest.receipts import display_name, short_name, write_receipt
from mognad.ingest.report import IngestReport, Outcome
from mognad.ingest.rules import KEYED_FEEDS, Context, Parsed
from mognad.state.ledger import Ledger

INGEST_FEEDS = RAW_FEEDS
"""The contract's feeds plus ``kolada`` (Kolada v3 data landed by ``mognad pull``)."""
NOTHING_READ = hashlib.sha256(b"").hexdigest()
"""The checksum recorded for a file that was not opened (a link, a FIFO, an oversized file)."""


FAULT_STEPS = ("begin", "durable_copy", "raw_write", "ledger", "receipt", "unlink")


def _fault(step: str) -> None:
    """Fault injection for the crash tests: ``MOGNAD_FAULT_AFTER=<step>[:<n>]`` kills the
    process (``os._exit(137)``, as SIGKILL would) right after the n-th (default first) time
    the named step completes. Unset in production."""
    spec = os.environ.get("MOGNAD_FAULT_AFTER")
    if not spec:
        return
    name, _, nth = spec.partition(":")
    if name != step:
        return
    count = _FAULT_COUNTS.get(step, 0) + 1
    _FAULT_COUNTS[step] = count
    if count >= int(nth or 1):
        os._exit(137)


_FAULT_COUNTS: dict[str, int] = {}


BATCH_FILES = 500
"""Files whose copies are made durable together (one filesystem sync) before they leave
the inbox; a batch also ends after ``BATCH_SECONDS``, so receipts never wait long."""
BATCH_SECONDS = 5.0


class Ingestor:
    def __init__(self, settings: Settings, progress: Callable[[str], None] | None = print):
        self.settings = settings
        self.progress = progress or _quiet
        self.ledger = Ledger(settings.ledger_path)
        self.key = settings.pseudonym_key()
        self.known = municipalities()

    def run(self) -> IngestReport:
        report = IngestReport()
        start = time.monotonic()
        try:
            self._run(report)
        except (OSError, sqlite3.Error) as exc:
            # the ledger or the disk failed outside a single file (the inbox listing, the
            # reconciliation): what was taken so far stays in the report, the run failed
            msg = (
                f"ingest avbröts, filerna ligger kvar / ingest stopped, the files are kept: "
                f"{exc.__class__.__name__}: {_safe_error(exc)}"
            )
            report.failed.append(msg)
            self.progress("  " + msg)
        finally:
            self.ledger.close()
        report.seconds = time.monotonic() - start
        return report

    def _run(self, report: IngestReport) -> None:
        remove_stale_temp(self.settings.raw)
        found = candidates(self.settings)
        self._reconcile({(code, feed, display_name(path.name)) for code, feed, path in found})
        now = time.time()
        buckets = _partition(found, self.settings.ingest_workers)
        if len(buckets) > 1:
            self._take_in_parallel(buckets, now, report)
        else:
            with durable.batch() if len(found) > 1 else contextlib.nullcontext():
                self._take_all(found, now, report)

    def _take_in_parallel(self, buckets: list[list], now: float, report: IngestReport) -> None:
        """Many files: one worker process per bucket of municipalities (a municipality's
        files stay in one process, in order, so versions and duplicates are decided as in one
        run). Each process has its own ledger connection; SQLite serialises their writes.
        The workers are fresh interpreters (``mognad.ingest.worker_main``), never forks or
        ``multiprocessing`` children of this process."""
        from mognad.ingest import worker

        self.ledger.close()  # never carry a SQLite connection into another process
        self.progress(
            f"  {sum(map(len, buckets))} filer/files i/in {len(buckets)} processer/processes"
        )
        parts: list[IngestReport] = []
        report.workers = len(buckets)
        for bucket, result in zip(
            buckets, worker.run_buckets(self.settings, buckets, now, self.progress), strict=True
        ):
            if result.report is not None:
                parts.append(result.report)
                continue
            codes = ", ".join(sorted({display_name(c) for c, _, _ in bucket}))
            msg = (
                f"en ingest-process avbröts ({result.failure}); dess filer ({codes}) ligger "
                f"kvar i inkorgen och slutförs nästa körning / an ingest process died "
                f"({result.failure}); its files ({codes}) are kept in the inbox and finished "
                f"by the next run"
            )
            report.failed.append(msg)
            self.progress("  " + msg)
        order = {(c, f, str(p)): i for b in buckets for i, (c, f, p) in enumerate(b)}
        for part in parts:
            report.outcomes.extend(part.outcomes)
            report.refused.extend(m for m in part.refused if m not in report.refused)
            report.failed.extend(part.failed)
            report.waiting += part.waiting
        report.outcomes.sort(
            key=lambda o: (
                o.municipality_code,
                o.feed,
                order.get((o.municipality_code, o.feed, str(o.source)), 0),
            )
        )

    def _take_all(self, found: list, now: float, report: IngestReport) -> None:
        taken: list[Outcome] = []
        batch_start = time.monotonic()
        self.ledger.synchronous(full=not durable.deferred())
        try:
            self._take_each(found, now, report, taken, batch_start)
        finally:
            try:
                self.release(taken)
            except (OSError, sqlite3.Error) as exc:
                msg = (
                    f"{len(taken)} filer kvar i inkorgen, slutförs nästa körning / files kept "
                    f"in the inbox, finished by the next run: {exc.__class__.__name__}: "
                    f"{_safe_error(exc)}"
                )
                report.failed.append(msg)
                self.progress("  " + msg)

    def _take_each(self, found, now, report, taken, batch_start) -> None:
        for code, feed, path in found:
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
            try:
                outcome = self.take(code, feed, path)
            except NotSettled:
                report.waiting += 1
                continue
            except (OSError, sqlite3.Error) as exc:
                # the platform's own storage failed (disk full, permissions): the file stays
                # in the inbox, the attempt stays pending and is finished by the next run
                msg = (
                    f"{display_name(code)}/{display_name(feed)} {display_name(path.name)}: "
                    f"lagringsfel, filen ligger kvar / storage error, the file is kept: "
                    f"{exc.__class__.__name__}: {_safe_error(exc)}"
                )
                report.failed.append(msg)
                self.progress("  " + msg)
                break
            report.outcomes.append(outcome)
            taken.append(outcome)
            if len(taken) >= BATCH_FILES or time.monotonic() - batch_start > BATCH_SECONDS:
                self.release(taken)
                taken.clear()
                batch_start = time.monotonic()
            detail = f"{outcome.rows_loaded} rader/rows"
            if outcome.rows_rejected:
                detail += f", {outcome.rows_rejected} underkända/rejected"
            if outcome.reason:
                detail += f" – {outcome.reason}"
            self.progress(
                f"  {code}/{feed}  {display_name(path.name)}  {outcome.status}  ({detail})"
            )

    def take(self, code: str, feed: str, path: Path) -> Outcome:
        """Take one file: find what it is, decide its :class:`Attempt` once, commit it."""
        delivery, data = self._find(code, feed, path)
        _fault("begin")
        open_file = delivery.refusal() is None
        duplicate = open_file and bool(
            self.ledger.loaded_load_id(code, feed, delivery.sha256, besides=delivery.attempt_id)
        )
        parsed: Parsed | None = None
        sheet = None
        version = None
        if open_file and not duplicate:
            earlier = self.ledger.known_names(
                code, feed, delivery.file, besides=delivery.attempt_id
            )
            version = len(earlier) + 1
            sheet, parsed = self._parse(code, feed, path, data)
        attempt = classify(
            delivery,
            duplicate=duplicate,
            parsed=parsed,
            version=version,
            attribution=_attribution(feed, sheet if parsed else None),
            max_reject_share=self.settings.max_reject_share,
        )
        return self._commit(attempt, path, data)

    def _find(self, code: str, feed: str, path: Path) -> tuple[Delivery, bytes | None]:
        """The file as found (read once, when it will be parsed) and its attempt begun in
        the ledger, or the pending attempt of an earlier run that died on this very file."""
        name = display_name(path.name)
        before = path.lstat()
        regular = stat.S_ISREG(before.st_mode)
        too_large = regular and before.st_size > self.settings.max_file_bytes
        data: bytes | None = None
        if not regular:
            sha = NOTHING_READ  # a symbolic link, FIFO or device is never opened
        elif too_large:
            sha = NOTHING_READ  # never read: its size alone decides
        elif code in self.known and feed in INGEST_FEEDS:
            data = path.read_bytes()
            after = path.lstat()
            if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
                raise NotSettled(name)
            sha = hashlib.sha256(data).hexdigest()
        else:
            sha = _sha256_file(path)
        pending = self.ledger.pending_attempt(code, feed, name, sha)
        if pending:  # an earlier run died half-way through this very file: finish it
            attempt_id, received_text = pending
            received = dt.datetime.fromisoformat(received_text)
        else:
            received = dt.datetime.now(dt.UTC).replace(tzinfo=None)
            attempt_id = f"{received:%Y%m%dT%H%M%S%f}-{sha[:12]}"
            self.ledger.begin(attempt_id, code, feed, name, sha, received.isoformat())
        special = oversize = None
        if not regular:
            special = (
                "symbolic link / symbolisk länk" if path.is_symlink() else "not a regular file"
            )
        elif too_large:
            limit = self.settings.max_file_bytes
            oversize = f"{before.st_size} bytes > {limit} (MOGNAD_MAX_FILE_BYTES)"
        delivery = Delivery(
            attempt_id=attempt_id,
            municipality_code=code,
            feed=feed,
            file=name,
            sha256=sha,
            received_at=received,
            source=path,
            known_municipality=code in self.known,
            known_feed=feed in INGEST_FEEDS,
            special=special,
            oversize=oversize,
        )
        return delivery, data

    def _parse(self, code: str, feed: str, path: Path, data: bytes | None):
        """The sheet read (``None`` when unreadable) and its parse; a reader's failure on
        hostile input is a parse that failed as a whole, never an error of the run."""
        sheet = None
        try:
            sheet = read_file(path, data)
            ctx = Context(self.key, municipality_code=code, home=self.settings.home)
            parsed = parse(feed, sheet, ctx)
        except UnreadableFile as exc:
            parsed = Parsed([], 0, 0, [problem(exc.code, None, None, str(exc))])
            parsed.fatal = parsed.problems[0]
        except OSError:
            raise  # the platform's own storage: handled by the run (file kept)
        except Exception as exc:  # a reader bug on hostile input: quarantine, go on
            detail = f"internal reader error ({exc.__class__.__name__})"
            parsed = Parsed([], 0, 0, [problem("unreadable", None, None, detail)])
            parsed.fatal = parsed.problems[0]
        return sheet, parsed

    def _commit(self, attempt: Attempt, path: Path, data: bytes | None) -> Outcome:
        """Write the attempt down in the order that never loses a file: durable copy → raw
        zone (a load) → ledger → receipt. The file leaves the inbox later (:meth:`release`)."""
        stored = attempt.stored_path(self.settings.archive, self.settings.quarantine)
        _durable_copy(path, stored, data, self.settings)
        _fault("durable_copy")
        if attempt.status == "loaded":
            land(
                self.settings.raw,
                attempt.feed,
                attempt.municipality_code,
                attempt.load_id,
                attempt.rows,
                attempt.provenance(),
                attempt.received_at,
            )
            _fault("raw_write")
        self.ledger.record(attempt.ledger_row(stored))
        _fault("ledger")
        folder = self._receipts_folder(attempt.municipality_code)
        receipt_path = write_receipt(folder, attempt.receipt())
        _fault("receipt")
        return attempt.outcome(receipt_path)

    def release(self, taken: list[Outcome]) -> None:
        """Let taken files leave the inbox: first everything written for them is made
        durable (one filesystem sync when the copies were written in a batch), then the
        files are removed, the removals made durable, and the attempts closed."""
        if not taken:
            return
        if durable.deferred():
            durable.sync_filesystems([self.settings.home, self.settings.inbox])
        for outcome in taken:
            path = outcome.source
            if path.is_symlink() or not path.is_dir():  # (a receipts link was moved aside)
                path.unlink(missing_ok=True)
            durable.fsync_dir(path.parent)
            _fault("unlink")
        if durable.deferred():
            durable.sync_filesystems([self.settings.inbox])
        self.ledger.finish_many([o.attempt_id for o in taken])

    def _reconcile(self, in_inbox: set[tuple[str, str, str]]) -> None:
        """Close attempts an earlier run left pending whose file is no longer in the inbox.

        Recorded in the ledger: the run died after the file left the inbox; only the
        bookkeeping is left. Not recorded: the file was taken away before its attempt was
        recorded; a load it may have landed is removed, so the raw zone holds nothing the
        ledger does not know (its durable copy, if made, stays in the archive)."""
        recorded = {a["attempt_id"] for a in self.ledger.all()}
        for p in self.ledger.pending():
            if (p["municipality_code"], p["feed"], p["file"]) in in_inbox:
                continue  # finished when the file is taken below
            if p["attempt_id"] not in recorded:
                target = load_dir(
                    self.settings.raw, p["feed"], p["municipality_code"], p["attempt_id"]
                )
                if target.exists():
                    shutil.rmtree(target)
                self.progress(
                    f"  {display_name(p['municipality_code'])}/{display_name(p['feed'])}  "
                    f"{display_name(p['file'])}  avbrutet försök stängt / interrupted attempt "
                    f"closed (filen finns inte längre i inkorgen / the file left the inbox)"
                )
            self.ledger.finish(p["attempt_id"])

    def _receipts_folder(self, code: str) -> Path:
        """The municipality's receipts folder, as a real folder inside the inbox: a symbolic
        link (or a file) in its place is moved to quarantine first, so a receipt is never
        written through a link to somewhere outside the inbox."""
        folder = self.settings.inbox / short_name(display_name(code)) / RECEIPTS
        if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
            stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
            aside = self.settings.quarantine / short_name(display_name(code)) / "_receipts"
            aside.mkdir(parents=True, exist_ok=True)
            os.replace(folder, aside / f"{stamp}__receipts")
        return folder


def _quiet(_msg: str) -> None:
    pass


def _take_part(
    settings: Settings, found: list, now: float, progress: Callable[[str], None]
) -> IngestReport:
    """In a worker process (``mognad.ingest.worker_main``): take its bucket as one run would."""
    ingestor = Ingestor(settings, progress)
    report = IngestReport()
    try:
        with durable.batch():
            ingestor._take_all(found, now, report)
    finally:
        ingestor.ledger.close()
    return report


def _attribution(feed: str, sheet) -> str | None:
    """Kolada's data must be credited: "Källa: Kolada" (or what the landed file says)."""
    if feed != "kolada":
        return None
    for rec in getattr(sheet, "records", None) or []:
        if isinstance(rec, dict) and rec.get("attribution"):
            return str(rec["attribution"])[:200]
    return "Källa: Kolada"


def _safe_error(exc: BaseException) -> str:
    """An OS error's reason without echoing file contents (there are none in OSError text,
    but names are made displayable)."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return display_name(str(exc))[:200]


def ingest(settings: Settings, progress: Callable[[str], None] | None = print) -> IngestReport:
    return Ingestor(settings, progress).run()
