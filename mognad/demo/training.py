"""Demo LMS exports: course events per person, as CSV, XLSX or xAPI statements."""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from mognad.contract.personnummer import format_as
from mognad.demo.common import (
    MONTHS,
    BadThing,
    Person,
    _month_index,
    _rng,
    _slug,
    _u,
    _Writer,
    _xlsx_bytes,
)
from mognad.demo.design import COURSES, TRAINING_END, TRAINING_STYLES, Profile


# --- training --------------------------------------------------------------------------------
@dataclass
class _Event:
    when: datetime
    person: Person
    course: tuple
    status: str  # completed, passed, failed, incomplete, started


def _training_events(seed: int, code: str, people: list[Person]) -> list[_Event]:
    rng = _rng(seed, code, "training")
    uptake = 0.7 + 0.45 * _u(seed, "uptake", code)
    horizon = datetime(TRAINING_END.year, TRAINING_END.month, TRAINING_END.day)
    events: list[_Event] = []
    for p in people:
        hired = datetime.combine(date(*MONTHS[p.start], 1), datetime.min.time())
        left = (
            datetime.combine(date(*MONTHS[p.end], 1), datetime.min.time())
            if p.end is not None
            else horizon
        )
        for course in COURSES:
            ccode, _, fmt, _, share, avail = course
            if ccode == "WS-LEDA":
                share = {"chef": 0.75, "förtroendevald": 0.5}.get(p.target_group, 0.0)
            tgf = {"chef": 1.2, "förtroendevald": 0.8, "medarbetare": 1.0}[p.target_group]
            gf = {"kvinna": 1.05, "man": 0.85, "annat": 1.0}[p.gender]
            prob = min(0.97, share * tgf * gf * uptake)
            lo = max(hired, datetime.combine(avail, datetime.min.time()))
            hi = min(left, horizon)
            if hi <= lo:
                continue
            r = rng.random()
            span = (hi - lo).total_seconds()
            if r < prob:
                # adoption grows over time: later dates are more likely than early ones
                frac = rng.random() ** (0.8 if p.start == 0 else 1.6)
                when = lo + timedelta(seconds=int(span * frac))
                when = when.replace(
                    hour=rng.randint(8, 16), minute=rng.randrange(60), second=rng.randrange(60)
                )
                if fmt == "e-learning" and rng.random() < 0.15:
                    before = when - timedelta(days=rng.randint(1, 20))
                    if before > lo:
                        events.append(
                            _Event(before, p, course, rng.choice(("incomplete", "failed")))
                        )
                status = (
                    "completed"
                    if fmt == "workshop"
                    else rng.choice(("completed", "passed", "passed"))
                )
                events.append(_Event(when, p, course, status))
            elif r < prob + 0.08 and fmt == "e-learning":
                when = lo + timedelta(seconds=int(span * rng.random()))
                events.append(
                    _Event(when, p, course, rng.choice(("incomplete", "started", "failed")))
                )
    events.sort(key=lambda e: (e.when, e.person.pnr, e.course[0]))
    return events


def _status(s: str, how: str) -> str:
    return s.capitalize() if how == "title" else s


def _training_row(e: _Event, st: dict, rng: random.Random) -> list[object]:
    ccode, cname, fmt, hours, _, _ = e.course
    done = e.status in ("completed", "passed", "failed")
    when = e.when.strftime(st["ts"]) if done else ""
    h: object = ""
    if e.status in ("completed", "passed"):
        hv = round(hours * rng.choice((0.8, 1.0, 1.0, 1.2)) * 4) / 4
        h = hv if st["hours"] == "number" else f"{hv:g}".replace(".", ",")
    fmt_txt = fmt if rng.random() < 0.9 else fmt.capitalize()
    return [
        format_as(e.person.pnr, st["pnr"]),
        ccode,
        cname,
        when,
        _status(e.status, st["status"]),
        fmt_txt,
        h,
    ]


_VERBS = {
    "completed": ("http://adlnet.gov/expapi/verbs/completed", "slutförde"),
    "passed": ("http://adlnet.gov/expapi/verbs/passed", "godkänd"),
    "failed": ("http://adlnet.gov/expapi/verbs/failed", "underkänd"),
    "incomplete": ("http://adlnet.gov/expapi/verbs/attempted", "påbörjade"),
    "started": ("http://adlnet.gov/expapi/verbs/launched", "startade"),
}


def _xapi(e: _Event, rng: random.Random, slug: str) -> dict:
    ccode, cname, _, hours, _, _ = e.course
    verb, display = _VERBS[e.status]
    st: dict = {
        "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "actor": {
            "objectType": "Agent",
            "account": {"homePage": f"https://lms.{slug}.se", "name": e.person.pnr},
        },
        "verb": {"id": verb, "display": {"sv-SE": display}},
        "object": {
            "objectType": "Activity",
            "id": f"https://lms.{slug}.se/xapi/activities/{ccode}",
            "definition": {
                "name": {"sv-SE": cname},
                "type": "http://adlnet.gov/expapi/activities/course",
            },
        },
        "timestamp": e.when.strftime("%Y-%m-%dT%H:%M:%S")
        + ("+02:00" if 4 <= e.when.month <= 10 else "+01:00"),
    }
    if e.status in ("completed", "passed", "failed"):
        minutes = int(hours * 60 * rng.choice((0.8, 1.0, 1.2)))
        st["result"] = {
            "completion": e.status != "failed",
            "success": e.status != "failed",
            "duration": f"PT{minutes // 60}H{minutes % 60}M",
        }
    return st


def _training(
    w: _Writer,
    seed: int,
    code: str,
    name: str,
    people: list[Person],
    profile: Profile,
    bad: bool,
    unreadable: bool,
) -> None:
    rng = _rng(seed, code, "training-files")
    events = _training_events(seed, code, people)
    st = TRAINING_STYLES[profile.training]
    slug = _slug(name)
    csv_events = events
    if profile.xapi:
        csv_events = [e for e in events if e.course[2] == "workshop"]
        by_year: dict[int, list[dict]] = {}
        for e in events:
            if e.course[2] != "workshop":
                by_year.setdefault(e.when.year, []).append(_xapi(e, rng, slug))
        for year, stmts in sorted(by_year.items()):
            if year % 2 == 1:  # JSON lines, one statement per line
                data = "".join(json.dumps(s, ensure_ascii=False) + "\n" for s in stmts)
            else:  # one JSON array
                data = json.dumps(stmts, ensure_ascii=False, indent=1)
            w.write(code, "training", f"xapi_{year}.json", data.encode("utf-8"), len(stmts))
    every = profile.training_every
    buckets: dict[tuple[int, int], list[_Event]] = {}
    for e in csv_events:
        mi = _month_index(e.when.date())
        ym = MONTHS[min(len(MONTHS) - 1, (mi // every + 1) * every - 1)]
        buckets.setdefault(ym, []).append(e)
    prefix = "workshop_narvaro" if profile.xapi else "lms_export"
    for (y, m), evs in sorted(buckets.items()):
        rows = [_training_row(e, st, rng) for e in evs]
        bad_rows: list[tuple[int, str, str, str]] = []
        if bad and (y, m) == (2025, 6) and st["kind"] == "csv":
            for i, r in enumerate(rows):
                if r[4].lower() in ("completed", "passed"):
                    r[3] = "2025-06-31"
                    bad_rows.append(
                        (i, st["cols"][3], "unparseable_date", "date 2025-06-31 does not exist")
                    )
                    break
        ext = "xlsx" if st["kind"] == "xlsx" else "csv"
        rel = w.table(
            code, "training", f"{prefix}_{y:04d}-{m:02d}.{ext}", st, list(st["cols"]), rows
        )
        for i, col, kind, detail in bad_rows:
            w.summary.bad.append(BadThing(code, "training", rel, i + 2, col, kind, detail))
    if unreadable:
        # an upload that broke half-way: a truncated XLSX next to the good CSV for that month
        rows = [_training_row(e, st, rng) for e in buckets.get((2025, 9), [])[:50]]
        full = _xlsx_bytes(
            TRAINING_STYLES["xlsx"], list(TRAINING_STYLES["xlsx"]["cols"]), rows, None
        )
        rel = w.write(code, "training", "lms_export_2025-09.xlsx", full[: len(full) * 2 // 5], 0)
        w.summary.bad.append(
            BadThing(
                code,
                "training",
                rel,
                None,
                None,
                "unreadable_file",
                "truncated XLSX (broken upload)",
            )
        )
