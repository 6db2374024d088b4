"""`mognad check FILE…`: the receipt a file would get, without delivering it.

The same reading (:func:`mognad.ingest.readers.read_file`), parsing and validation
(:func:`mognad.ingest.feeds.parse`) and quarantine rule as ingest, but nothing is written:
no ledger, no raw zone, no archive, no receipt file. Identifiers are validated with
:mod:`mognad.contract.personnummer` and pseudonymised with a throwaway random key held in memory,
so no pseudonym key is needed and nothing can be linked afterwards.

A municipality's mapping file (``$MOGNAD_HOME/mappings/<kod>/<feed>.yaml``, or one given
with ``--mapping``) is applied as ingest would; the receipt shows the mapping and the columns
it dropped (their names, never their values).

Not knowable without the ledger: whether the same bytes were delivered before
(``duplicate``); the check says what the file itself would give.
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
from pathlib import Path

from mognad.config import FEEDS
from mognad.contract.problems import problem
from mognad.contract.reference import municipalities
from mognad.ingest.feeds import parse
from mognad.ingest.mapping import MappingError
from mognad.ingest.readers import UnreadableFile, read_file
from mognad.ingest.receipts import display_name
from mognad.ingest.rules import Context, Parsed

PRECHECK_NOTE = (
    "Förhandskontroll – ingenting har lästs in eller sparats. / "
    "Pre-check – nothing was loaded or stored."
)


def ingest_feeds() -> tuple[str, ...]:
    """The feeds ingest takes (the contract's three, plus any the ingest package adds)."""
    import mognad.ingest.run as ingest_pkg

    return tuple(getattr(ingest_pkg, "INGEST_FEEDS", FEEDS))


def _context(key: bytes, code: str | None, home: Path | None, mapping) -> Context:
    names = {f.name for f in dataclasses.fields(Context)}
    extra = {"home": home, "mapping": mapping} if "home" in names else {}
    if "municipality_code" in names:
        return Context(key, municipality_code=code, **extra)
    return Context(key)


def infer(path: Path) -> tuple[str | None, str | None]:
    """(municipality code, feed) from an inbox-style path `…/<kommunkod>/<feed>/<file>`."""
    parent, grandparent = path.parent.name, path.parent.parent.name
    feed = parent if parent in ingest_feeds() else None
    code = grandparent if feed and grandparent.isdigit() and len(grandparent) == 4 else None
    return code, feed


def check_file(
    path: Path,
    feed: str | None = None,
    municipality_code: str | None = None,
    max_reject_share: float = 0.2,
    *,
    home: Path | None = None,
    mapping: Path | None = None,
) -> dict:
    """The receipt ingest would write for this file (as a dict), computed in memory.

    ``home``: where the county's mapping files are looked up; ``mapping``: a mapping file to
    apply instead (to try one before the county installs it)."""
    path = Path(path)
    inferred_code, inferred_feed = infer(path)
    feed = feed or inferred_feed
    code = municipality_code or inferred_code
    name = display_name(path.name)
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    parsed: Parsed | None = None
    if code is not None and code not in municipalities():
        problems = [problem("unknown_municipality", None, None, name)]
        status = "quarantined"
    elif feed not in ingest_feeds():
        problems = [problem("unknown_feed", None, None, name)]
        status = "quarantined"
    else:
        key = secrets.token_bytes(32)  # throwaway: pseudonyms from a check link to nothing
        try:
            given = _given_mapping(mapping, feed, code)
            sheet = read_file(path, data)
            parsed = parse(feed, sheet, _context(key, code, home, given))
        except UnreadableFile as exc:
            parsed = Parsed([], 0, 0, [problem("unreadable", None, None, str(exc))])
            parsed.fatal = parsed.problems[0]
        except MappingError as exc:
            parsed = Parsed([], 0, 0, [problem("invalid_mapping", None, None, str(exc)[:300])])
            parsed.fatal = parsed.problems[0]
        del key
        problems = parsed.problems
        rejected = parsed.rows_read - parsed.rows_loaded
        if parsed.fatal:
            status = "quarantined"
        elif parsed.rows_read and rejected / parsed.rows_read > max_reject_share:
            problems = [
                *problems,
                problem("too_many_rejected", None, None, f"{rejected}/{parsed.rows_read}"),
            ]
            status = "quarantined"
        else:
            status = "loaded"
        parsed.records.clear()  # nothing leaves this function but counts and problems
        parsed.table = None
    rows_read = parsed.rows_read if parsed else 0
    return {
        "file": name,
        "sha256": sha,
        "feed": feed or "",
        "municipality_code": code or "",
        "status": status,
        "rows_read": rows_read,
        "rows_loaded": parsed.rows_loaded if parsed and status == "loaded" else 0,
        "rows_rejected": parsed.rows_read - parsed.rows_loaded if parsed else 0,
        "problems": [p.as_dict() for p in problems],
        **(parsed.receipt if parsed else {}),
        "precheck": True,
    }


def _given_mapping(path: Path | None, feed: str, code: str | None):
    if path is None:
        return None
    from mognad.ingest.mapping import load_mapping

    return load_mapping(Path(path), feed, code, display_name(Path(path).name))
