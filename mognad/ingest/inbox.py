"""What waits in the inboxes (`ingest/<kommunkod>/<feed>/`): the files in a stable order,
the names never taken, and how many files make a run worth splitting into worker buckets
of whole municipalities."""

from __future__ import annotations

import os
from pathlib import Path

from mognad.config import Settings

IGNORED_PREFIXES = (".", "~$")


IGNORED_SUFFIXES = (".part", ".tmp", ".crdownload")


RECEIPTS = "receipts"


def is_ignored(name: str) -> bool:
    return name.startswith(IGNORED_PREFIXES) or name.lower().endswith(IGNORED_SUFFIXES)


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


PARALLEL_MIN_FILES = 200
"""Fewer waiting files are taken in this process (starting workers costs about a second);
``MOGNAD_INGEST_PARALLEL_MIN_FILES`` overrides it (the tests use both sides cheaply)."""


def parallel_min_files() -> int:
    raw = os.environ.get("MOGNAD_INGEST_PARALLEL_MIN_FILES", "").strip()
    try:
        return max(1, int(raw)) if raw else PARALLEL_MIN_FILES
    except ValueError:
        return PARALLEL_MIN_FILES


def _partition(found: list, workers: int, min_files: int | None = None) -> list[list]:
    """The files in ``workers`` buckets of whole municipalities, balanced by bytes; one
    bucket when there are fewer than ``min_files`` (default :func:`parallel_min_files`)
    files or one worker."""
    if min_files is None:
        min_files = parallel_min_files()
    if workers <= 1 or len(found) < min_files:
        return [found]
    by_code: dict[str, list] = {}
    for entry in found:
        by_code.setdefault(entry[0], []).append(entry)

    def size(entries: list) -> int:
        total = 0
        for _, _, path in entries:
            try:
                total += path.lstat().st_size + 4096  # a file's fixed cost, in bytes
            except OSError:
                pass
        return total

    buckets: list[list] = [[] for _ in range(min(workers, len(by_code)))]
    loads = [0] * len(buckets)
    for _code, entries in sorted(by_code.items(), key=lambda kv: -size(kv[1])):
        i = loads.index(min(loads))
        buckets[i].extend(entries)
        loads[i] += size(entries)
    return [b for b in buckets if b]
