"""Pull sources (`sources/*.yaml`): what to fetch, from where, for which municipalities,
checked when read so a bad file names its key."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from mognad.config import PROJECT_DIR, Settings
from mognad.contract.feeds import RAW_FEEDS

FEEDS = RAW_FEEDS


PAGINATION = ("none", "page", "next_link", "kolada", "xapi")


XAPI_VERSION = "1.0.3"


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


KOLADA_ATTRIBUTION = "Källa: Kolada"
