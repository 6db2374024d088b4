"""An event trigger that notices settled files in every municipality's inbox.

Unlike the standard provider's file triggers it never deletes or moves anything: the ingest
step owns the files (and its ledger decides what is new), the trigger only wakes it.

A file counts as *settled* when its modification time is at least `settle_seconds` old (the
same rule `mognad ingest` applies). The trigger fires once for every new set of settled
files, identified by (path, mtime_ns, size): an unchanged file that ingest leaves behind
(still settling on its side, or refused) does not fire again and again; a rewritten file does.
The set of seen signatures lives in memory, so after a triggerer restart the files present
fire once more — harmless, because ingest is idempotent. Polling, not inotify: it works on
network shares and costs one directory walk per `poll_seconds`; while a file is waiting to
settle, the trigger wakes up right when it settles (not up to a poll later).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from airflow.triggers.base import BaseEventTrigger, TriggerEvent

# Same names `mognad.ingest` skips (kept here so the triggerer does not import duckdb).
IGNORED_PREFIXES = (".", "~$")
IGNORED_SUFFIXES = (".part", ".tmp", ".crdownload")
RECEIPTS = "receipts"
MARGIN_SECONDS = 0.2  # after the computed settle moment (mtime and clock granularity)

Signature = tuple[str, int, int]


def _ignored(name: str) -> bool:
    return name.startswith(IGNORED_PREFIXES) or name.lower().endswith(IGNORED_SUFFIXES)


def scan_settled(inbox: Path, settle_seconds: float, now: float | None = None) -> list[Signature]:
    """(path, mtime_ns, size) of every settled file in `inbox/<kommunkod>/<feed>/`, sorted.

    Files directly in a municipality folder count too (ingest quarantines them with a
    reason, which is news the municipality should get). Receipts are never candidates."""
    return scan_inbox(inbox, settle_seconds, now)[0]


def scan_inbox(
    inbox: Path, settle_seconds: float, now: float | None = None
) -> tuple[list[Signature], float | None]:
    """`scan_settled`, plus the seconds until the next waiting (not yet settled) file
    settles — None when no file is waiting — so the trigger can wake up right then."""
    now = time.time() if now is None else now
    found: list[Signature] = []
    next_settle: float | None = None
    try:
        municipalities = list(os.scandir(inbox))
    except FileNotFoundError:
        return found, None
    for code_dir in municipalities:
        if _ignored(code_dir.name):
            continue
        entries = [code_dir] if not code_dir.is_dir(follow_symlinks=False) else []
        if not entries:
            try:
                for entry in os.scandir(code_dir.path):
                    if entry.name == RECEIPTS or _ignored(entry.name):
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        entries.extend(
                            f
                            for f in os.scandir(entry.path)
                            if not _ignored(f.name) and not f.is_dir(follow_symlinks=False)
                        )
                    else:
                        entries.append(entry)
            except (FileNotFoundError, NotADirectoryError):
                continue
        for f in entries:
            try:
                st = f.stat(follow_symlinks=False)
            except FileNotFoundError:  # taken by ingest meanwhile
                continue
            age = now - st.st_mtime
            if age >= settle_seconds:
                found.append((f.path, st.st_mtime_ns, st.st_size))
            else:
                left = settle_seconds - max(age, 0.0)
                next_settle = left if next_settle is None else min(next_settle, left)
    return sorted(found), next_settle


class InboxSettledTrigger(BaseEventTrigger):
    """Fire when settled files that were not seen before wait in any inbox."""

    def __init__(self, inbox: str, settle_seconds: float = 30.0, poll_seconds: float = 5.0):
        super().__init__()
        self.inbox = str(inbox)
        self.settle_seconds = float(settle_seconds)
        self.poll_seconds = max(float(poll_seconds), 0.5)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "inbox": self.inbox,
                "settle_seconds": self.settle_seconds,
                "poll_seconds": self.poll_seconds,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        inbox = Path(self.inbox)
        seen: set[Signature] = set()
        while True:
            settled, next_settle = await asyncio.to_thread(scan_inbox, inbox, self.settle_seconds)
            current = set(settled)
            new = current - seen
            # Forget files that left the inbox, so the same name dropped again fires again.
            seen &= current
            if new:
                seen |= new
                files = sorted(p for p, _, _ in new)
                self.log.info("Inkorg: %d nya avlagda filer / new settled files", len(files))
                yield TriggerEvent({"inbox": self.inbox, "files": files[:50], "count": len(files)})
            # A waiting file is picked up the moment it settles, not up to a poll later.
            pause = self.poll_seconds
            if next_settle is not None:
                pause = min(pause, next_settle + MARGIN_SECONDS)
            await asyncio.sleep(pause)
