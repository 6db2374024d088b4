"""Demo HR snapshots: one file a month of employments in each municipality's style."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from mognad.contract.personnummer import build as build_pnr
from mognad.contract.personnummer import format_as
from mognad.demo.common import MONTHS, BadThing, Person, _gender, _month_end, _tg, _Writer
from mognad.demo.design import HR_STYLES, Profile


# --- hr --------------------------------------------------------------------------------------
def _fte(v: float | None, how: str) -> object:
    if v is None:
        return ""
    if how == "percent_comma":
        return f"{v * 100:g}".replace(".", ",")
    if how == "percent_number":
        return round(v * 100, 1)
    if how == "fraction_comma":
        return f"{v:g}".replace(".", ",")
    return f"{v:g}"


def _hr(
    w: _Writer,
    seed: int,
    code: str,
    name: str,
    people: list[Person],
    profile: Profile,
    bad: bool,
    hr_months: Sequence[tuple[int, int]],
) -> None:
    # the bad rows go to 2025-03, or to the middle snapshot when 2025-03 is not generated
    bad_month = (2025, 3) if (2025, 3) in hr_months else hr_months[len(hr_months) // 2]
    for y, m in hr_months:
        mi = MONTHS.index((y, m))
        style_name = profile.hr
        if profile.hr_switch and (y, m) >= profile.hr_switch[1]:
            style_name = profile.hr_switch[0]
        st = HR_STYLES[style_name]
        end = _month_end(y, m)
        period: object = {"month": f"{y:04d}-{m:02d}", "date": end.isoformat(), "excel_date": end}[
            st["period"]
        ]
        rows: list[list[object]] = []
        for p in people:
            if not p.active(mi):
                continue
            jobs = [(p.unit, p.aid, p.fte)]
            if p.second:
                jobs.append(p.second)
            for unit, aid, fte in jobs:
                row: list[object] = [
                    format_as(p.pnr, st["pnr"]),
                    period,
                    p.department,
                    unit,
                    _tg(p.target_group, st["tg"]),
                    _gender(p.gender, st["gender"]),
                    aid,
                    _fte(fte, st["fte"]),
                ]
                if style_name == "xlsx_dates":
                    row.append("Ja" if p.target_group == "chef" else "Nej")
                rows.append(row)
        rows.sort(key=lambda r: (r[2], r[3], r[0]))
        bad_rows: list[tuple[int, str, str, str]] = []
        if bad and (y, m) == bad_month and st["kind"] == "csv" and len(rows) >= 10:
            template = rows[len(rows) // 2]
            # a personnummer with a wrong check digit
            valid = build_pnr(date(1975, 5, 17), 238)
            wrong = valid[:-1] + str((int(valid[-1]) + 3) % 10)
            r1 = list(template)
            r1[0] = format_as(wrong, st["pnr"])
            # a consultant: valid number, a target group outside the codebook
            r2 = list(template)
            r2[0] = format_as(build_pnr(date(1981, 11, 2), 457), st["pnr"])
            r2[4] = "konsult"
            i1, i2 = len(rows) // 4, 3 * len(rows) // 4
            rows.insert(i1, r1)
            rows.insert(i2, r2)
            bad_rows.append((i1, st["cols"][0], "invalid_personnummer", "wrong Luhn check digit"))
            bad_rows.append((i2, st["cols"][4], "invalid_target_group", "target group 'konsult'"))
        ext = "xlsx" if st["kind"] == "xlsx" else "csv"
        title = (
            st["title"].format(name=f"{name} kommun") + f" {y:04d}-{m:02d}"
            if st.get("title")
            else None
        )
        rel = w.table(code, "hr", f"hr_{y:04d}-{m:02d}.{ext}", st, list(st["cols"]), rows, title)
        for i, col, kind, detail in bad_rows:
            w.summary.bad.append(BadThing(code, "hr", rel, i + 2, col, kind, detail))
