"""Dashboard: Svarsfrekvens."""

from __future__ import annotations

from asset_spec import (
    Dashboard,
    bar,
    eq,
    neq,
    table,
)

D = Dashboard(
    0x68,
    "svarsfrekvens",
    "Svarsfrekvens",
    intro=(
        "Andel av de anställda som svarat på enkäten per kommun, mätomgång och målgrupp. "
        "`..` = uppgift saknas eller för få svar."
    ),
    filters=[],
)
D.chart(
    0x61,
    "svarsfrekvens",
    "Svarsfrekvens per kommun och mätomgång",
    "Andel av de anställda (alla målgrupper) som svarat. Dolda värden (uppgift saknas eller "
    "för få svar) saknar stapel.",
    "echarts_timeseries_bar",
    bar(
        "kommun",
        ["wave"],
        "svarsfrekvens",
        [eq("target_group", "alla")],
        "Svarsfrekvens (%)",
        "Kommun",
    ),
    12,
    55,
)
D.chart(
    0x62,
    "svarsfrekvens",
    "Svarsfrekvens per målgrupp och mätomgång",
    "Svarsfrekvens per målgrupp i de valda kommunerna.",
    "echarts_timeseries_bar",
    bar(
        "target_group",
        ["wave"],
        "svarsfrekvens",
        [neq("target_group", "alla")],
        "Svarsfrekvens (%)",
        "Målgrupp",
    ),
    6,
    60,
)
D.chart(
    0x63,
    "svarsfrekvens",
    "Svarsfrekvens per kommun, mätomgång och målgrupp",
    "'..' = uppgift saknas eller för få svar.",
    "table",
    table(
        ["kommun", "wave", "target_group", "anstallda_text", "svarande_text", "svarsfrekvens_text"],
        [],
        [("kommun", True), ("wave", True), ("target_group", True)],
    ),
    6,
    60,
)
