"""The nightly run's logic: which HTTP sources to pull, one pull, and the failure threshold.

`mognad.pull` (the ingest engineer's module) is imported lazily, so the DAG parses even
where it is missing; a missing module means no sources, which the nightly run reports.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from mognad.config import Settings

# The nightly run fails when more than this share of the sources failed (after retries).
DEFAULT_MAX_FAILED_SHARE = 0.25


def max_failed_share() -> float:
    raw = os.environ.get("MOGNAD_NIGHTLY_MAX_FAILED_SHARE")
    return float(raw) if raw not in (None, "") else DEFAULT_MAX_FAILED_SHARE


def source_list(settings: Settings) -> list[dict[str, str]]:
    """Every declared HTTP source as a small dict (the mapped task's argument)."""
    try:
        from mognad.pull.sources import load_sources
    except ImportError:
        print("mognad.pull saknas / is missing: no HTTP sources to pull")
        return []
    return [
        {
            "id": s.id,
            "municipality_code": s.municipality_code,
            "feed": s.feed,
            "url": s.url,
        }
        for s in load_sources(settings)
    ]


class PullFailed(RuntimeError):
    """One source could not be pulled (raised so Airflow retries it)."""


def pull_one(settings: Settings, source_id: str) -> dict:
    from mognad.pull.run import pull

    result = pull(settings, source_id)
    if not result.ok:
        raise PullFailed(f"{source_id}: {result.message}")
    return {"source": source_id, "files": [str(p) for p in result.files], "ok": True}


@dataclass(frozen=True)
class Verdict:
    total: int
    failed: list[str]
    allowed: float

    @property
    def ok(self) -> bool:
        return not self.total or len(self.failed) / self.total <= self.allowed

    def summary(self) -> str:
        return (
            f"{self.total - len(self.failed)}/{self.total} källor/sources OK; "
            f"misslyckade/failed: {', '.join(self.failed) or '–'} "
            f"(tröskel/threshold {self.allowed:.0%})"
        )


def verdict(sources: list[str], succeeded: list[str], allowed: float | None = None) -> Verdict:
    allowed = max_failed_share() if allowed is None else allowed
    failed = sorted(set(sources) - set(succeeded))
    return Verdict(len(sources), failed, allowed)


class StaleInbox(RuntimeError):
    """Settled files have waited in an inbox longer than MOGNAD_STALE_INBOX_MINUTES."""


def inbox_health(settings: Settings) -> str:
    """The nightly health check: fail, naming the files, when settled files still wait in
    an inbox after MOGNAD_STALE_INBOX_MINUTES (ingest is not running, or not taking them)."""
    from mognad.quality.status import inbox_files, stale_summary

    waiting = inbox_files(settings)
    stale = [f for f in waiting if f["stale"]]
    if stale:
        raise StaleInbox(stale_summary(stale, settings.stale_inbox_minutes))
    return (
        f"inkorgarna OK / inboxes OK: {len(waiting)} filer väntar / files waiting, "
        f"ingen längre än / none longer than {settings.stale_inbox_minutes:g} min"
    )
