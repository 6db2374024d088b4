"""Dashboard: Digital mognad i länet."""

from __future__ import annotations

from asset_spec import (
    INSTRUMENT,
    TOTAL,
    Dashboard,
    bar,
    is_true,
    line,
    native_filter,
    table,
)

D = Dashboard(
    0x30,
    "digital-mognad",
    "Digital mognad i länet",
    intro=(
        "**Övergripande mognadsindex** (0–100) per kommun, den senaste mätomgången bredvid "
        "0-mätningen och länets genomsnitt. Välj instrument, målgrupp och kön i filterpanelen. "
        "`..` = uppgift saknas eller för få svar; en saknad stapel betyder detsamma, aldrig "
        "noll. Befolkning: Källa: Kolada, hämtas varje natt (`mognad pull`); tom tills den "
        "första hämtningen (demon hämtar inte).\n\n"
        "*Så räknas indexet:* varje svar blir 0–100, en persons kategoripoäng är medel av "
        "kategorins besvarade frågor (minst hälften), dimension och index är medel av dem, och "
        "kommunens index är medel över de svarande."
    ),
    filters=[
        INSTRUMENT,
        native_filter(
            "malgrupp",
            "Målgrupp",
            "target_group",
            "mognadsindex_kommun",
            "alla",
            True,
            desc="förtroendevald, chef, medarbetare eller alla",
        ),
        native_filter("kon", "Kön", "gender", "mognad_kon", desc="Gäller diagrammen per kön"),
    ],
)
D.chart(
    0x21,
    "mognadsindex_kommun",
    "Mognadsindex per kommun och mätomgång",
    "Övergripande mognadsindex (alla dimensioner och kategorier) per kommun, en stapel per "
    "mätomgång. Dolda värden (uppgift saknas eller för få svar) saknar stapel, aldrig noll.",
    "echarts_timeseries_bar",
    bar("kommun", ["wave"], "mognadsindex", TOTAL, "Mognadsindex (0–100)", "Kommun"),
    12,
    60,
)
D.chart(
    0x24,
    "mognad_forandring",
    "Senaste mätningen jämfört med 0-mätningen",
    "Övergripande index vid kommunens 0-mätning och i den senaste mätomgången, och "
    "förändringen i procentenheter. '..' = uppgift saknas eller för få svar.",
    "table",
    table(
        ["kommun", "baseline_wave", "nollmatning_text", "wave", "senaste_text", "forandring_text"],
        [*TOTAL, is_true("senaste")],
        [("kommun", True)],
    ),
    6,
    50,
)
D.chart(
    0x25,
    "mognad_forandring",
    "Förändring sedan 0-mätningen (procentenheter)",
    "Förändring i övergripande index från 0-mätningen till den senaste mätomgången. "
    "Dolda värden (uppgift saknas eller för få svar) saknar stapel.",
    "echarts_timeseries_bar",
    bar(
        "kommun",
        [],
        "forandring",
        [*TOTAL, is_true("senaste")],
        "Förändring (procentenheter)",
        "Kommun",
        bounds=None,
    ),
    6,
    50,
)
D.chart(
    0x22,
    "mognadsindex_kommun",
    "Mognadsindex och svarande per kommun",
    "Övergripande mognadsindex och antal svarande per kommun och mätomgång. "
    "'..' = uppgift saknas eller för få svar.",
    "table",
    table(
        ["kommun", "wave", "mognadsindex_text", "svarande_text"],
        TOTAL,
        [("kommun", True), ("wave", True)],
    ),
    5,
    70,
)
D.chart(
    0x23,
    "mognadsindex_kommun",
    "Mognadsindex över tid per kommun",
    "Övergripande mognadsindex per mätomgång, en linje per kommun.",
    "echarts_timeseries_line",
    line("wave", ["kommun"], "mognadsindex", TOTAL, "Mognadsindex (0–100)", "Mätomgång"),
    7,
    70,
)
D.chart(
    0x26,
    "mognad_lansnitt",
    "Länets genomsnitt per mätomgång",
    "Regionalt genomsnitt av det övergripande indexet (alla kommuner i länet).",
    "echarts_timeseries_line",
    line("wave", ["lan"], "lanssnitt", TOTAL, "Mognadsindex (0–100)", "Mätomgång"),
    6,
    50,
)
D.chart(
    0x27,
    "mognad_kon",
    "Mognadsindex per kön och kommun, senaste mätomgången",
    "Övergripande index per kön i kommunens senaste mätomgång. Dolda värden (uppgift "
    "saknas eller för få svar) saknar stapel.",
    "echarts_timeseries_bar",
    bar(
        "kommun",
        ["gender"],
        "mognadsindex",
        [*TOTAL, is_true("senaste")],
        "Mognadsindex (0–100)",
        "Kommun",
    ),
    6,
    50,
)
D.chart(
    0x28,
    "befolkning",
    "Invånare per kommun (Källa: Kolada)",
    "Folkmängd senaste året som sammanhang. Källa: Kolada, hämtas varje natt (`mognad pull`); "
    "tom tills den första hämtningen.",
    "table",
    table(
        ["kommun", "year", "population", "source"],
        [is_true("senaste")],
        [("kommun", True)],
        {"population": {"d3NumberFormat": ",d"}},
    ),
    12,
    40,
)
