"""Dashboard: Kompetensinsatser."""

from __future__ import annotations

from asset_spec import (
    Dashboard,
    bar,
    eq,
    is_true,
    line,
    neq,
    table,
)

D = Dashboard(
    0x58,
    "kompetensinsatser",
    "Kompetensinsatser",
    intro=(
        "Utbildningstäckning per månad (kumulativt sedan programmets start) per målgrupp "
        "och kön, genomförda kurser per format, och täckningen bredvid förändringen i "
        "mognadsindex. `..` = uppgift saknas eller för få svar."
    ),
    filters=[],
)
D.chart(
    0x51,
    "utbildningstackning",
    "Utbildningstäckning över tid per målgrupp",
    "Andel anställda med minst en genomförd utbildning (kumulativt), alla kön.",
    "echarts_timeseries_line",
    line("period", ["target_group"], "tackning", [eq("gender", "alla")], "Täckning (%)", "Månad"),
    6,
    55,
)
D.chart(
    0x52,
    "utbildningstackning",
    "Utbildningstäckning över tid per kön",
    "Andel anställda med minst en genomförd utbildning (kumulativt), alla målgrupper.",
    "echarts_timeseries_line",
    line("period", ["gender"], "tackning", [eq("target_group", "alla")], "Täckning (%)", "Månad"),
    6,
    55,
)
D.chart(
    0x53,
    "genomforda_utbildningar",
    "Genomförda utbildningar per kurs och format",
    "Antal personer som genomfört respektive kurs, per format. Dolda värden (uppgift "
    "saknas eller för få svar) räknas inte med.",
    "echarts_timeseries_bar",
    {
        **bar(
            "course_name",
            ["format"],
            "genomfort",
            [
                eq("target_group", "alla"),
                eq("gender", "alla"),
                neq("format", "alla"),
                neq("course_code", "alla"),
            ],
            "Personer",
            "Kurs",
            bounds=None,
            stack=True,
            fmt=",d",
        ),
        "orientation": "horizontal",
        "x_axis_title_margin": 15,
        "y_axis_title_margin": 30,
    },
    6,
    60,
)
D.chart(
    0x54,
    "utbildning_och_mognad",
    "Utbildningstäckning och förändring i mognad",
    "Utbildningstäckning senaste månaden bredvid förändringen i index sedan 0-mätningen. "
    "'..' = uppgift saknas eller för få svar.",
    "table",
    table(
        [
            "kommun",
            "instrument",
            "period",
            "tackning_text",
            "baseline_wave",
            "wave",
            "forandring_text",
        ],
        [],
        [("kommun", True), ("instrument", True)],
    ),
    6,
    60,
)
D.chart(
    0x55,
    "utbildningstackning",
    "Utbildningstäckning per kommun och målgrupp, senaste månaden",
    "'..' = uppgift saknas eller för få svar.",
    "table",
    table(
        ["kommun", "period", "target_group", "anstallda_text", "utbildade_text", "tackning_text"],
        [is_true("senaste"), eq("gender", "alla")],
        [("kommun", True), ("target_group", True)],
    ),
    12,
    60,
)
