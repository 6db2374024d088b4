"""Demo survey files: DiMiOS and DigComp waves, long or wide, in each municipality's style."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from mognad.contract.reference import codebook
from mognad.demo.common import (
    BadThing,
    Person,
    _gender,
    _h,
    _month_index,
    _rng,
    _slug,
    _tg,
    _u,
    _Writer,
)
from mognad.demo.design import (
    FAST_MUNICIPALITY,
    FLAT_MUNICIPALITY,
    INSTRUMENT_FALLBACK,
    SURVEY_STYLES,
    SURVEY_WINDOWS,
    WAVES,
    Profile,
)


# --- survey ----------------------------------------------------------------------------------
def _improvement(seed: int, code: str) -> Callable[[str, str], float]:
    """Points per year on the 0-100 scale, by (category, target group), clamped to 0..12."""
    if code == FLAT_MUNICIPALITY:
        rate = 0.0
    elif code == FAST_MUNICIPALITY:
        rate = 10.0
    else:
        u = _u(seed, "rate", code)
        rate = 0.0 if u < 0.06 else 1.5 + 6.5 * u
    tg_factor = {"chef": 1.3, "förtroendevald": 0.75, "medarbetare": 1.0}

    def imp(category: str, tg: str) -> float:
        cf = 0.6 + 0.8 * _u(seed, "cat", code, category)
        tf = tg_factor[tg] * (0.85 + 0.3 * _u(seed, "tg", code, tg))
        return max(0.0, min(12.0, rate * cf * tf))

    return imp


def _survey(
    w: _Writer,
    seed: int,
    code: str,
    name: str,
    people: list[Person],
    level: float,
    profile: Profile,
    bad: bool,
    sums: dict[int, list[float]],
) -> None:
    items_by_instr = {instr: list(codebook()[instr].values()) for instr in ("dimios", "digcomp")}
    imp = _improvement(seed, code)
    rr_base = 0.35 + 0.30 * _u(seed, "rr", code)
    slug = _slug(name)
    cat_off = {}
    for instr, items in items_by_instr.items():
        for it in items:
            cat_off[(instr, it.category)] = -6 + 12 * _u(seed, "catlevel", code, it.category)

    plan = [("dimios", wave) for wave in WAVES]
    plan.append(("digcomp", 2025))
    if code in ("2281", "2284") or _h(seed, "dc2026", code) % 2 == 0:
        plan.append(("digcomp", 2026))

    for instr, wave in plan:
        rng = _rng(seed, code, "survey", instr, wave)
        style_name = profile.survey[wave - WAVES[0]]
        style = SURVEY_STYLES[style_name]
        items = items_by_instr[instr]
        lo, hi = items[0].scale_min, items[0].scale_max
        start, stop = SURVEY_WINDOWS[wave]
        month = _month_index(start)
        wi = wave - WAVES[0]
        base_cols = list(style["cols"])
        if instr == "digcomp" and base_cols[5] is None:
            base_cols[5] = INSTRUMENT_FALLBACK[style_name]
        keep = [i for i, c in enumerate(base_cols) if c is not None]
        header = [base_cols[i] for i in keep] + [it.item_code for it in items]
        rows: list[list[object]] = []
        ids = rng.sample(range(100_000, 1_000_000), k=len(people))
        for p in people:
            if not p.active(month):
                continue
            rr = (
                rr_base
                + {"chef": 0.10, "förtroendevald": -0.08, "medarbetare": 0.0}[p.target_group]
            )
            if instr == "digcomp":
                rr *= 0.8
            if rng.random() >= max(0.30, min(0.70, rr)):
                continue
            day = start + timedelta(days=rng.randrange((stop - start).days + 1))
            ts = datetime(
                day.year,
                day.month,
                day.day,
                rng.randint(7, 16),
                rng.randrange(60),
                rng.randrange(60),
            )
            answers: list[object] = []
            mus: dict[str, float] = {}
            for it in items:
                if it.category not in mus:
                    mus[it.category] = (
                        p.base
                        + cat_off[(instr, it.category)]
                        + wi * imp(it.category, p.target_group)
                        + rng.gauss(0, 6)
                    )
                if rng.random() < 0.03:
                    answers.append(rng.choice(style["missing"]))
                    continue
                x = lo + (hi - lo) * (mus[it.category] + rng.gauss(0, 12)) / 100
                a = max(lo, min(hi, int(round(x))))
                answers.append(a if style["kind"] == "xlsx" else str(a))
                if instr == "dimios":
                    sums.setdefault(wave, []).append(a)
            rid = (
                f"{wave % 100:02d}{ids[len(rows)]}"
                if style_name != "en_utf8"
                else f"R-{ids[len(rows)]}"
            )
            gender = "" if rng.random() < 0.04 else p.gender
            dept = "" if rng.random() < 0.03 else p.department
            meta = [
                rid,
                ts.strftime(style["ts"]),
                _tg(p.target_group, style["tg"]),
                _gender(gender, style["gender"]),
                dept,
                instr,
            ]
            rows.append([meta[i] for i in keep] + answers)
        rows.sort(key=lambda r: r[1])  # exports come sorted by submission time
        bad_rows: list[tuple[int, str, str, str]] = []
        if bad and instr == "dimios" and wave == 2025 and len(rows) >= 10:
            # an answer 9 on the 1-6 scale
            i = len(rows) // 3
            col = header.index("F03")
            rows[i][col] = "9"
            bad_rows.append((i, "F03", "answer_out_of_range", "answer 9 on a 1-6 scale"))
            # a duplicate respondent id (the later row repeats an earlier row's id)
            j = 2 * len(rows) // 3
            rows[j][0] = rows[1][0]
            bad_rows.append((j, header[0], "duplicate_respondent_id", f"same id as row {1 + 2}"))
        ext = "xlsx" if style["kind"] == "xlsx" else "csv"
        fname = f"{instr}_{wave}_{slug}.{ext}"
        title = (
            style.get("title", "").format(wave=wave, name=f"{name} kommun")
            if style.get("title")
            else None
        )
        rel = w.table(code, "survey", fname, style, header, rows, title)
        for i, col, kind, detail in bad_rows:
            w.summary.bad.append(BadThing(code, "survey", rel, i + 2, col, kind, detail))
