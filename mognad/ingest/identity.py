"""Personnummer and samordningsnummer: parse, check, normalise, pseudonymise.

The clear value never leaves this module: callers get a keyed pseudonym (HMAC-SHA256) or
``None``; error messages never repeat the value.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re

_PATTERN = re.compile(r"^(\d{2})?(\d{2})(\d{2})(\d{2})([-+]?)(\d{3})(\d)$")


def luhn_ok(ten_digits: str) -> bool:
    total = 0
    for i, ch in enumerate(ten_digits):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def normalise(value: str, today: dt.date | None = None) -> str | None:
    """Return the 12-digit form (YYYYMMDDNNNC), or None when it is not a valid number.

    Accepts 10 or 12 digits, with or without ``-``; ``+`` in the 10-digit form marks 100+.
    Samordningsnummer (day + 60) is accepted.
    """
    s = re.sub(r"\s", "", str(value or ""))
    m = _PATTERN.match(s)
    if not m:
        return None
    century, yy, mm, dd, sep, serial, check = m.groups()
    if century and sep == "+":
        return None
    if not luhn_ok(f"{yy}{mm}{dd}{serial}{check}"):
        return None
    day = int(dd)
    real_day = day - 60 if day > 60 else day
    today = today or dt.date.today()
    if century:
        year = int(century + yy)
    else:
        year = today.year - (today.year - int(yy)) % 100
        if sep == "+":
            year -= 100
    try:
        born = dt.date(year, int(mm), real_day)
    except ValueError:
        return None
    if not century and born > today:
        year -= 100
    elif born > today:
        return None
    return f"{year:04d}{mm}{dd}{serial}{check}"


def pseudonymise(key: bytes, twelve_digits: str) -> str:
    return hmac.new(key, twelve_digits.encode("ascii"), hashlib.sha256).hexdigest()
