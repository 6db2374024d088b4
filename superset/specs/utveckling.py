"""Dashboard: Utveckling sedan 0-mätningen."""

from __future__ import annotations

from asset_spec import (
    DIMIOS_CATEGORIES,
    INSTRUMENT,
    Dashboard,
    eq,
    is_true,
    line,
    native_filter,
    neq,
    radar_metric,
    table,
)

D = Dashboard(
    0x38,
    "utveckling",
    "Utveckling sedan 0-mätningen",
    intro=(
        "Varje kommun över mätomgångarna per dimension och kategori. Välj kommun och "
        "instrument i filterpanelen. Styrka/svaghet: kategorier där kommunen ligger klart över "
        "eller under länet. `..` = uppgift saknas eller för få svar."
    ),
    filters=[
        native_filter(
            "kommun", "Kommun", "kommun", "mognadsindex_kommun", first=True, required=True
        ),
        INSTRUMENT,
    ],
)
D.chart(
    0x31,
    "mognadsindex_kommun",
    "DiMiOS-profil per kategori och mätomgång",
    "Mognadsindex per DiMiOS-kategori (alla målgrupper), en yta per mätomgång, för kommunen "
    "som är vald i filterpanelen.",
    "radar",
    {
        "groupby": ["wave"],
        "metrics": [radar_metric(c) for c in DIMIOS_CATEGORIES],
        "adhoc_filters": [eq("instrument", "dimios"), eq("target_group", "alla")],
        "row_limit": 100,
        "color_scheme": "supersetColors",
        "show_legend": True,
        "legendType": "scroll",
        "legendOrientation": "top",
        "show_labels": False,
        "label_type": "value",
        "number_format": ",.1f",
        "date_format": "smart_date",
        "is_circle": False,
        "column_config": {c: {"radarMetricMaxValue": 100} for c in DIMIOS_CATEGORIES},
        "extra_form_data": {},
    },
    6,
    60,
)
D.chart(
    0x32,
    "mognadsindex_kommun",
    "Mognadsindex per dimension över mätomgångar",
    "Index per dimension (alla kategorier) för vald kommun och instrument.",
    "echarts_timeseries_line",
    line(
        "wave",
        ["dimension"],
        "mognadsindex",
        [neq("dimension", "alla"), eq("category", "alla"), eq("target_group", "alla")],
        "Mognadsindex (0–100)",
        "Mätomgång",
    ),
    6,
    60,
)
D.chart(
    0x33,
    "kategoriprofil",
    "Styrkor och svagheter jämfört med länet",
    "Kategorier där kommunen ligger klart över (styrka) eller under (svaghet) länets index i "
    "senaste mätomgången. '..' = uppgift saknas eller för få svar.",
    "table",
    table(
        [
            "kommun",
            "wave",
            "dimension",
            "category",
            "profil",
            "mognadsindex_text",
            "region_score_pct",
            "skillnad_text",
        ],
        [neq("profil", "–")],
        [("kommun", True), ("category", True)],
        {"region_score_pct": {"d3NumberFormat": ",.1f"}},
    ),
    12,
    60,
)
D.chart(
    0x34,
    "mognad_forandring",
    "Förändring per dimension och kategori",
    "Index vid 0-mätningen och senaste mätomgången per dimension och kategori, alla målgrupper.",
    "table",
    table(
        [
            "kommun",
            "instrument",
            "dimension",
            "category",
            "baseline_wave",
            "nollmatning_text",
            "wave",
            "senaste_text",
            "forandring_text",
        ],
        [is_true("senaste"), eq("target_group", "alla")],
        [("kommun", True), ("dimension", True), ("category", True)],
    ),
    12,
    70,
)
