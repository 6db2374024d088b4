"""Swedish personnummer and samordningsnummer: Luhn check digit, validation, normalisation.

Accepted forms: ``YYMMDD-XXXX``, ``YYMMDD+XXXX`` (age 100+), ``YYMMDDXXXX``, ``YYYYMMDDXXXX``
and ``YYYYMMDD-XXXX``. A samordningsnummer has day + 60. The check digit is the Luhn digit
over the ten-digit form's first nine digits (``YYMMDDNNN``). The serial number ``NNN`` 000 is
never issued (Skatteverket's serials run 001–999), so a number with it is refused even when
its check digit is right.

Never log or raise with the clear value: functions here return ``None``/``False``.
"""

from __future__ import annotations

import re
from datetime import date

_FORM = re.compile(r"^(\d{2})?(\d{6})([-+]?)(\d{4})$")


def luhn_digit(nine_digits: str) -> int:
    """The check digit for ``YYMMDDNNN`` (weights 2,1,2,1,... from the left)."""
    if len(nine_digits) != 9 or not nine_digits.isdigit():
        raise ValueError("expected nine digits")
    total = 0
    for i, ch in enumerate(nine_digits):
        v = int(ch) * (2 if i % 2 == 0 else 1)
        total += v - 9 if v > 9 else v
    return (10 - total % 10) % 10


def _real_date(year: int, month: int, day: int) -> date | None:
    if day > 60:  # samordningsnummer
        day -= 60
    try:
        return date(year, month, day)
    except ValueError:
        return None


def normalize(pnr: str | None, *, today: date | None = None) -> str | None:
    """The 12-digit form ``YYYYMMDDNNNC``, or ``None`` when the value is not a valid number.

    A 10-digit form gets the century that puts the birth date on or before ``today``
    (100 years earlier with ``+``).
    """
    if pnr is None:
        return None
    s = str(pnr).strip().replace(" ", "")
    m = _FORM.match(s)
    if not m:
        return None
    century, yymmdd, sep, tail = m.groups()
    yy, mm, dd = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:6])
    today = today or date.today()
    if century is not None:
        year = int(century) * 100 + yy
    else:
        year = (today.year // 100) * 100 + yy
        if _real_date(year, mm, dd) is None or _real_date(year, mm, dd) > today:
            year -= 100
        if sep == "+":
            year -= 100
    born = _real_date(year, mm, dd)
    if born is None or born > today:
        return None
    if tail[:3] == "000":  # never issued
        return None
    if luhn_digit(yymmdd + tail[:3]) != int(tail[3]):
        return None
    return f"{year:04d}{mm:02d}{dd:02d}{tail}"


def is_valid(pnr: str | None, *, today: date | None = None) -> bool:
    """True for a well-formed personnummer or samordningsnummer with a correct check digit."""
    return normalize(pnr, today=today) is not None


def is_samordningsnummer(pnr: str | None) -> bool:
    n = normalize(pnr)
    return n is not None and int(n[6:8]) > 60


def build(born: date, serial: int, *, samordning: bool = False) -> str:
    """A valid 12-digit number for a birth date and a three-digit serial (``NNN``).

    The serial's last digit is odd for men and even for women by Swedish convention.
    Serial 0 builds a number with a correct check digit that :func:`normalize` refuses (000
    is never issued): useful for tests of that rule.
    """
    if not 0 <= serial <= 999:
        raise ValueError("serial must be 0..999")
    day = born.day + (60 if samordning else 0)
    nine = f"{born.year % 100:02d}{born.month:02d}{day:02d}{serial:03d}"
    return f"{born.year:04d}{born.month:02d}{day:02d}{serial:03d}{luhn_digit(nine)}"


def format_as(pnr12: str, form: str) -> str:
    """Render a 12-digit number as ``YYYYMMDDXXXX`` (long), ``YYYYMMDD-XXXX`` (long-),
    ``YYMMDD-XXXX`` (short-) or ``YYMMDDXXXX`` (short)."""
    if form == "long":
        return pnr12
    if form == "long-":
        return f"{pnr12[:8]}-{pnr12[8:]}"
    if form == "short-":
        return f"{pnr12[2:8]}-{pnr12[8:]}"
    if form == "short":
        return pnr12[2:]
    raise ValueError(f"unknown form {form!r}")
