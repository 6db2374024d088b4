"""Values as people write them: dates, numbers, target groups, gender, yes/no."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from zoneinfo import ZoneInfo

NO_ANSWER = {"", "-", "–", "vet ej", "vetej", "vet inte", "ej svar", "n/a", "na", "dont know"}

TARGET_GROUPS = {
    "förtroendevald": "förtroendevald",
    "förtroendevalda": "förtroendevald",
    "fortroendevald": "förtroendevald",
    "politiker": "förtroendevald",
    "elected": "förtroendevald",
    "elected official": "förtroendevald",
    "chef": "chef",
    "chefer": "chef",
    "manager": "chef",
    "medarbetare": "medarbetare",
    "anställd": "medarbetare",
    "employee": "medarbetare",
}

GENDERS = {
    "kvinna": "kvinna",
    "k": "kvinna",
    "kv": "kvinna",
    "female": "kvinna",
    "f": "kvinna",
    "woman": "kvinna",
    "man": "man",
    "m": "man",
    "male": "man",
    "annat": "annat",
    "annan": "annat",
    "other": "annat",
    "x": "annat",
}
GENDER_MISSING = {"", "-", "vet ej", "ej angivet", "uppgift saknas", "vill ej uppge", "okänt"}

YES = {"ja", "j", "yes", "y", "1", "true", "sant", "x"}
NO = {"nej", "n", "no", "0", "false", "falskt", ""}


def clean(value: object) -> str:
    return "" if value is None else str(value).strip()


def norm(value: object) -> str:
    """Trimmed, inner whitespace runs made one space, lower case."""
    return " ".join(clean(value).split()).lower()


def target_group(value: object) -> str | None:
    return TARGET_GROUPS.get(norm(value))


def gender(value: object) -> str | None:
    v = norm(value)
    if v in GENDER_MISSING:
        return "ej angivet"
    return GENDERS.get(v)


def yes_no(value: object) -> bool | None:
    v = norm(value)
    if v in YES:
        return True
    if v in NO:
        return False
    return None


def excel_serial(serial: float) -> dt.datetime:
    """Excel's 1900 date system, including its fictitious 29 February 1900 (serial 60)."""
    days = int(serial)
    if days < 1:
        raise ValueError("serial before 1900")
    base = dt.datetime(1899, 12, 31) if days < 60 else dt.datetime(1899, 12, 30)
    if days == 60:
        raise ValueError("Excel's 1900-02-29 does not exist")
    frac = serial - days
    return base + dt.timedelta(days=days, seconds=round(frac * 86400))


_SERIAL = re.compile(r"\d{1,6}(\.\d+)?")
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y%m%d",
    "%d.%m.%Y",
    "%d/%m/%Y",
    "%Y/%m/%d",
)


STOCKHOLM = ZoneInfo("Europe/Stockholm")
"""Where the platform's calendar runs: a date-time with an offset counts on this zone's date."""

# Zone abbreviations that survey tools print after a time (Google Forms: "… 9:41:07 AM CET")
_ZONE_NAMES = {
    "CET": dt.timedelta(hours=1),
    "CEST": dt.timedelta(hours=2),
    "UTC": dt.timedelta(0),
    "GMT": dt.timedelta(0),
    "Z": dt.timedelta(0),
}
_TRAILING_ZONE = re.compile(r"^(.*?\S)\s*(?:\b([A-Z]{1,4})|(?:UTC|GMT)?([+-]\d{2}):?(\d{2}))$")
_AMPM_FORMATS = ("%Y/%m/%d %I:%M:%S %p", "%Y-%m-%d %I:%M:%S %p", "%m/%d/%Y %I:%M:%S %p")


def local(parsed: dt.datetime) -> dt.datetime:
    """An aware date-time as Europe/Stockholm wall-clock time (naive); a naive one as it is
    (it was written in local time)."""
    if parsed.tzinfo is None:
        return parsed
    return parsed.astimezone(STOCKHOLM).replace(tzinfo=None)


def _naive(v: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(v)
    except ValueError:
        pass
    for fmt in (*_DATE_FORMATS, *_AMPM_FORMATS):
        try:
            return dt.datetime.strptime(v, fmt)
        except ValueError:
            continue
    return None


def timestamp(value: object, *, excel: bool = False) -> dt.datetime | None:
    """A date or date-time as written; one with an offset, ``Z`` or a zone name (CET, CEST,
    UTC, GMT) becomes its Europe/Stockholm wall-clock time, so it counts on the Swedish
    calendar date (00:30 in Sweden on 1 April is April, though it is 31 March in UTC)."""
    v = clean(value)
    if not v:
        return None
    if excel and _SERIAL.fullmatch(v):
        try:
            return excel_serial(float(v))
        except ValueError:
            return None
    parsed = _naive(v)
    if parsed is not None:
        return local(parsed)
    iso = v[:-1] + "+00:00" if v.endswith(("Z", "z")) else v
    try:
        return local(dt.datetime.fromisoformat(iso))
    except ValueError:
        pass
    m = _TRAILING_ZONE.match(v)
    if not m:
        return None
    body, name, hours, minutes = m.groups()
    if name is not None:
        offset = _ZONE_NAMES.get(name)
        if offset is None:
            return None
    else:
        sign = -1 if hours.startswith("-") else 1
        offset = sign * dt.timedelta(hours=abs(int(hours)), minutes=int(minutes))
    parsed = _naive(body.strip())
    if parsed is None or parsed.tzinfo is not None:
        return None
    return local(parsed.replace(tzinfo=dt.timezone(offset)))


def date_or_month(value: object, *, excel: bool = False) -> dt.date | None:
    """A date, or ``YYYY-MM`` (read as that month's last day)."""
    v = clean(value)
    m = _MONTH.fullmatch(v)
    if m and 1 <= int(m.group(2)) <= 12:
        year, month = int(m.group(1)), int(m.group(2))
        return dt.date(year, month, calendar.monthrange(year, month)[1])
    ts = timestamp(v, excel=excel)
    return ts.date() if ts else None


def number(value: object) -> float | None:
    """A decimal number with comma or point; raises ValueError when it is not one."""
    v = clean(value).replace("\u00a0", "").replace(" ", "")
    if not v:
        return None
    percent = v.endswith("%")
    v = v.rstrip("%").replace(",", ".")
    result = float(v)
    return result / 100 if percent else result


def answer(value: object) -> int | None:
    """An integer answer, or None for no answer; raises ValueError otherwise."""
    if isinstance(value, str) and value.isdecimal():  # the common case, fast
        return int(value)
    v = norm(value)
    if v in NO_ANSWER:
        return None
    f = float(v.replace(",", "."))
    if not f.is_integer():
        raise ValueError("not an integer")
    return int(f)
