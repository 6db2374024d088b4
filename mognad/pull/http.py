"""HTTP for pulls: authentication from the secrets file, retries with `Retry-After`,
pagination (page, next link, Kolada, xAPI), and URLs safe to log (no credentials)."""

from __future__ import annotations

import datetime as dt
import email.utils
import os
import re
import time

import requests

from mognad.pull.sources import XAPI_VERSION, Source

RETRY_STATUS = {429, 500, 502, 503, 504}


USER_AGENT = "mognad-pull/0.1 (+https://github.com/mognad)"


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


class PullFailed(Exception):
    def __init__(self, message: str, http_status: int | None = None):
        super().__init__(message)
        self.http_status = http_status
