"""One attempt to take a delivered file: decided once, rendered three ways.

:func:`classify` decides, from what the take step found (the file, its checksum, what the
ledger knows of it and, when it came that far, the parse result), whether the file is
loaded, a duplicate or quarantined, and with which problems. It reads nothing and writes
nothing, so the rules can be tested without an inbox. The :class:`Attempt` it returns
renders the ledger row, the receipt and the run's outcome, so the three always agree; the
take step (:mod:`mognad.ingest.run`) commits it: copy → land → ledger → receipt.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from mognad.contract.problems import Problem, problem
from mognad.ingest.receipts import display_name, short_name
from mognad.ingest.report import Outcome
from mognad.ingest.rules import Parsed
from mognad.state.ledger import Attempt as LedgerRow


@dataclass(frozen=True)
class Delivery:
    """One file as the take step found it, before its contents are judged."""

    attempt_id: str
    municipality_code: str
    feed: str
    file: str
    """The file's name as shown (:func:`display_name`)."""
    sha256: str
    received_at: dt.datetime
    source: Path | None = None
    known_municipality: bool = True
    known_feed: bool = True
    special: str | None = None
    """What the file is when it is not a regular file (a link, a FIFO): never opened."""
    oversize: str | None = None
    """Its size against the limit when it is too large to read."""

    def refusal(self) -> Problem | None:
        """The problem that quarantines the file whatever it holds, if any."""
        if not self.known_municipality:
            return problem("unknown_municipality", None, None, self.file)
        if not self.known_feed:
            return problem("unknown_feed", None, None, self.file)
        if self.special is not None:
            return problem("unreadable", None, None, self.special)
        if self.oversize is not None:
            return problem("too_large", None, None, self.oversize)
        return None


_SHARED = (
    "attempt_id",
    "municipality_code",
    "feed",
    "file",
    "status",
    "rows_read",
    "rows_loaded",
    "rows_rejected",
    "reason",
)


@dataclass
class Attempt:
    """What was decided for one delivery, and everything written about it."""

    attempt_id: str
    municipality_code: str
    feed: str
    file: str
    sha256: str
    received_at: dt.datetime
    status: str
    problems: list[Problem] = field(default_factory=list)
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    version: int | None = None
    """The how-manieth loaded file of this name (``None`` unless the file was parsed)."""
    rows: object | None = None
    """What lands in the raw zone: an Arrow table or a list of records."""
    receipt_extra: dict = field(default_factory=dict)
    """More for the receipt from the parser (``mapping``, ``ignored_statements``)."""
    attribution: str | None = None
    source: Path | None = None

    @property
    def load_id(self) -> str | None:
        return self.attempt_id if self.status == "loaded" else None

    @property
    def reason(self) -> str | None:
        """The first problem's code, for a quarantined file (the ledger's and run's reason)."""
        if self.status == "quarantined" and self.problems:
            return self.problems[0].code
        return None

    def stored_path(self, archive: Path, quarantine: Path) -> Path:
        """Where the durable copy goes: the quarantine for a quarantined file, else the archive."""
        zone = quarantine if self.status == "quarantined" else archive
        return (
            zone
            / short_name(display_name(self.municipality_code))
            / short_name(display_name(self.feed))
            / f"{self.attempt_id}__{short_name(self.file)}"
        )

    def provenance(self) -> dict:
        """What the raw zone records of where a load came from."""
        found = {"file": self.file, "sha256": self.sha256, "attempt_id": self.attempt_id}
        if self.attribution:
            found["attribution"] = self.attribution
        return found

    def _shared(self) -> dict:
        """The fields the ledger row and the outcome both carry, as they are."""
        return {name: getattr(self, name) for name in _SHARED}

    def ledger_row(self, stored: Path) -> LedgerRow:
        return LedgerRow(
            **self._shared(),
            sha256=self.sha256,
            received_at=self.received_at.isoformat(),
            load_id=self.load_id,
            stored_path=str(stored),
        )

    def receipt(self) -> dict:
        """The receipt's JSON (its text twin is rendered from this by ``receipts``)."""
        out = {
            "file": self.file,
            "sha256": self.sha256,
            "feed": self.feed,
            "municipality_code": self.municipality_code,
            "status": self.status,
            "rows_read": self.rows_read,
            "rows_loaded": self.rows_loaded,
            "rows_rejected": self.rows_rejected,
            "problems": [p.as_dict() for p in self.problems],
            "received_at": self.received_at.isoformat() + "Z",
            "attempt_id": self.attempt_id,
            "load_id": self.load_id,
            "version": self.version,
            **self.receipt_extra,
        }
        if self.attribution:
            out["attribution"] = self.attribution
        return out

    def outcome(self, receipt_path: Path | None) -> Outcome:
        return Outcome(**self._shared(), receipt=receipt_path, source=self.source)


def classify(
    delivery: Delivery,
    *,
    duplicate: bool = False,
    parsed: Parsed | None = None,
    version: int | None = None,
    attribution: str | None = None,
    max_reject_share: float = 1.0,
) -> Attempt:
    """Decide the attempt, in this order: a file refused whatever it holds (unknown
    municipality or feed, not a regular file, too large), a ``duplicate`` of content already
    loaded, a parse that failed as a whole or rejected more than ``max_reject_share`` of the
    rows (quarantined), else loaded. ``parsed`` is required when the first two leave the file
    open; the take step parses only then."""
    refused = delivery.refusal()
    if refused is not None:
        status, problems = "quarantined", [refused]
    elif duplicate:
        status, problems = "duplicate", []
    elif parsed is None:
        raise ValueError("classify: an open file needs its parse result")
    else:
        status, problems = _judge(parsed, max_reject_share)
    attempt = Attempt(
        attempt_id=delivery.attempt_id,
        municipality_code=delivery.municipality_code,
        feed=delivery.feed,
        file=delivery.file,
        sha256=delivery.sha256,
        received_at=delivery.received_at,
        status=status,
        problems=problems,
        attribution=attribution,
        source=delivery.source,
    )
    if refused is None and not duplicate and parsed is not None:
        attempt.version = version
        attempt.rows_read = parsed.rows_read
        attempt.rows_loaded = parsed.rows_loaded if status == "loaded" else 0
        attempt.rows_rejected = parsed.rows_read - parsed.rows_loaded
        attempt.receipt_extra = dict(parsed.receipt)
        if status == "loaded":
            attempt.rows = parsed.table if parsed.table is not None else parsed.records
    return attempt


def _judge(parsed: Parsed, max_reject_share: float) -> tuple[str, list[Problem]]:
    if parsed.fatal:
        return "quarantined", parsed.problems
    rejected = parsed.rows_read - parsed.rows_loaded
    if parsed.rows_read and rejected / parsed.rows_read > max_reject_share:
        too_many = problem("too_many_rejected", None, None, f"{rejected}/{parsed.rows_read}")
        return "quarantined", [*parsed.problems, too_many]
    return "loaded", parsed.problems
