"""Pull deliveries over HTTP and land them in the inbox, exactly as a dropped file would.

Sources are data: one YAML file per municipality feed in ``sources/`` (or the folder named
by ``MOGNAD_SOURCES_DIR``). A pull fetches every page, and only when all pages arrived does
it write one JSON file per municipality into ``ingest/<kod>/<feed>/`` — through a
dot-prefixed temporary name and a rename, so ingest never sees half a file. From there the
file takes the same path as a drop (checks, ledger, receipt, raw zone).

Every pull attempt is recorded in the ledger's ``pulls`` table (``state/ledger.sqlite``).

YAML keys (see ``sources/README.md``)::

    id: 2281_lms                  # unique; also the landed file's name prefix
    municipality_code: "2281"     # or municipality_codes: [...] for a Kolada source
    feed: training                # survey, training, hr or kolada
    url: https://lms.example.se/api/completions
    auth: {type: bearer, token_env: SUNDSVALL_LMS_TOKEN}
        # or {type: basic, username_env: X, password_env: Y}; omit for open APIs
    pagination: none              # none | page | next_link | kolada | xapi
    page_param: page              # page style: page number parameter (from 1)
    page_size_param: pageSize     # page style: page size parameter
    page_size: 500
    items_key: items              # where the rows are in an object response (optional)
    next_key: next                # next_link style: the key holding the next URL
    timeout: 30                   # seconds per request (connect and read)
    retries: 4                    # extra attempts on 429, 5xx, timeouts, connection errors
    backoff: 1.0                  # seconds, doubled per retry (unless Retry-After says)
    max_retry_wait: 60            # cap on any single wait, Retry-After included
    max_pages: 1000

A Kolada source (``pagination: kolada``) instead has ``base_url``, ``kpi`` and ``years``;
the URL becomes ``{base_url}/data/kpi/{kpi}/municipality/{codes}/year/{years}``. Kolada v3
answers ``{"values": [...], "count": n, "next_url": "<absolute URL>" | null,
"previous_url": ...}``; the pull follows ``next_url`` to the end and drops data points that
Kolada has withdrawn (``"isdeleted": true``).

An xAPI source (``pagination: xapi``, feed ``training``) reads an LRS's ``GET /statements``:
each answer is a ``StatementResult`` ``{"statements": [...], "more": "<IRL>"}``, and ``more``
(relative to the LRS's host, as the xAPI specification defines it) is followed until it is
empty. Requests carry ``X-Experience-API-Version: 1.0.3``.

Paging is bounded by ``max_pages``: a source that still has a next page past it fails the
pull (nothing lands). So does any page that fails after its retries: either every page
arrived and the whole payload lands, or nothing does.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from mognad.config import Settings
from mognad.pull.http import PullFailed, _Client, _safe_url, fetch
from mognad.pull.sources import KOLADA_ATTRIBUTION, Source, load_sources
from mognad.state.ledger import Ledger, PullRecord


@dataclass
class PullResult:
    source_id: str
    ok: bool
    message: str
    files: list[Path] = field(default_factory=list)
    pages: int = 0
    records: int = 0
    requests: int = 0
    http_status: int | None = None


# --- landing ---------------------------------------------------------------------------------


def _temp_json(folder: Path, name: str, document, settle_seconds: float) -> tuple[Path, Path]:
    """(temporary file, final name): written and synced under a name ingest never takes."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    tmp = folder / f".{name}.{uuid.uuid4().hex[:8]}.tmp"
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(document, f, ensure_ascii=False, indent=1, sort_keys=False)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        # the file is complete the moment it appears: stamp it as already settled
        past = time.time() - settle_seconds - 1
        os.utime(tmp, (past, past))
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp, target


def _move_all(pending: list[tuple[Path, Path]]) -> list[Path]:
    """Rename every temporary file into the inbox, only once all of them were written."""
    for tmp, target in pending:
        os.replace(tmp, target)
    return [target for _, target in pending]


def land_payload(settings: Settings, source: Source, records: list, stamp: str) -> list[Path]:
    """Write the pulled records into the inbox; one file per municipality for Kolada.

    File content is deterministic (no retrieval time inside), so an unchanged payload pulled
    again is recognised by ingest as a duplicate.
    """
    name = f"{source.id}_{stamp}.json"
    pending: list[tuple[Path, Path]] = []
    try:
        if source.feed == "kolada":
            _kolada_documents(settings, source, records, name, pending)
        else:
            folder = settings.inbox / source.municipality_codes[0] / source.feed
            pending.append(_temp_json(folder, name, records, settings.settle_seconds))
    except BaseException:
        for tmp, _ in pending:
            tmp.unlink(missing_ok=True)
        raise
    return _move_all(pending)


def _kolada_documents(settings, source, records, name, pending) -> None:
    """One document per municipality, each credited to Kolada."""
    for code in source.municipality_codes:
        values = [
            r
            for r in records
            if isinstance(r, dict) and str(r.get("municipality", "")).zfill(4) == code
        ]
        if not values:  # nothing published yet for this municipality: nothing to land
            continue
        document = {
            "source": "Kolada",
            "attribution": source.attribution or KOLADA_ATTRIBUTION,
            "source_id": source.id,
            "kpi": source.kpi,
            "municipality": code,
            "url": _safe_url(source.url),
            "values": values,
        }
        folder = settings.inbox / code / "kolada"
        pending.append(_temp_json(folder, name, document, settings.settle_seconds))


def pull(
    settings: Settings, source_id: str, *, folder: Path | None = None, sleep=time.sleep
) -> PullResult:
    """Pull one source and land it in the inbox. HTTP trouble never raises: ``ok`` is False
    and ``message`` says why; the attempt is recorded in the ledger's ``pulls`` table."""
    started = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    sources = {s.id: s for s in load_sources(settings, folder)}
    source = sources.get(source_id)
    if source is None:
        return PullResult(source_id, False, f"unknown source {source_id!r}")
    stamp = f"{started:%Y%m%dT%H%M%S%f}Z"
    result = PullResult(source_id, False, "")
    client = None
    try:
        client = _Client(source, sleep)
        records, pages = fetch(source, client)
        result.pages, result.records = pages, len(records)
        result.files = land_payload(settings, source, records, stamp)
        result.ok = True
        result.message = f"{len(records)} poster/records, {pages} sidor/pages"
    except PullFailed as exc:
        result.message = str(exc)
        result.http_status = exc.http_status
    except OSError as exc:
        result.message = f"could not write to the inbox ({exc.__class__.__name__})"
    if client is not None:
        result.requests = client.requests
        result.http_status = result.http_status or client.last_status
    finished = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with Ledger(settings.ledger_path) as ledger:
        ledger.record_pull(
            PullRecord(
                pull_id=f"{stamp}-{source.id}",
                source_id=source.id,
                municipality_code=",".join(source.municipality_codes),
                feed=source.feed,
                url=_safe_url(source.url),
                started_at=started.isoformat(),
                finished_at=finished.isoformat(),
                ok=result.ok,
                http_status=result.http_status,
                requests=result.requests,
                pages=result.pages,
                records=result.records,
                files=json.dumps([str(p) for p in result.files]),
                message=result.message,
            )
        )
    return result


def pull_all(settings: Settings, ids: list[str] | None = None, **kw) -> list[PullResult]:
    ids = ids or [s.id for s in load_sources(settings, kw.get("folder"))]
    return [pull(settings, i, **kw) for i in ids]
