"""What an ingest run answers: one outcome per file and the run's report (also what a
worker process hands back to its parent)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


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
    attempt_id: str | None = None
    source: Path | None = None


@dataclass
class IngestReport:
    outcomes: list[Outcome] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    waiting: int = 0
    seconds: float = 0.0
    workers: int = 1
    """Processes that took the files (more than one from ``parallel_min_files()`` files)."""

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
        if self.failed:
            text += f"; {len(self.failed)} misslyckades/failed (kvar i inkorgen/kept in inbox)"
        return text
