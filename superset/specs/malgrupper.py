"""Dashboard: Målgrupper och jämställdhet."""

from __future__ import annotations

from asset_spec import (
    INSTRUMENT,
    TOTAL,
    Dashboard,
    bar,
    eq,
    is_true,
    neq,
    table,
)

D = Dashboard(
    0x48,
    "malgrupper",
    "Målgrupper och jämställdhet",
    intro=(
        "Förtroendevalda, chefer och medarbetare, och fördelningen per kön. Värden för små "
        "grupper visas inte, aldrig som noll: `..` = uppgift saknas eller för få svar."
    ),
    filters=[INSTRUMENT],
)
D.chart(
    0x41,
    "mognadsindex_kommun",
    "Mognadsindex per målgrupp och kommun, senaste mätomgången",
    "Övergripande index för förtroendevalda, chefer och medarbetare i kommunens senaste "
    "mätomgång. Dolda värden (uppgift saknas eller för få svar) saknar stapel.",
    "echarts_timeseries_bar",
    bar(
        "kommun",
        ["target_group"],
        "mognadsindex",
        [*TOTAL, neq("target_group", "alla"), is_true("senaste")],
        "Mognadsindex (0–100)",
        "Kommun",
    ),
    6,
    55,
)
D.chart(
    0x42,
    "mognad_kon",
    "Mognadsindex per kön och målgrupp, senaste mätomgången",
    "Övergripande index per kön och målgrupp i kommunernas senaste mätomgång (medel över de "
    "valda kommunerna). Dolda värden (uppgift saknas eller för få svar) saknar stapel.",
    "echarts_timeseries_bar",
    bar(
        "target_group",
        ["gender"],
        "mognadsindex",
        [*TOTAL, neq("gender", "alla"), is_true("senaste")],
        "Mognadsindex (0–100)",
        "Målgrupp",
    ),
    6,
    55,
)
D.chart(
    0x43,
    "mognad_kon",
    "Mognadsindex per kommun, målgrupp och kön",
    "'..' = uppgift saknas eller för få svar.",
    "table",
    table(
        ["kommun", "wave", "target_group", "gender", "mognadsindex_text", "svarande_text"],
        TOTAL,
        [("kommun", True), ("wave", True), ("target_group", True)],
    ),
    6,
    70,
)
D.chart(
    0x44,
    "utbildningstackning",
    "Utbildningstäckning per kön, senaste månaden",
    "Andel med minst en genomförd utbildning per kön och kommun. Dolda värden (uppgift "
    "saknas eller för få svar) saknar stapel.",
    "echarts_timeseries_bar",
    bar(
        "kommun",
        ["gender"],
        "tackning",
        [is_true("senaste"), eq("target_group", "alla"), neq("gender", "alla")],
        "Täckning (%)",
        "Kommun",
    ),
    6,
    70,
)
