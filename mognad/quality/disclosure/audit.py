"""`mognad audit [FILE]`: can an attacker who reads only the published numbers derive a hidden
count? (docs/metod.md, "Granskning av röjandeskyddet / the disclosure audit")

Every shown number of the person-count marts becomes a linear constraint over the hidden
cells (`model`), and for each hidden count two linear programs give the tightest interval
[L, U] the attacker can derive (`solve`).

Rule (the protection interval of tau-Argus): a hidden count passes when its integer interval
is at least ``min_cell`` wide, U - L >= min_cell, so it is neither pinned nor proved small.
A hidden cell the attacker can prove empty (U = 0) discloses no person and is not counted;
so are cells whose true value (read from the build file where the marts keep it) is 0.
"""

from __future__ import annotations

import json
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from mognad.config import Settings
from mognad.quality.disclosure.model import (
    Model,
    build_model_from,
    read_true_values_from,
)
from mognad.quality.disclosure.solve import Interval, components, solve_component

EPS = 1e-6


def build_model(path: Path) -> tuple[Model, list[str]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return build_model_from(con)
    finally:
        con.close()


def read_true_values(model: Model, build_db: Path) -> int:
    if not build_db.exists():
        return 0
    con = duckdb.connect(str(build_db), read_only=True)
    try:
        return read_true_values_from(model, con)
    finally:
        con.close()


@dataclass
class Verdict:
    """One component's audit: every interval, the narrow ones, and how it was solved."""

    intervals: list
    narrow: list
    known_zero: int = 0
    dropped_cross: bool = False
    failed: dict | None = None
    narrow_vars: list = field(default_factory=list)  # model variable indexes of `narrow`
    narrow_binding: list = field(default_factory=list)  # the constraints that pin each
    wide_vars: list = field(default_factory=list)  # variable indexes proved wide enough


def check_component(model: Model, vids, cids, min_cell: int, skip=frozenset()) -> Verdict:
    # + 2: the integer interval (L rounded up, U down) must still be min_cell wide
    results, status = solve_component(model, vids, cids, min_cell + 2, skip=skip)
    dropped = False
    if results is None:
        # a between-marts identity may not hold in this build: solve without them
        results, status = solve_component(
            model, vids, cids, min_cell + 2, drop_cross=True, skip=skip
        )
        dropped = True
    if results is None:
        v = model.vars[vids[0]]
        failed = {"table": v.table, "key": [str(x) for x in v.key], "status": status}
        return Verdict([], [], 0, dropped, failed)
    verdict = Verdict([], [], 0, dropped)
    for iv in results:
        lo = math.ceil(iv.lower - EPS)
        hi = iv.upper if iv.upper == math.inf else math.floor(iv.upper + EPS)
        if hi != math.inf and hi <= 0:
            verdict.known_zero += 1
            continue
        d = _describe(model, iv, lo, hi)
        verdict.intervals.append(d)
        if hi != math.inf and hi - lo < min_cell:
            verdict.narrow.append(d)
            verdict.narrow_vars.append(iv.var)
            verdict.narrow_binding.append(iv.binding)
        else:
            verdict.wide_vars.append(iv.var)
    return verdict


def check_many(model: Model, items: list[tuple], min_cell: int) -> list[Verdict]:
    """`check_component` for every (vids, cids, skip), in order, in this process. (Forked
    workers were tried: inside an Airflow task a forked child hung on a lock it inherited;
    the components are independent, so subprocess workers would be the way to use more
    cores.)"""
    return [check_component(model, v, c, min_cell, skip=k) for v, c, k in items]


@dataclass
class AuditResult:
    path: str
    min_cell: int
    tables: list[str]
    hidden: int  # hidden person counts (every audited variable)
    audited: int  # of them, not known to be zero
    pinned: list  # hidden non-zero counts the attacker pins exactly
    narrow: list  # intervals narrower than min_cell (pinned included)
    known_zero: int  # proved empty by the constraints (discloses nobody)
    dropped_cross: int  # components solved without the between-marts identities
    failed_components: list
    seconds: float
    intervals: list = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.narrow and not self.failed_components

    def as_dict(self) -> dict:
        d = {k: v for k, v in self.__dict__.items() if k != "intervals"}
        d["passed"] = self.passed
        return d


def _describe(model: Model, iv: Interval, lo: int, hi: int) -> dict:
    v = model.vars[iv.var]
    return {
        "table": v.table,
        "key": [str(k) for k in v.key],
        "column": v.column,
        "lower": lo,
        "upper": None if hi == math.inf else hi,
        "width": None if hi == math.inf else hi - lo,
        "true_value": v.true_value,
        "exact": iv.exact,
    }


def audit(path: Path, min_cell: int, build_db: Path | None = None, progress=None) -> AuditResult:
    started = time.monotonic()
    model, tables = build_model(path)
    if build_db is not None:
        read_true_values(model, build_db)
    parts = components(model)
    hidden = sum(1 for v in model.vars if v.audited)
    pinned, narrow, failed, intervals = [], [], [], []
    known_zero = dropped = 0
    if progress:
        progress(f"  {len(parts)} delar / components")
    verdicts = check_many(model, [(v, c, frozenset()) for v, c in parts], min_cell)
    for verdict in verdicts:
        dropped += verdict.dropped_cross
        if verdict.failed:
            failed.append(verdict.failed)
            continue
        known_zero += verdict.known_zero
        intervals += verdict.intervals
        narrow += verdict.narrow
        pinned += [d for d in verdict.narrow if d["upper"] == d["lower"]]
    narrow.sort(key=lambda d: (d["width"], d["table"], d["key"]))
    audited = sum(1 for v in model.vars if v.audited and v.true_value != 0)
    return AuditResult(
        str(path),
        min_cell,
        tables,
        hidden,
        audited,
        pinned,
        narrow,
        known_zero,
        dropped,
        failed,
        time.monotonic() - started,
        intervals,
    )


def report(result: AuditResult, examples: int = 10) -> str:
    lines = [
        f"Granskning av röjandeskyddet / disclosure audit: {result.path}",
        f"  tabeller / tables: {', '.join(result.tables) or '-'}",
        f"  dolda antal / hidden counts: {result.hidden} "
        f"(granskade, ej kända nollor / audited, not known zeros: {result.audited}; "
        f"bevisat tomma / proved empty: {result.known_zero})",
        f"  exakt framräknade / pinned exactly: {len(result.pinned)}",
        f"  intervall smalare än / interval narrower than {result.min_cell}: {len(result.narrow)}",
    ]
    if result.dropped_cross:
        lines.append(
            f"  delar lösta utan samband mellan marter / components solved without the "
            f"between-marts identities: {result.dropped_cross}"
        )
    for f in result.failed_components:
        lines.append(f"  FEL / ERROR {f['table']} {'/'.join(f['key'])}: {f['status']}")
    if result.narrow:
        lines.append("  sämsta exempel / worst examples:")
        for d in result.narrow[:examples]:
            lines.append(
                f"    {d['table']} {'/'.join(d['key'])} {d['column']}: [{d['lower']}, {d['upper']}]"
            )
    verdict = "GODKÄND / PASSED" if result.passed else "UNDERKÄND / FAILED"
    lines.append(f"  {verdict} ({result.seconds:.1f} s)")
    return "\n".join(lines)


def cmd_audit(args, settings: Settings) -> int:
    path = Path(args.file) if args.file else settings.published_db
    if not path.exists():
        print(f"mognad audit: filen finns inte / no such file: {path}", file=sys.stderr)
        return 2
    build_db = settings.build_db if settings.build_db.exists() else None
    progress = None if args.json else (lambda m: print(m, flush=True))
    result = audit(path, settings.min_cell, build_db=build_db, progress=progress)
    if args.json:
        print(json.dumps(result.as_dict(), ensure_ascii=False, indent=2, default=str))
    else:
        print(report(result), flush=True)
    return 0 if result.passed else 1


def register(sub) -> None:
    a = sub.add_parser(
        "audit", help="prove that no hidden count can be derived from the published numbers"
    )
    a.add_argument("file", nargs="?", help="published DuckDB file (default: the county file)")
    a.add_argument("--json", action="store_true", help="the result as JSON")
