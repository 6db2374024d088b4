"""Personnummer in, keyed pseudonym out: the clear value never leaves ingest.

Parsing and the Luhn check live in :mod:`mognad.contract.personnummer`; this module adds the key.
Callers get a pseudonym (HMAC-SHA256 of the normalised 12-digit form) or ``None``; error
messages never repeat the value.
"""

from __future__ import annotations

import hashlib
import hmac

from mognad.contract.personnummer import normalize as normalise

__all__ = ["normalise", "pseudonymise"]


def pseudonymise(key: bytes, twelve_digits: str) -> str:
    return hmac.new(key, twelve_digits.encode("ascii"), hashlib.sha256).hexdigest()
