"""Dashboard: Plan och genomförande.

The municipalities' training plans (reporting.utbildningsplan_*, over marts.fct_training_plan
and fct_training_plan_gender) against what was done. Every model keeps municipality_code, so
row-level security applies to it as to the others (mognad.stack.superset_access: RLS on every
dataset with that column).
"""

from __future__ import annotations

from asset_spec import GREEN, ONE_DECIMAL, RED, Dashboard, bar, highlight, native_filter, neq, table

GAP_HIGHLIGHT = [
    highlight("skillnad_pct_points", RED, ">", 10),
    highlight("skillnad_pct_points", RED, "<", -10),
]
AGAINST_TARGET = [
    highlight("mot_mal_pct_points", GREEN, ">=", 0),
    highlight("mot_mal_pct_points", RED, "<", 0),
]
# The county overview: all municipalities' plans, outside the municipality filter's scope.
PLAN_COUNTY_CHARTS = (0x89, 0x8A)
PLAN_KOMMUN = native_filter(
    "plan_kommun",
    "Kommun",
    "kommun",
    "utbildningsplan_steg",
    first=True,
    required=True,
    desc="Kommunens plan; gäller inte länets översikt",
)
PLAN_KOMMUN["scope"]["excluded"] = list(PLAN_COUNTY_CHARTS)

D = Dashboard(
    0x8F,
    "plan-och-genomforande",
    "Plan och genomförande",
    intro=(
        "**Kommunens utbildningsplan mot det som genomförts.** Varje steg: vilken målgrupp "
        "(och förvaltning) som ska gå vilka kurser till när, hur stor andel som gjort det "
        "(täckning), målet och status (`uppnått`, `pågår` till slutdatum, därefter `ej "
        "uppnått`). För steg som ska följa ett annat visas andelen som tog stegen i rätt "
        "ordning. Jämställdhet: täckning per kön, skillnader över 10 procentenheter markeras. "
        "Välj kommun i filterpanelen; länets översikt längst ned visar alla kommuner. `..` = "
        "uppgift saknas eller för få personer, aldrig noll."
    ),
    filters=[PLAN_KOMMUN],
)
D.chart(
    0x83,
    "utbildningsplan_steg",
    "Planens steg på tidslinjen",
    "Kommunens steg i ordning efter slutdatum: täckning mot mål, status (uppnått, pågår, ej "
    "uppnått) och andelen som gjorde föregående steg först. Grönt = målet nått, rött = under "
    "målet. '..' = uppgift saknas eller för få personer.",
    "table",
    {
        **table(
            [
                "kommun",
                "step_order",
                "step",
                "target_group",
                "department",
                "slutdatum",
                "population_text",
                "tackning_text",
                "mal_text",
                "mot_mal_pct_points",
                "status",
                "after_step",
                "ordning_text",
            ],
            [],
            [("kommun", True), ("step_order", True)],
            {"mot_mal_pct_points": ONE_DECIMAL},
        ),
        "conditional_formatting": AGAINST_TARGET,
    },
    12,
    60,
)
D.chart(
    0x84,
    "utbildningsplan_steg",
    "Täckning mot mål per steg",
    "Stapel = andel av stegets målgrupp som genomfört någon av stegets kurser senast "
    "slutdatum; mål = planens mål. Stegen står i planens ordning. Dolda värden saknar stapel.",
    "echarts_timeseries_bar",
    {
        **bar("steg_i_kommun", [], "plan_tackning", [], "Andel (%)", "Steg"),
        "metrics": ["plan_tackning", "plan_mal"],
    },
    7,
    60,
)
D.chart(
    0x85,
    "utbildningsplan_steg",
    "Ordningen: gjorde föregående steg först",
    "För steg som ska följa ett annat: andelen av stegets genomförare som gjort det tidigare "
    "steget först (eller samma dag).",
    "echarts_timeseries_bar",
    bar("steg_i_kommun", [], "plan_ordning", [neq("after_step", "")], "I rätt ordning (%)", "Steg"),
    5,
    60,
)
D.chart(
    0x86,
    "utbildningsplan_steg",
    "Per målgrupp och förvaltning",
    "Planens steg grupperade efter målgrupp och förvaltning. '..' = uppgift saknas eller för "
    "få personer.",
    "table",
    table(
        [
            "kommun",
            "target_group",
            "department",
            "step",
            "slutdatum",
            "tackning_text",
            "mal_text",
            "status",
        ],
        [],
        [("kommun", True), ("target_group", True), ("department", True), ("step_order", True)],
    ),
    6,
    55,
)
D.chart(
    0x87,
    "utbildningsplan_kon",
    "Täckning per kön och steg",
    "Jämställdhet: täckning för kvinnor, män och övriga per steg. Dolda värden (för få "
    "personer, eller för att skydda en annan dold cell) saknar stapel.",
    "echarts_timeseries_bar",
    bar(
        "steg_i_kommun",
        ["gender"],
        "plan_kon_tackning",
        [neq("gender", "alla")],
        "Täckning (%)",
        "Steg",
    ),
    6,
    55,
)
D.chart(
    0x88,
    "utbildningsplan_konsskillnad",
    "Skillnad mellan kvinnor och män per steg",
    "Täckning för kvinnor och män och skillnaden i procentenheter; skillnader över 10 "
    "procentenheter är rödmarkerade. '..' = uppgift saknas eller för få personer.",
    "table",
    {
        **table(
            [
                "kommun",
                "step",
                "target_group",
                "kvinnor_text",
                "man_text",
                "skillnad_pct_points",
                "skillnad_text",
                "markering",
            ],
            [],
            [("kommun", True), ("step_order", True)],
            {"skillnad_pct_points": ONE_DECIMAL},
        ),
        "conditional_formatting": GAP_HIGHLIGHT,
    },
    12,
    50,
)
D.chart(
    0x89,
    "utbildningsplan_steg",
    "Länet: kommunernas planer sida vid sida",
    "Varje kommuns steg med täckning per steg (stegets nummer i planen). Visar alla kommuner "
    "för länet; en kommun ser sin egen plan.",
    "echarts_timeseries_bar",
    bar("kommun", ["step_order"], "plan_tackning", [], "Täckning (%)", "Kommun"),
    12,
    60,
)
D.chart(
    0x8A,
    "utbildningsplan_steg",
    "Länet: alla kommuners steg",
    "Alla kommuners planer i en tabell: steg, slutdatum, täckning, mål och status. '..' = "
    "uppgift saknas eller för få personer.",
    "table",
    table(
        [
            "kommun",
            "step_order",
            "step",
            "target_group",
            "slutdatum",
            "tackning_text",
            "mal_text",
            "status",
            "ordning_text",
        ],  # fmt: skip
        [],
        [("kommun", True), ("step_order", True)],
    ),
    12,
    60,
)
