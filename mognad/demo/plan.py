"""Demo training plans: steps of courses for a target group, for two municipalities."""

from __future__ import annotations

from datetime import date

from mognad.demo.common import _h, _month_end, _rng, _slug, _Writer
from mognad.demo.design import COURSES, DEPARTMENTS, Profile

# --- plan ----------------------------------------------------------------------------------
# Each municipality's training plan follows one of the programme's two models, with the
# course codes its training files really use (the activity IRI where e-learning arrives as
# xAPI). Due dates lie in the past, and one in the future (after the demo's "now"), so the
# dashboard shows every status. Plans use their own random stream: the other files keep
# their bytes.
PLAN_MODEL = {"2280": "chefsdag", "2282": "namnd_forst"}  # Härnösand, Kramfors


PLAN_HEADER_SV = ["Steg", "Målgrupp", "Förvaltning", "Kurskoder", "Startdatum",
                  "Klart senast", "Mål", "Efter steg"]  # fmt: skip


PLAN_HEADER_EN = ["step", "target_group", "department", "course_codes", "starts_on", "due_on",
                  "target_pct", "after_step"]  # fmt: skip


def _plan_steps(seed: int, code: str, model: str, course) -> list[list[object]]:
    rng = _rng(seed, code, "plan")
    shift = rng.choice((0, 1, 2))  # months later than the model's dates

    def due(y: int, m: int) -> date:
        y, m = (y + (m + shift - 1) // 12, (m + shift - 1) % 12 + 1)
        return _month_end(y, m)

    def target(base: int) -> int:
        return base + 5 * rng.randint(-1, 1)

    if model == "chefsdag":  # managers' day: a web module first, then a workshop
        steps = [
            [
                "1 Chefsdag: webbmodul",
                "chef",
                "",
                course("DF-GRUND"),
                date(2024, 2, 1),
                due(2024, 11),
                target(80),
                "",
            ],
            [
                "2 Chefsdag: workshop i små grupper",
                "chef",
                "",
                course("WS-LEDA"),
                date(2024, 3, 1),
                due(2025, 6),
                target(70),
                "1 Chefsdag: webbmodul",
            ],
            [
                "3 Informationssäkerhet för alla",
                "alla",
                "",
                course("DF-INFOSAK"),
                date(2024, 4, 1),
                due(2025, 12),
                target(50),
                "",
            ],
            [
                "4 Verktygsworkshop Socialförvaltningen",
                "medarbetare",
                "Socialförvaltningen",
                course("WS-VERKTYG"),
                date(2024, 5, 1),
                due(2026, 9),
                target(25),
                "3 Informationssäkerhet för alla",
            ],
            [
                "5 AI-introduktion för chefer",
                "chef",
                "",
                course("DF-AI"),
                date(2025, 3, 1),
                date(2027, 3, 31),
                target(60),
                "1 Chefsdag: webbmodul",
            ],
        ]
    else:  # the board first, then every department before its first meeting, then more
        board = "1 Kommunstyrelsen: genomgång"
        steps = [
            [
                board,
                "förtroendevald",
                "",
                course("DF-GRUND"),
                date(2024, 2, 1),
                due(2024, 9),
                target(75),
                "",
            ],
        ]
        interactive = f"{course('WS-VERKTYG')}; {course('DF-M365')}"
        for i, dept in enumerate(DEPARTMENTS):
            month = 2 + 3 * i  # each department's first meeting, a quarter apart
            steps.append(
                [f"2{'abcde'[i]} {dept}: interaktiv utbildning", "alla", dept, interactive,
                 date(2024, 9, 1), due(2025 + month // 12, month % 12 + 1), target(35), board]
            )  # fmt: skip
        steps.append(
            ["3 Fördjupning: AI i offentlig sektor", "alla", "", course("DF-AI"),
             date(2025, 3, 1), date(2027, 5, 31), target(40), board]
        )  # fmt: skip
    return steps


def _plan(w: _Writer, seed: int, code: str, name: str, profile: Profile) -> None:
    model = PLAN_MODEL.get(code) or ("chefsdag", "namnd_forst")[_h(seed, "plan-model", code) % 2]
    slug = _slug(name)
    formats = {c[0]: c[2] for c in COURSES}

    def course(ccode: str) -> str:
        if profile.xapi and formats[ccode] == "e-learning":
            return f"https://lms.{slug}.se/xapi/activities/{ccode}"
        return ccode

    rows = _plan_steps(seed, code, model, course)
    if code == "2282" or (code != "2280" and _h(seed, "plan-kind", code) % 2):
        style = dict(kind="xlsx", title=None)
        title = f"Utbildningsplan {name} – digital kompetens"
        w.table(code, "plan", f"utbildningsplan_{slug}.xlsx", style, PLAN_HEADER_SV, rows, title)
        return
    english = code not in ("2280",) and _h(seed, "plan-lang", code) % 2 == 1
    style = dict(
        kind="csv",
        encoding="utf-8" if english else "utf-8-sig",
        delimiter="," if english else ";",
        newline="\r\n",
    )
    text_rows = [
        [v.isoformat() if isinstance(v, date) else v for v in r[:6]] + [f"{r[6]:g}", r[7]]
        for r in rows
    ]
    header = PLAN_HEADER_EN if english else PLAN_HEADER_SV
    w.table(code, "plan", f"utbildningsplan_{slug}.csv", style, header, text_rows)
