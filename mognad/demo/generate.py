"""Deterministic demo data: what municipalities would drop into the inbox.

``generate(inbox)`` writes ``inbox/<kommunkod>/<feed>/<file>`` for the survey, training and hr
feeds, in the variety the contract promises to accept (cp1252 and UTF-8 with or without BOM,
``;`` ``,`` and tab, decimal commas, XLSX with title rows, Swedish and English headers, every
common personnummer form), plus a few deliberately bad rows and exactly one unreadable file,
all listed in the returned :class:`DemoSummary`.

Same ``seed`` and ``scale`` give byte-identical files. Every random draw comes from a
``random.Random`` seeded by a SHA-256 of (seed, municipality, purpose), never the global RNG
nor Python's salted ``hash()``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

from mognad.contract.reference import VASTERNORRLAND, municipalities
from mognad.demo.common import MONTHS, DemoSummary, _people, _profile, _rng, _u, _Writer, population
from mognad.demo.design import BAD_HOST, MIN_STAFF, PROFILES, STAFF_SHARE
from mognad.demo.hr import _hr
from mognad.demo.plan import _plan
from mognad.demo.survey import _survey
from mognad.demo.training import _training


# --- entry point -----------------------------------------------------------------------------
def staff_size(code: str, scale: float) -> int:
    return max(MIN_STAFF, int(round(population(code) * STAFF_SHARE * scale)))


def generate(
    inbox: Path,
    *,
    seed: int = 2024,
    scale: float = 1.0,
    municipalities: Sequence[str] = VASTERNORRLAND,
    progress: Callable[[str], None] | None = None,
    hr_months: Sequence[tuple[int, int]] | None = None,
) -> DemoSummary:
    """Write demo inbox files for each municipality and return what was written.

    ``hr_months`` limits the monthly HR snapshots (default: every month 2024-01..2026-11),
    useful for large benchmarks. The deliberate bad rows and the single unreadable file go to
    Sundsvall (2281), or to the first municipality when Sundsvall is not generated.
    """
    t0 = time.perf_counter()
    inbox = Path(inbox)
    codes = list(dict.fromkeys(municipalities))
    names = _names()
    summary = DemoSummary(inbox=inbox, seed=seed, scale=scale)
    w = _Writer(inbox, summary)
    host = BAD_HOST if BAD_HOST in codes else codes[0]
    months = list(hr_months) if hr_months is not None else MONTHS
    sums: dict[int, list[float]] = {}
    for code in codes:
        name = names.get(code, code)
        profile = PROFILES[BAD_HOST] if code == host else _profile(code)
        level = 38 + 14 * _u(seed, "level", code)
        n = staff_size(code, scale)
        people = _people(_rng(seed, code, "people"), code, n, level)
        summary.staff[code] = n
        _survey(w, seed, code, name, people, level, profile, code == host, sums)
        _hr(w, seed, code, name, people, profile, code == host, months)
        _training(w, seed, code, name, people, profile, code == host, code == host)
        _plan(w, seed, code, name, profile)
        if progress:
            progress(f"{code} {name}: {n} staff")
    summary.survey_mean_answer = {wave: sum(v) / len(v) for wave, v in sorted(sums.items()) if v}
    summary.seconds = time.perf_counter() - t0
    return summary


def _names() -> dict[str, str]:
    try:
        return {c: m.name for c, m in municipalities().items()}
    except OSError:
        return {}


if __name__ == "__main__":  # python -m mognad.demo.generate <inbox> [scale]
    import sys

    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("demo_inbox")
    s = generate(out, scale=float(sys.argv[2]) if len(sys.argv) > 2 else 1.0, progress=print)
    print(f"{len(s.files)} files, rows {s.rows}, {s.seconds:.1f} s")
    for b in s.bad:
        print(f"  bad: {b.file} row {b.row} {b.column}: {b.kind} ({b.detail})")
