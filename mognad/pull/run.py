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
import email.utils
import json
import os
import re
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import requests
import yaml

from mognad.config import PROJECT_DIR, Settings
from mognad.state.ledger import Ledger, PullRecord

FEEDS = ("survey", "training", "hr", "plan", "kolada")
PAGINATION = ("none", "page", "next_link", "kolada", "xapi")
XAPI_VERSION = "1.0.3"
RETRY_STATUS = {429, 500, 502, 503, 504}
KOLADA_ATTRIBUTION = "Källa: Kolada"
USER_AGENT = "mognad-pull/0.1 (+https://github.com/mognad)"
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,80}$")


class SourceError(ValueError):
    """A source file is not valid (the message says which file and key)."""


@dataclass(frozen=True)
class Source:
    id: str
    municipality_code: str | None
    """The municipality of a one-municipality source; ``None`` when several (Kolada)."""
    feed: str
    url: str
    municipality_codes: tuple[str, ...] = ()
    auth: dict | None = None
    pagination: str = "none"
    page_param: str = "page"
    page_size_param: str = "pageSize"
    page_size: int = 500
    items_key: str | None = None
    next_key: str = "next"
    timeout: float = 30.0
    retries: int = 4
    backoff: float = 1.0
    max_retry_wait: float = 60.0
    max_pages: int = 1000
    kpi: str | None = None
    attribution: str | None = None
    path: Path | None = None


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


class PullFailed(Exception):
    def __init__(self, message: str, http_status: int | None = None):
        super().__init__(message)
        self.http_status = http_status


# --- sources --------------------------------------------------------------------------------


def sources_dir(settings: Settings | None = None) -> Path:
    raw = os.environ.get("MOGNAD_SOURCES_DIR")
    return Path(raw) if raw else PROJECT_DIR / "sources"


def _codes(value) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list | tuple) else str(value).replace(",", " ").split()
    return tuple(str(v).strip().zfill(4) for v in items)


def parse_source(data: dict, path: Path | None = None) -> Source:
    where = path.name if path else "source"
    if not isinstance(data, dict):
        raise SourceError(f"{where}: expected a mapping")
    sid = str(data.get("id") or "")
    if not _ID.match(sid):
        raise SourceError(f"{where}: id must be letters, digits, '_', '-', '.' ({sid!r})")
    feed = data.get("feed")
    if feed not in FEEDS:
        raise SourceError(f"{where}: feed must be one of {', '.join(FEEDS)}")
    pagination = data.get("pagination", "kolada" if feed == "kolada" else "none")
    if pagination not in PAGINATION:
        raise SourceError(f"{where}: pagination must be one of {', '.join(PAGINATION)}")
    codes = _codes(data.get("municipality_codes")) or _codes(data.get("municipality_code"))
    from mognad.contract.reference import municipalities

    known = municipalities()
    if not codes:
        raise SourceError(f"{where}: municipality_code is required")
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise SourceError(f"{where}: unknown municipality code(s) {', '.join(unknown)}")
    if len(codes) > 1 and pagination != "kolada":
        raise SourceError(f"{where}: several municipalities only for a Kolada source")
    if pagination == "xapi" and feed != "training":
        raise SourceError(f"{where}: an xAPI source (pagination: xapi) is a training feed")
    auth = data.get("auth")
    if auth is not None:
        kind = auth.get("type") if isinstance(auth, dict) else None
        need = {"bearer": ("token_env",), "basic": ("username_env", "password_env")}.get(kind)
        if need is None or any(not auth.get(k) for k in need):
            raise SourceError(
                f"{where}: auth needs type bearer (token_env) or basic (username_env, "
                "password_env): environment variable names, never the secret itself"
            )
    kpi = None
    attribution = data.get("attribution")
    if pagination == "kolada":
        kpi = str(data.get("kpi") or "")
        years = data.get("years") or []
        base = str(data.get("base_url") or "").rstrip("/")
        if not re.fullmatch(r"[A-Z]\d{5}", kpi) or not base or not years:
            raise SourceError(f"{where}: a Kolada source needs base_url, kpi and years")
        years_text = ",".join(str(int(y)) for y in years)
        url = f"{base}/data/kpi/{kpi}/municipality/{','.join(codes)}/year/{years_text}"
        attribution = attribution or KOLADA_ATTRIBUTION
    else:
        url = str(data.get("url") or "")
    if not url.startswith(("http://", "https://")):
        raise SourceError(f"{where}: url must start with http:// or https://")
    try:
        return Source(
            id=sid,
            municipality_code=codes[0] if len(codes) == 1 else None,
            feed=feed,
            url=url,
            municipality_codes=codes,
            auth=auth,
            pagination=pagination,
            page_param=str(data.get("page_param", "page")),
            page_size_param=str(
                data.get("page_size_param", "per_page" if pagination == "kolada" else "pageSize")
            ),
            page_size=int(data.get("page_size", 5000 if pagination == "kolada" else 500)),
            items_key=data.get("items_key"),
            next_key=str(data.get("next_key", "next")),
            timeout=float(data.get("timeout", 30)),
            retries=int(data.get("retries", 4)),
            backoff=float(data.get("backoff", 1.0)),
            max_retry_wait=float(data.get("max_retry_wait", 60)),
            max_pages=int(data.get("max_pages", 1000)),
            kpi=kpi,
            attribution=attribution,
            path=path,
        )
    except (TypeError, ValueError) as exc:
        raise SourceError(f"{where}: {exc}") from exc


def load_sources(settings: Settings | None = None, folder: Path | None = None) -> list[Source]:
    """Every source in ``sources/*.yaml`` (sorted by file name); raises SourceError if one is
    invalid or two share an id."""
    folder = folder or sources_dir(settings)
    out: list[Source] = []
    if not folder.is_dir():
        return out
    for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
        with open(path, encoding="utf-8") as f:
            data = yaml.safe_load(f)
        out.append(parse_source(data, path))
    ids = [s.id for s in out]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise SourceError(f"duplicate source id(s): {', '.join(dupes)}")
    return out


# --- HTTP ------------------------------------------------------------------------------------


def _auth(source: Source) -> tuple[dict, tuple | None]:
    """(headers, basic auth) from the environment; raises PullFailed when a variable is unset."""
    if not source.auth:
        return {}, None
    names = [v for k, v in source.auth.items() if k.endswith("_env")]
    missing = [n for n in names if not os.environ.get(n)]
    if missing:
        raise PullFailed(f"authentication variable not set: {', '.join(missing)}")
    if source.auth["type"] == "bearer":
        return {"Authorization": f"Bearer {os.environ[source.auth['token_env']]}"}, None
    return {}, (os.environ[source.auth["username_env"]], os.environ[source.auth["password_env"]])


def retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


def _safe_url(url: str) -> str:
    """The URL without credentials in it (user:password@ or token-like query values)."""
    url = re.sub(r"//[^/@]*@", "//", url)
    return re.sub(r"(?i)([?&](?:token|access_token|api_key|apikey|key)=)[^&]*", r"\1***", url)


class _Client:
    def __init__(self, source: Source, sleep=time.sleep):
        self.source = source
        self.sleep = sleep
        self.session = requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        self.session.headers["Accept"] = "application/json"
        if source.pagination == "xapi":  # an LRS refuses requests without it
            self.session.headers["X-Experience-API-Version"] = XAPI_VERSION
        headers, basic = _auth(source)
        self.session.headers.update(headers)
        self.session.auth = basic
        self.requests = 0
        self.last_status: int | None = None

    def get_json(self, url: str, params: dict | None = None):
        s = self.source
        attempt = 0
        while True:
            attempt += 1
            self.requests += 1
            wait: float | None = None
            try:
                resp = self.session.get(url, params=params, timeout=s.timeout, allow_redirects=True)
            except requests.Timeout:
                problem = f"timeout after {s.timeout:g} s"
                self.last_status = None
            except requests.ConnectionError as exc:
                problem = f"connection failed ({exc.__class__.__name__})"
                self.last_status = None
            except requests.RequestException as exc:
                raise PullFailed(f"request failed ({exc.__class__.__name__})") from exc
            else:
                self.last_status = resp.status_code
                if resp.status_code in (401, 403):
                    raise PullFailed(
                        f"authentication refused (HTTP {resp.status_code}); check the "
                        f"credentials in {self._auth_names()} – not retried",
                        resp.status_code,
                    )
                if resp.status_code in RETRY_STATUS:
                    problem = f"HTTP {resp.status_code}"
                    wait = retry_after(resp.headers.get("Retry-After"))
                elif resp.status_code >= 400:
                    raise PullFailed(f"HTTP {resp.status_code} – not retried", resp.status_code)
                else:
                    try:
                        return resp.json()
                    except ValueError as exc:  # requests' JSONDecodeError is a ValueError
                        raise PullFailed(
                            f"malformed JSON from the server (HTTP {resp.status_code}, "
                            f"{len(resp.content)} bytes)",
                            resp.status_code,
                        ) from exc
            if attempt > s.retries:
                raise PullFailed(f"{problem}; gave up after {attempt} attempts", self.last_status)
            if wait is None:
                wait = s.backoff * (2 ** (attempt - 1))
            self.sleep(min(wait, s.max_retry_wait))

    def _auth_names(self) -> str:
        if not self.source.auth:
            return "the source (no auth configured)"
        return ", ".join(v for k, v in self.source.auth.items() if k.endswith("_env"))


def _items(payload, key: str | None) -> list:
    if isinstance(payload, list):
        return payload
    if isinstance(payload, dict):
        for k in (key, "items", "data", "values", "results", "records"):
            if k and isinstance(payload.get(k), list):
                return payload[k]
    raise PullFailed("unexpected JSON shape: no list of records found")


def fetch(source: Source, client: _Client) -> tuple[list, int]:
    """Every record of every page (all or nothing)."""
    records: list = []
    pages = 0
    if source.pagination == "none":
        records = _items(client.get_json(source.url), source.items_key)
        return records, 1
    if source.pagination == "page":
        page = 1
        while pages < source.max_pages:
            params = {source.page_param: page, source.page_size_param: source.page_size}
            batch = _items(client.get_json(source.url, params), source.items_key)
            pages += 1
            records.extend(batch)
            if len(batch) < source.page_size:
                return records, pages
            page += 1
        raise PullFailed(f"more than {source.max_pages} pages")
    # next_link, kolada and xapi: follow the link the server gives
    url: str | None = source.url
    params: dict | None = None
    if source.pagination == "kolada":
        params = {source.page_size_param: source.page_size}
        key, next_keys = "values", ("next_url", "next_page")  # v3, and v2's name
    elif source.pagination == "xapi":
        key, next_keys = "statements", ("more",)
    else:
        key, next_keys = source.items_key, (source.next_key,)
    seen: set[str] = set()
    while url:
        if pages >= source.max_pages:
            raise PullFailed(
                f"fler än {source.max_pages} sidor (max_pages); inget landade / more than "
                f"{source.max_pages} pages (max_pages); nothing landed"
            )
        if url in seen:
            raise PullFailed(
                f"sidan {pages + 1} pekar på en tidigare sida; inget landade / page "
                f"{pages + 1} links back to an earlier page; nothing landed"
            )
        seen.add(url)
        try:
            payload = client.get_json(url, params)
        except PullFailed as exc:
            if not pages:
                raise
            raise PullFailed(
                f"sida/page {pages + 1}: {exc}; inget landade, inte heller sidorna före / "
                f"nothing landed, not even the pages before it",
                exc.http_status,
            ) from exc
        pages += 1
        batch = _items(payload, key)
        if source.pagination == "kolada":
            batch = kolada_current(batch)
        records.extend(batch)
        params = None  # the next link carries its own query
        nxt = None
        if isinstance(payload, dict):
            nxt = next((payload[k] for k in next_keys if payload.get(k)), None)
        # xAPI's `more` is relative to the LRS host (path and query): urljoin resolves an
        # absolute path against the current URL's scheme and host, and a full URL as itself
        url = requests.compat.urljoin(url, str(nxt)) if nxt else None
    return records, pages


def kolada_current(values: list) -> list:
    """Kolada value objects without the data points Kolada has withdrawn (``isdeleted``);
    an object left with no points is dropped."""
    out = []
    for item in values:
        points = item.get("values") if isinstance(item, dict) else None
        if not isinstance(points, list):
            out.append(item)  # not a value object: ingest reports it
            continue
        kept = [p for p in points if not (isinstance(p, dict) and p.get("isdeleted") is True)]
        if kept:
            out.append({**item, "values": kept})
    return out


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
