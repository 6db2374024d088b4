"""Dashboard: Dataleveranser."""

from __future__ import annotations

from asset_spec import (
    Dashboard,
    agg_table,
    bar,
    table,
)

D = Dashboard(
    0x78,
    "dataleveranser",
    "Dataleveranser",
    intro=(
        "För länets datateam: senaste leverans per kommun och flöde, färskhet, filer som "
        "väntar i inkorgen (larm när en fil inte tas), filer i karantän med orsak och "
        "kvalitetskontrollernas utfall."
    ),
    filters=[],
)
D.chart(
    0x71,
    "dataleveranser",
    "Senaste leverans per kommun och flöde",
    "Senaste fil, status och antal filer och rader per kommun och flöde.",
    "table",
    table(
        [
            "kommun",
            "feed",
            "last_file",
            "last_status",
            "senast_mottagen",
            "days_since_last_delivery",
            "files_loaded",
            "files_duplicate",
            "files_quarantined",
            "rows_loaded",
            "rows_rejected",
        ],
        [],
        [("kommun", True), ("feed", True)],
    ),
    12,
    60,
)
D.chart(
    0x72,
    "leveranslogg",
    "Färskhet: dagar sedan senaste fil per kommun och flöde",
    "Dagar sedan den senast mottagna filen (alla statusar), ur leveransloggen.",
    "table",
    agg_table(["kommun", "feed"], ["senaste_fil", "dagar_sedan", "filer"], []),
    6,
    60,
)
D.chart(
    0x73,
    "leveranslogg",
    "Mottagna filer per kommun och status",
    "Antal mottagna filer: inlästa, dubbletter och filer i karantän.",
    "echarts_timeseries_bar",
    bar("kommun", ["status"], "filer", [], "Filer", "Kommun", bounds=None, stack=True, fmt=",d"),
    6,
    60,
)
D.chart(
    0x74,
    "karantan",
    "Filer i karantän med orsak",
    "Filer som inte lästes in och varför.",
    "table",
    table(
        ["kommun", "feed", "file", "mottagen", "reason_code", "reason"], [], [("mottagen", False)]
    ),
    12,
    50,
)
D.chart(
    0xA1,
    "vantande_filer",
    "Filer som väntar i inkorgen",
    "Filer som låg kvar i en inkorg när bygget kördes. 'LARM: tas inte' = filen har legat "
    "längre än MOGNAD_STALE_INBOX_MINUTES (30 min) utan att läsas in: kontrollera att "
    "inläsningen körs. Tom tabell = inga filer väntar.",
    "table",
    table(
        ["kommun", "feed", "file", "senast_andrad", "waiting_minutes", "lage"],
        [],
        [("waiting_minutes", False)],
    ),
    12,
    40,
)
D.chart(
    0x75,
    "kvalitetskontroller",
    "Kvalitetskontroller per inläst fil",
    "Utfall av kvalitetskontrollerna (Great Expectations) för varje inläsning.",
    "table",
    table(
        ["kommun", "feed", "file", "kontrollerad", "resultat", "misslyckade_kontroller"],
        [],
        [("kontrollerad", False)],
    ),
    12,
    60,
)
