"""Write the Superset asset bundle (datasets, charts, dashboards) as unzipped export YAML.

The YAML in ``superset/assets/`` is what gets imported and reviewed; this script is how it
is written, so six dashboards stay consistent (UUIDs, layouts, Swedish labels, the
`..` convention for hidden values, as Kolada shows them).
Run: ``.venv/pipeline/bin/python superset/generate_assets.py``.
Edits made in the Superset UI can be exported and copied over the generated files, but the
next generation overwrites them: change this script instead.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent / "assets"
DB_UUID = "3f0c6a52-7d4e-4b8a-9c1d-6d2b8a1e0001"
# A hidden value reads the same whatever hid it (too few persons, or protecting another
# cell): a reason would tell an attacker which cells are the small ones.
HIDDEN = ".."


def uid(n: int) -> str:
    return f"3f0c6a52-7d4e-4b8a-9c1d-6d2b8a1e{n:04x}"


def num_text(expr: str, suppressed: str, decimals: int = 1) -> str:
    """A number as Swedish text (rounded for display), or '..' when hidden or missing."""
    fmt = f"%.{decimals}f" if decimals else "%d"
    return (
        f"CASE WHEN {suppressed} OR {expr} IS NULL THEN '{HIDDEN}' "
        f"ELSE replace(printf('{fmt}', {expr}), '.', ',') END"
    )


# --- datasets -------------------------------------------------------------------------------
# (name, uuid, description, sql, columns [(name, type, label)], metrics [(name, expr, label, fmt)])
DATASETS: dict[str, dict] = {}


def dataset(key, n, name, description, sql, columns, metrics=()):
    DATASETS[key] = dict(
        uuid=uid(n),
        name=name,
        description=description,
        sql=sql.strip(),
        columns=columns,
        metrics=metrics,
    )


KOMMUN_JOIN = "JOIN marts.dim_municipality AS m ON m.municipality_code = f.municipality_code"
AVG_SCORE = ("mognadsindex", "AVG(score_pct)", "Mognadsindex", ",.1f")
SUM_RESP = ("svarande", "SUM(respondents)", "Svarande", ",d")

dataset(
    "maturity",
    0x10,
    "mognadsindex_kommun",
    "Mognadsindex per kommun, mätomgång, instrument, målgrupp, dimension och kategori "
    "(marts.fct_maturity). Dolda celler är tomma i talkolumnerna och '..' i "
    "textkolumnerna (uppgift saknas eller för få svar), aldrig noll.",
    f"""
SELECT
  f.municipality_code,
  m.municipality_name AS kommun,
  m.county_name AS lan,
  f.wave,
  f.wave = l.latest AS senaste,
  f.instrument,
  f.target_group,
  f.dimension,
  f.category,
  CASE WHEN f.suppressed THEN NULL ELSE f.respondents END AS respondents,
  CASE WHEN f.suppressed THEN NULL ELSE f.score_pct END AS score_pct,
  {num_text("f.score_pct", "f.suppressed")} AS mognadsindex_text,
  {num_text("f.respondents", "f.suppressed", 0)} AS svarande_text,
  f.suppressed
FROM marts.fct_maturity AS f
{KOMMUN_JOIN}
JOIN (
  SELECT municipality_code, instrument, max(wave) AS latest
  FROM marts.fct_maturity
  GROUP BY ALL
) AS l ON l.municipality_code = f.municipality_code AND l.instrument = f.instrument
""",
    [
        ("municipality_code", "VARCHAR", "Kommunkod"),
        ("kommun", "VARCHAR", "Kommun"),
        ("lan", "VARCHAR", "Län"),
        ("wave", "INTEGER", "Mätomgång"),
        ("senaste", "BOOLEAN", "Senaste mätomgång"),
        ("instrument", "VARCHAR", "Instrument"),
        ("target_group", "VARCHAR", "Målgrupp"),
        ("dimension", "VARCHAR", "Dimension"),
        ("category", "VARCHAR", "Kategori"),
        ("respondents", "BIGINT", "Svarande"),
        ("score_pct", "DOUBLE", "Mognadsindex (%)"),
        ("mognadsindex_text", "VARCHAR", "Mognadsindex"),
        ("svarande_text", "VARCHAR", "Svarande"),
        ("suppressed", "BOOLEAN", "Undertryckt"),
    ],
    [AVG_SCORE, SUM_RESP],
)

dataset(
    "progress",
    0x11,
    "mognad_forandring",
    "Förändring sedan 0-mätningen (marts.fct_maturity_progress); senaste = kommunens senaste "
    "mätomgång för instrumentet. '..' = uppgift saknas eller för få svar.",
    f"""
SELECT
  f.municipality_code,
  m.municipality_name AS kommun,
  f.instrument,
  f.target_group,
  f.dimension,
  f.category,
  f.baseline_wave,
  f.wave,
  f.wave = l.latest AS senaste,
  CASE WHEN f.suppressed THEN NULL ELSE f.baseline_score_pct END AS baseline_score_pct,
  CASE WHEN f.suppressed THEN NULL ELSE f.score_pct END AS score_pct,
  CASE WHEN f.suppressed THEN NULL ELSE f.change_pct_points END AS change_pct_points,
  {num_text("f.baseline_score_pct", "f.suppressed")} AS nollmatning_text,
  {num_text("f.score_pct", "f.suppressed")} AS senaste_text,
  {num_text("f.change_pct_points", "f.suppressed")} AS forandring_text,
  f.suppressed
FROM marts.fct_maturity_progress AS f
{KOMMUN_JOIN}
JOIN (
  SELECT municipality_code, instrument, max(wave) AS latest
  FROM marts.fct_maturity_progress
  GROUP BY ALL
) AS l ON l.municipality_code = f.municipality_code AND l.instrument = f.instrument
""",
    [
        ("municipality_code", "VARCHAR", "Kommunkod"),
        ("kommun", "VARCHAR", "Kommun"),
        ("instrument", "VARCHAR", "Instrument"),
        ("target_group", "VARCHAR", "Målgrupp"),
        ("dimension", "VARCHAR", "Dimension"),
        ("category", "VARCHAR", "Kategori"),
        ("baseline_wave", "INTEGER", "0-mätning (år)"),
        ("wave", "INTEGER", "Mätomgång"),
        ("senaste", "BOOLEAN", "Senaste mätomgång"),
        ("baseline_score_pct", "DOUBLE", "Index vid 0-mätningen"),
        ("score_pct", "DOUBLE", "Index senaste"),
        ("change_pct_points", "DOUBLE", "Förändring (procentenheter)"),
        ("nollmatning_text", "VARCHAR", "Index vid 0-mätningen"),
        ("senaste_text", "VARCHAR", "Index i mätomgången"),
        ("forandring_text", "VARCHAR", "Förändring (p.e.)"),
        ("suppressed", "BOOLEAN", "Undertryckt"),
    ],
    [
        ("forandring", "AVG(change_pct_points)", "Förändring (procentenheter)", ",.1f"),
        AVG_SCORE,
    ],
)

dataset(
    "region",
    0x12,
    "mognad_lansnitt",
    "Länets genomsnitt (marts.fct_maturity_region). Dolda värden (uppgift saknas eller för "
    "få svar) är tomma.",
    """
SELECT
  f.county_code,
  f.county_name AS lan,
  f.wave,
  f.instrument,
  f.target_group,
  f.dimension,
  f.category,
  f.municipalities,
  CASE WHEN f.suppressed THEN NULL ELSE f.respondents END AS respondents,
  CASE WHEN f.suppressed THEN NULL ELSE f.score_pct END AS score_pct,
  f.suppressed
FROM marts.fct_maturity_region AS f
""",
    [
        ("county_code", "VARCHAR", "Länskod"),
        ("lan", "VARCHAR", "Län"),
        ("wave", "INTEGER", "Mätomgång"),
        ("instrument", "VARCHAR", "Instrument"),
        ("target_group", "VARCHAR", "Målgrupp"),
        ("dimension", "VARCHAR", "Dimension"),
        ("category", "VARCHAR", "Kategori"),
        ("municipalities", "BIGINT", "Kommuner"),
        ("respondents", "BIGINT", "Svarande"),
        ("score_pct", "DOUBLE", "Länssnitt (%)"),
        ("suppressed", "BOOLEAN", "Undertryckt"),
    ],
    [("lanssnitt", "AVG(score_pct)", "Länets genomsnitt", ",.1f"), SUM_RESP],
)

dataset(
    "gender",
    0x13,
    "mognad_kon",
    "Mognadsindex per kön (marts.fct_maturity_gender). '..' = uppgift saknas eller för få svar.",
    f"""
SELECT
  f.municipality_code,
  m.municipality_name AS kommun,
  f.wave,
  f.wave = l.latest AS senaste,
  f.instrument,
  f.target_group,
  f.gender,
  f.dimension,
  f.category,
  CASE WHEN f.suppressed THEN NULL ELSE f.respondents END AS respondents,
  CASE WHEN f.suppressed THEN NULL ELSE f.score_pct END AS score_pct,
  {num_text("f.score_pct", "f.suppressed")} AS mognadsindex_text,
  {num_text("f.respondents", "f.suppressed", 0)} AS svarande_text,
  f.suppressed
FROM marts.fct_maturity_gender AS f
{KOMMUN_JOIN}
JOIN (
  SELECT municipality_code, instrument, max(wave) AS latest
  FROM marts.fct_maturity_gender
  GROUP BY ALL
) AS l ON l.municipality_code = f.municipality_code AND l.instrument = f.instrument
""",
    [
        ("municipality_code", "VARCHAR", "Kommunkod"),
        ("kommun", "VARCHAR", "Kommun"),
        ("wave", "INTEGER", "Mätomgång"),
        ("senaste", "BOOLEAN", "Senaste mätomgång"),
        ("instrument", "VARCHAR", "Instrument"),
        ("target_group", "VARCHAR", "Målgrupp"),
        ("gender", "VARCHAR", "Kön"),
        ("dimension", "VARCHAR", "Dimension"),
        ("category", "VARCHAR", "Kategori"),
        ("respondents", "BIGINT", "Svarande"),
        ("score_pct", "DOUBLE", "Mognadsindex (%)"),
        ("mognadsindex_text", "VARCHAR", "Mognadsindex"),
        ("svarande_text", "VARCHAR", "Svarande"),
        ("suppressed", "BOOLEAN", "Undertryckt"),
    ],
    [AVG_SCORE, SUM_RESP],
)

dataset(
    "profile",
    0x14,
    "kategoriprofil",
    "Styrkor och svagheter per kategori jämfört med länet (marts.fct_category_profile).",
    f"""
SELECT
  f.municipality_code,
  m.municipality_name AS kommun,
  f.wave,
  f.instrument,
  f.dimension,
  f.category,
  CASE WHEN f.suppressed THEN NULL ELSE f.score_pct END AS score_pct,
  f.region_score_pct,
  CASE WHEN f.suppressed THEN NULL ELSE f.diff_pct_points END AS diff_pct_points,
  coalesce(f.profile, '–') AS profil,
  {num_text("f.score_pct", "f.suppressed")} AS mognadsindex_text,
  {num_text("f.diff_pct_points", "f.suppressed")} AS skillnad_text,
  f.suppressed
FROM marts.fct_category_profile AS f
{KOMMUN_JOIN}
""",
    [
        ("municipality_code", "VARCHAR", "Kommunkod"),
        ("kommun", "VARCHAR", "Kommun"),
        ("wave", "INTEGER", "Mätomgång"),
        ("instrument", "VARCHAR", "Instrument"),
        ("dimension", "VARCHAR", "Dimension"),
        ("category", "VARCHAR", "Kategori"),
        ("score_pct", "DOUBLE", "Kommunens index"),
        ("region_score_pct", "DOUBLE", "Länets index"),
        ("diff_pct_points", "DOUBLE", "Skillnad (p.e.)"),
        ("profil", "VARCHAR", "Styrka/svaghet"),
        ("mognadsindex_text", "VARCHAR", "Kommunens index"),
        ("skillnad_text", "VARCHAR", "Skillnad mot länet (p.e.)"),
        ("suppressed", "BOOLEAN", "Undertryckt"),
    ],
    [AVG_SCORE, ("lanets_index", "AVG(region_score_pct)", "Länets index", ",.1f")],
)

dataset(
    "coverage",
    0x15,
    "utbildningstackning",
    "Andel anställda med minst en genomförd utbildning, kumulativt (marts.fct_training_coverage). "
    "'..' = uppgift saknas eller för få svar.",
    f"""
SELECT
  f.municipality_code,
  m.municipality_name AS kommun,
  f.period,
  f.period = l.latest AS senaste,
  f.target_group,
  f.gender,
  CASE WHEN f.suppressed THEN NULL ELSE f.headcount END AS headcount,
  CASE WHEN f.suppressed THEN NULL ELSE f.trained_persons END AS trained_persons,
  CASE WHEN f.suppressed THEN NULL ELSE f.coverage_pct END AS coverage_pct,
  {num_text("f.coverage_pct", "f.suppressed")} AS tackning_text,
  {num_text("f.headcount", "f.suppressed", 0)} AS anstallda_text,
  {num_text("f.trained_persons", "f.suppressed", 0)} AS utbildade_text,
  f.suppressed
FROM marts.fct_training_coverage AS f
{KOMMUN_JOIN}
JOIN (
  SELECT municipality_code, max(period) AS latest
  FROM marts.fct_training_coverage
  GROUP BY ALL
) AS l ON l.municipality_code = f.municipality_code
""",
    [
        ("municipality_code", "VARCHAR", "Kommunkod"),
        ("kommun", "VARCHAR", "Kommun"),
        ("period", "VARCHAR", "Månad"),
        ("senaste", "BOOLEAN", "Senaste månaden"),
        ("target_group", "VARCHAR", "Målgrupp"),
        ("gender", "VARCHAR", "Kön"),
        ("headcount", "BIGINT", "Anställda"),
        ("trained_persons", "BIGINT", "Utbildade"),
        ("coverage_pct", "DOUBLE", "Täckning (%)"),
        ("tackning_text", "VARCHAR", "Täckning (%)"),
        ("anstallda_text", "VARCHAR", "Anställda"),
        ("utbildade_text", "VARCHAR", "Utbildade"),
        ("suppressed", "BOOLEAN", "Undertryckt"),
    ],
    [
        (
            "tackning",
            "100.0 * SUM(trained_persons) / NULLIF(SUM(headcount), 0)",
            "Utbildningstäckning (%)",
            ",.1f",
        ),
    ],
)

dataset(
    "completions",
    0x16,
    "genomforda_utbildningar",
    "Genomförda utbildningar per kurs, format, målgrupp och kön (marts.fct_training_completions).",
    f"""
SELECT
  f.municipality_code,
  m.municipality_name AS kommun,
  f.period,
  f.course_code,
  f.course_name,
  f.format,
  f.target_group,
  f.gender,
  CASE WHEN f.suppressed THEN NULL ELSE f.persons_completed END AS persons_completed,
  {num_text("f.persons_completed", "f.suppressed", 0)} AS genomfort_text,
  f.suppressed
FROM marts.fct_training_completions AS f
{KOMMUN_JOIN}
""",
    [
        ("municipality_code", "VARCHAR", "Kommunkod"),
        ("kommun", "VARCHAR", "Kommun"),
        ("period", "VARCHAR", "Månad"),
        ("course_code", "VARCHAR", "Kurskod"),
        ("course_name", "VARCHAR", "Kurs"),
        ("format", "VARCHAR", "Format"),
        ("target_group", "VARCHAR", "Målgrupp"),
        ("gender", "VARCHAR", "Kön"),
        ("persons_completed", "BIGINT", "Personer som genomfört"),
        ("genomfort_text", "VARCHAR", "Personer som genomfört"),
        ("suppressed", "BOOLEAN", "Undertryckt"),
    ],
    [("genomfort", "SUM(persons_completed)", "Personer som genomfört", ",d")],
)

dataset(
    "response",
    0x17,
    "svarsfrekvens",
    "Svarsfrekvens per kommun, mätomgång och målgrupp (marts.fct_response_rate).",
    f"""
SELECT
  f.municipality_code,
  m.municipality_name AS kommun,
  f.wave,
  f.target_group,
  CASE WHEN f.suppressed THEN NULL ELSE f.headcount END AS headcount,
  CASE WHEN f.suppressed THEN NULL ELSE f.respondents END AS respondents,
  CASE WHEN f.suppressed THEN NULL ELSE f.response_rate_pct END AS response_rate_pct,
  {num_text("f.response_rate_pct", "f.suppressed")} AS svarsfrekvens_text,
  {num_text("f.headcount", "f.suppressed", 0)} AS anstallda_text,
  {num_text("f.respondents", "f.suppressed", 0)} AS svarande_text,
  f.suppressed
FROM marts.fct_response_rate AS f
{KOMMUN_JOIN}
""",
    [
        ("municipality_code", "VARCHAR", "Kommunkod"),
        ("kommun", "VARCHAR", "Kommun"),
        ("wave", "INTEGER", "Mätomgång"),
        ("target_group", "VARCHAR", "Målgrupp"),
        ("headcount", "BIGINT", "Anställda"),
        ("respondents", "BIGINT", "Svarande"),
        ("response_rate_pct", "DOUBLE", "Svarsfrekvens (%)"),
        ("svarsfrekvens_text", "VARCHAR", "Svarsfrekvens (%)"),
        ("anstallda_text", "VARCHAR", "Anställda"),
        ("svarande_text", "VARCHAR", "Svarande"),
        ("suppressed", "BOOLEAN", "Undertryckt"),
    ],
    [
        (
            "svarsfrekvens",
            "100.0 * SUM(respondents) / NULLIF(SUM(headcount), 0)",
            "Svarsfrekvens (%)",
            ",.1f",
        ),
    ],
)

dataset(
    "delivery",
    0x18,
    "dataleveranser",
    "Senaste leverans per kommun och flöde (marts.fct_data_delivery).",
    """
SELECT
  f.municipality_code,
  m.municipality_name AS kommun,
  f.feed,
  f.last_file,
  f.last_status,
  strftime(f.last_received_at, '%Y-%m-%d %H:%M') AS senast_mottagen,
  f.days_since_last_delivery,
  f.files_loaded,
  f.files_duplicate,
  f.files_quarantined,
  f.rows_loaded,
  f.rows_rejected
FROM marts.fct_data_delivery AS f
JOIN marts.dim_municipality AS m ON m.municipality_code = f.municipality_code
""",
    [
        ("municipality_code", "VARCHAR", "Kommunkod"),
        ("kommun", "VARCHAR", "Kommun"),
        ("feed", "VARCHAR", "Flöde"),
        ("last_file", "VARCHAR", "Senaste fil"),
        ("last_status", "VARCHAR", "Status"),
        ("senast_mottagen", "VARCHAR", "Mottagen"),
        ("days_since_last_delivery", "BIGINT", "Dagar sedan leverans"),
        ("files_loaded", "BIGINT", "Inlästa filer"),
        ("files_duplicate", "BIGINT", "Dubbletter"),
        ("files_quarantined", "BIGINT", "I karantän"),
        ("rows_loaded", "BIGINT", "Inlästa rader"),
        ("rows_rejected", "BIGINT", "Avvisade rader"),
    ],
    [("dagar_sedan", "MAX(days_since_last_delivery)", "Dagar sedan senaste leverans", ",d")],
)

dataset(
    "quarantine",
    0x19,
    "karantan",
    "Filer i karantän med orsak (marts.fct_quarantine).",
    """
SELECT
  f.municipality_code,
  m.municipality_name AS kommun,
  f.feed,
  f.file,
  strftime(f.received_at, '%Y-%m-%d %H:%M') AS mottagen,
  f.reason_code,
  f.reason
FROM marts.fct_quarantine AS f
JOIN marts.dim_municipality AS m ON m.municipality_code = f.municipality_code
""",
    [
        ("municipality_code", "VARCHAR", "Kommunkod"),
        ("kommun", "VARCHAR", "Kommun"),
        ("feed", "VARCHAR", "Flöde"),
        ("file", "VARCHAR", "Fil"),
        ("mottagen", "VARCHAR", "Mottagen"),
        ("reason_code", "VARCHAR", "Orsakskod"),
        ("reason", "VARCHAR", "Orsak"),
    ],
    [("filer", "COUNT(*)", "Filer", ",d")],
)

dataset(
    "inbox",
    0xA0,
    "vantande_filer",
    "Filer som väntar i kommunernas inkorgar när bygget kördes (marts.fct_inbox_waiting); "
    "gamla = har legat längre än MOGNAD_STALE_INBOX_MINUTES utan att tas.",
    """
SELECT
  f.municipality_code,
  m.municipality_name AS kommun,
  f.feed,
  f.file,
  strftime(f.modified_at, '%Y-%m-%d %H:%M') AS senast_andrad,
  f.waiting_minutes,
  CASE WHEN f.stale THEN 'LARM: tas inte' WHEN f.settled THEN 'väntar' ELSE 'skrivs' END
    AS lage
FROM marts.fct_inbox_waiting AS f
JOIN marts.dim_municipality AS m ON m.municipality_code = f.municipality_code
""",
    [
        ("municipality_code", "VARCHAR", "Kommunkod"),
        ("kommun", "VARCHAR", "Kommun"),
        ("feed", "VARCHAR", "Flöde"),
        ("file", "VARCHAR", "Fil"),
        ("senast_andrad", "VARCHAR", "Senast ändrad"),
        ("waiting_minutes", "DOUBLE", "Väntat (min)"),
        ("lage", "VARCHAR", "Läge"),
    ],
    [("filer", "COUNT(*)", "Filer", ",d")],
)

dataset(
    "checks",
    0x1A,
    "kvalitetskontroller",
    "Resultat av kvalitetskontrollerna per inläst fil (marts.fct_batch_checks).",
    """
SELECT
  f.municipality_code,
  m.municipality_name AS kommun,
  f.feed,
  f.load_id,
  f.file,
  strftime(f.checked_at, '%Y-%m-%d %H:%M') AS kontrollerad,
  CASE WHEN f.success THEN 'godkänd' ELSE 'underkänd' END AS resultat,
  CAST(f.failed_expectations AS VARCHAR) AS misslyckade_kontroller
FROM marts.fct_batch_checks AS f
JOIN marts.dim_municipality AS m ON m.municipality_code = f.municipality_code
""",
    [
        ("municipality_code", "VARCHAR", "Kommunkod"),
        ("kommun", "VARCHAR", "Kommun"),
        ("feed", "VARCHAR", "Flöde"),
        ("load_id", "VARCHAR", "Inläsning"),
        ("file", "VARCHAR", "Fil"),
        ("kontrollerad", "VARCHAR", "Kontrollerad"),
        ("resultat", "VARCHAR", "Resultat"),
        ("misslyckade_kontroller", "VARCHAR", "Misslyckade kontroller"),
    ],
    [("kontroller", "COUNT(*)", "Kontroller", ",d")],
)

dataset(
    "population",
    0x1B,
    "befolkning",
    "Invånare per kommun och år. Källa: Kolada (marts.dim_population); tom tills Kolada "
    "har hämtats.",
    """
SELECT
  f.municipality_code,
  m.municipality_name AS kommun,
  f.year,
  f.year = (SELECT max(year) FROM marts.dim_population) AS senaste,
  f.population,
  f.source
FROM marts.dim_population AS f
JOIN marts.dim_municipality AS m ON m.municipality_code = f.municipality_code
""",
    [
        ("municipality_code", "VARCHAR", "Kommunkod"),
        ("kommun", "VARCHAR", "Kommun"),
        ("year", "INTEGER", "År"),
        ("senaste", "BOOLEAN", "Senaste året"),
        ("population", "BIGINT", "Invånare"),
        ("source", "VARCHAR", "Källa"),
    ],
    [("invanare", "SUM(population)", "Invånare", ",d")],
)

dataset(
    "training_vs_maturity",
    0x1C,
    "utbildning_och_mognad",
    "Utbildningstäckning (senaste månaden, alla) bredvid förändringen i mognadsindex sedan "
    "0-mätningen (senaste mätomgången, alla) per kommun och instrument.",
    f"""
WITH cov AS (
  SELECT t.municipality_code, t.period, t.coverage_pct, t.suppressed,
         row_number() OVER (PARTITION BY t.municipality_code ORDER BY t.period DESC) AS rn
  FROM marts.fct_training_coverage AS t
  WHERE t.target_group = 'alla' AND t.gender = 'alla'
), prog AS (
  SELECT g.municipality_code, g.instrument, g.baseline_wave, g.wave, g.change_pct_points,
         g.suppressed,
         row_number() OVER (PARTITION BY g.municipality_code, g.instrument ORDER BY g.wave DESC)
           AS rn
  FROM marts.fct_maturity_progress AS g
  WHERE g.target_group = 'alla' AND g.dimension = 'alla' AND g.category = 'alla'
)
SELECT
  p.municipality_code,
  m.municipality_name AS kommun,
  p.instrument,
  p.baseline_wave,
  p.wave,
  c.period,
  CASE WHEN c.suppressed THEN NULL ELSE c.coverage_pct END AS coverage_pct,
  CASE WHEN p.suppressed THEN NULL ELSE p.change_pct_points END AS change_pct_points,
  {num_text("c.coverage_pct", "coalesce(c.suppressed, false)")} AS tackning_text,
  {num_text("p.change_pct_points", "p.suppressed")} AS forandring_text
FROM prog AS p
JOIN marts.dim_municipality AS m ON m.municipality_code = p.municipality_code
LEFT JOIN cov AS c ON c.municipality_code = p.municipality_code AND c.rn = 1
WHERE p.rn = 1
""",
    [
        ("municipality_code", "VARCHAR", "Kommunkod"),
        ("kommun", "VARCHAR", "Kommun"),
        ("instrument", "VARCHAR", "Instrument"),
        ("baseline_wave", "INTEGER", "0-mätning"),
        ("wave", "INTEGER", "Senaste mätomgång"),
        ("period", "VARCHAR", "Månad (täckning)"),
        ("coverage_pct", "DOUBLE", "Utbildningstäckning (%)"),
        ("change_pct_points", "DOUBLE", "Förändring i index (p.e.)"),
        ("tackning_text", "VARCHAR", "Utbildningstäckning (%)"),
        ("forandring_text", "VARCHAR", "Förändring i index (p.e.)"),
    ],
    [
        ("tackning", "AVG(coverage_pct)", "Utbildningstäckning (%)", ",.1f"),
        ("forandring", "AVG(change_pct_points)", "Förändring (p.e.)", ",.1f"),
    ],
)

dataset(
    "ingest",
    0x1D,
    "leveranslogg",
    "Varje mottagen fil (marts.ingest_log): inläst, dubblett eller karantän.",
    """
SELECT
  f.municipality_code,
  m.municipality_name AS kommun,
  f.feed,
  f.file,
  f.status,
  f.rows_read,
  f.rows_loaded,
  f.rows_rejected,
  f.received_at,
  f.reason
FROM marts.ingest_log AS f
JOIN marts.dim_municipality AS m ON m.municipality_code = f.municipality_code
""",
    [
        ("municipality_code", "VARCHAR", "Kommunkod"),
        ("kommun", "VARCHAR", "Kommun"),
        ("feed", "VARCHAR", "Flöde"),
        ("file", "VARCHAR", "Fil"),
        ("status", "VARCHAR", "Status"),
        ("rows_read", "BIGINT", "Lästa rader"),
        ("rows_loaded", "BIGINT", "Inlästa rader"),
        ("rows_rejected", "BIGINT", "Avvisade rader"),
        ("received_at", "TIMESTAMP", "Mottagen"),
        ("reason", "VARCHAR", "Orsak"),
    ],
    [
        ("filer", "COUNT(*)", "Filer", ",d"),
        ("senaste_fil", "strftime(MAX(received_at), '%Y-%m-%d %H:%M')", "Senaste fil", None),
        (
            "dagar_sedan",
            "date_diff('day', MAX(received_at), current_timestamp::TIMESTAMP)",
            "Dagar sedan senaste fil",
            ",d",
        ),
    ],
)


# --- charts ---------------------------------------------------------------------------------
CHARTS: list[dict] = []


def eq(col, val):
    return {
        "clause": "WHERE",
        "comparator": val,
        "expressionType": "SIMPLE",
        "operator": "==",
        "subject": col,
    }


def is_true(col):
    return {
        "clause": "WHERE",
        "comparator": None,
        "expressionType": "SIMPLE",
        "operator": "IS TRUE",
        "subject": col,
    }


def neq(col, val):
    return {
        "clause": "WHERE",
        "comparator": val,
        "expressionType": "SIMPLE",
        "operator": "!=",
        "subject": col,
    }


TOTAL = [eq("dimension", "alla"), eq("category", "alla")]


def chart(n, dash, ds, title, desc, viz, params, width=6, height=50):
    CHARTS.append(
        dict(
            uuid=uid(n),
            dashboard=dash,
            dataset=ds,
            title=title,
            description=desc,
            viz=viz,
            params=params,
            width=width,
            height=height,
        )
    )


def bar(x, groupby, metric, filters, y_title, x_title, bounds=(0, 100), stack=False, fmt=",.1f"):
    p = {
        "x_axis": x,
        "xAxisForceCategorical": True,
        "x_axis_sort_asc": True,
        "groupby": groupby,
        "metrics": [metric],
        "adhoc_filters": filters,
        "row_limit": 10000,
        "truncate_metric": True,
        "order_desc": True,
        "orientation": "vertical",
        "color_scheme": "supersetColors",
        "show_legend": True,
        "legendType": "scroll",
        "legendOrientation": "top",
        "show_value": False,
        "rich_tooltip": True,
        "y_axis_format": fmt,
        "y_axis_title": y_title,
        "y_axis_title_position": "Left",
        "y_axis_title_margin": 50,
        "sort_series_type": "name",
        "sort_series_ascending": True,
        "x_axis_title": x_title,
        "x_axis_title_margin": 30,
        "extra_form_data": {},
    }
    if bounds:
        p["y_axis_bounds"] = list(bounds)
    if stack:
        p["stack"] = "Stack"
    return p


def line(x, groupby, metric, filters, y_title, x_title, bounds=(0, 100)):
    p = bar(x, groupby, metric, filters, y_title, x_title, bounds)
    for k in ("orientation", "show_value"):
        p.pop(k)
    p.update({"seriesType": "line", "markerEnabled": True, "markerSize": 6})
    return p


def table(columns, filters, order=(), formats=None, row_limit=1000):
    return {
        "query_mode": "raw",
        "all_columns": list(columns),
        "order_by_cols": [f'["{c}", {"true" if asc else "false"}]' for c, asc in order],
        "adhoc_filters": filters,
        "row_limit": row_limit,
        "server_pagination": False,
        "include_search": True,
        "show_cell_bars": False,
        "allow_rearrange_columns": False,
        "color_pn": False,
        "column_config": formats or {},
        "table_timestamp_format": "smart_date",
        "extra_form_data": {},
    }


def agg_table(groupby, metrics, filters, row_limit=1000):
    return {
        "query_mode": "aggregate",
        "groupby": list(groupby),
        "metrics": list(metrics),
        "all_columns": [],
        "adhoc_filters": filters,
        "row_limit": row_limit,
        "server_pagination": False,
        "include_search": True,
        "show_cell_bars": False,
        "allow_rearrange_columns": False,
        "color_pn": False,
        "order_desc": True,
        "table_timestamp_format": "smart_date",
        "extra_form_data": {},
    }


def radar_metric(category: str) -> dict:
    return {
        "expressionType": "SQL",
        "sqlExpression": f"AVG(CASE WHEN category = '{category}' THEN score_pct END)",
        "label": category,
        "hasCustomLabel": True,
        "optionName": "metric_" + "".join(ch for ch in category if ch.isalnum()),
    }


DIMIOS_CATEGORIES = (
    "styrning",
    "it-miljö",
    "informationshantering",
    "effektivitet",
    "innovation",
    "balansering",
)

# 1. Digital mognad i länet -------------------------------------------------------------------
D1 = "digital-mognad"
chart(
    0x21,
    D1,
    "maturity",
    "Mognadsindex per kommun och mätomgång",
    "Övergripande mognadsindex (alla dimensioner och kategorier) per kommun, en stapel per "
    "mätomgång. Dolda värden (uppgift saknas eller för få svar) saknar stapel, aldrig noll.",
    "echarts_timeseries_bar",
    bar("kommun", ["wave"], "mognadsindex", TOTAL, "Mognadsindex (0–100)", "Kommun"),
    12,
    60,
)
chart(
    0x24,
    D1,
    "progress",
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
chart(
    0x25,
    D1,
    "progress",
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
chart(
    0x22,
    D1,
    "maturity",
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
chart(
    0x23,
    D1,
    "maturity",
    "Mognadsindex över tid per kommun",
    "Övergripande mognadsindex per mätomgång, en linje per kommun.",
    "echarts_timeseries_line",
    line("wave", ["kommun"], "mognadsindex", TOTAL, "Mognadsindex (0–100)", "Mätomgång"),
    7,
    70,
)
chart(
    0x26,
    D1,
    "region",
    "Länets genomsnitt per mätomgång",
    "Regionalt genomsnitt av det övergripande indexet (alla kommuner i länet).",
    "echarts_timeseries_line",
    line("wave", ["lan"], "lanssnitt", TOTAL, "Mognadsindex (0–100)", "Mätomgång"),
    6,
    50,
)
chart(
    0x27,
    D1,
    "gender",
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
chart(
    0x28,
    D1,
    "population",
    "Invånare per kommun (Källa: Kolada)",
    "Folkmängd senaste året som sammanhang. Källa: Kolada.",
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

# 2. Utveckling sedan 0-mätningen -------------------------------------------------------------
D2 = "utveckling"
chart(
    0x31,
    D2,
    "maturity",
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
chart(
    0x32,
    D2,
    "maturity",
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
chart(
    0x33,
    D2,
    "profile",
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
chart(
    0x34,
    D2,
    "progress",
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

# 3. Målgrupper och jämställdhet -------------------------------------------------------------
D3 = "malgrupper"
chart(
    0x41,
    D3,
    "maturity",
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
chart(
    0x42,
    D3,
    "gender",
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
chart(
    0x43,
    D3,
    "gender",
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
chart(
    0x44,
    D3,
    "coverage",
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

# 4. Kompetensinsatser -----------------------------------------------------------------------
D4 = "kompetensinsatser"
chart(
    0x51,
    D4,
    "coverage",
    "Utbildningstäckning över tid per målgrupp",
    "Andel anställda med minst en genomförd utbildning (kumulativt), alla kön.",
    "echarts_timeseries_line",
    line("period", ["target_group"], "tackning", [eq("gender", "alla")], "Täckning (%)", "Månad"),
    6,
    55,
)
chart(
    0x52,
    D4,
    "coverage",
    "Utbildningstäckning över tid per kön",
    "Andel anställda med minst en genomförd utbildning (kumulativt), alla målgrupper.",
    "echarts_timeseries_line",
    line("period", ["gender"], "tackning", [eq("target_group", "alla")], "Täckning (%)", "Månad"),
    6,
    55,
)
chart(
    0x53,
    D4,
    "completions",
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
chart(
    0x54,
    D4,
    "training_vs_maturity",
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
chart(
    0x55,
    D4,
    "coverage",
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

# 5. Svarsfrekvens ---------------------------------------------------------------------------
D5 = "svarsfrekvens"
chart(
    0x61,
    D5,
    "response",
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
chart(
    0x62,
    D5,
    "response",
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
chart(
    0x63,
    D5,
    "response",
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

# 6. Dataleveranser --------------------------------------------------------------------------
D6 = "dataleveranser"
chart(
    0x71,
    D6,
    "delivery",
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
chart(
    0x72,
    D6,
    "ingest",
    "Färskhet: dagar sedan senaste fil per kommun och flöde",
    "Dagar sedan den senast mottagna filen (alla statusar), ur leveransloggen.",
    "table",
    agg_table(["kommun", "feed"], ["senaste_fil", "dagar_sedan", "filer"], []),
    6,
    60,
)
chart(
    0x73,
    D6,
    "ingest",
    "Mottagna filer per kommun och status",
    "Antal mottagna filer: inlästa, dubbletter och filer i karantän.",
    "echarts_timeseries_bar",
    bar("kommun", ["status"], "filer", [], "Filer", "Kommun", bounds=None, stack=True, fmt=",d"),
    6,
    60,
)
chart(
    0x74,
    D6,
    "quarantine",
    "Filer i karantän med orsak",
    "Filer som inte lästes in och varför.",
    "table",
    table(
        ["kommun", "feed", "file", "mottagen", "reason_code", "reason"], [], [("mottagen", False)]
    ),
    12,
    50,
)
chart(
    0xA1,
    D6,
    "inbox",
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
chart(
    0x75,
    D6,
    "checks",
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


# --- dashboards -----------------------------------------------------------------------------
def native_filter(fid, name, column, ds, default=None, required=False, first=False, desc=""):
    f = {
        "id": f"NATIVE_FILTER-{fid}",
        "name": name,
        "description": desc,
        "type": "NATIVE_FILTER",
        "filterType": "filter_select",
        "targets": [{"column": {"name": column}, "datasetUuid": DATASETS[ds]["uuid"]}],
        "controlValues": {
            "enableEmptyFilter": required,
            "defaultToFirstItem": first,
            "multiSelect": not first,
            "searchAllOptions": False,
            "inverseSelection": False,
            "sortAscending": True,
        },
        "defaultDataMask": {"extraFormData": {}, "filterState": {}, "ownState": {}},
        "cascadeParentIds": [],
        "scope": {"excluded": [], "rootPath": ["ROOT_ID"]},
    }
    if default is not None:
        f["defaultDataMask"] = {
            "extraFormData": {"filters": [{"col": column, "op": "IN", "val": [default]}]},
            "filterState": {"label": default, "value": [default]},
            "ownState": {},
        }
    return f


INSTRUMENT = native_filter(
    "instrument",
    "Instrument",
    "instrument",
    "maturity",
    "dimios",
    True,
    desc="Enkätinstrument (dimios eller digcomp)",
)
DASHBOARDS = [
    dict(
        n=0x30,
        slug=D1,
        title="Digital mognad i länet",
        intro="**Övergripande mognadsindex** (0–100) per kommun, den senaste mätomgången bredvid "
        "0-mätningen och länets genomsnitt. Välj instrument, målgrupp och kön i filterpanelen. "
        "`..` = uppgift saknas eller för få svar; en saknad stapel betyder detsamma, aldrig "
        "noll. Befolkning: Källa: Kolada.\n\n"
        "*Så räknas indexet:* varje svar blir 0–100, en persons kategoripoäng är medel av "
        "kategorins besvarade frågor (minst hälften), dimension och index är medel av dem, och "
        "kommunens index är medel över de svarande.",
        filters=[
            INSTRUMENT,
            native_filter(
                "malgrupp",
                "Målgrupp",
                "target_group",
                "maturity",
                "alla",
                True,
                desc="förtroendevald, chef, medarbetare eller alla",
            ),
            native_filter("kon", "Kön", "gender", "gender", desc="Gäller diagrammen per kön"),
        ],
    ),
    dict(
        n=0x38,
        slug=D2,
        title="Utveckling sedan 0-mätningen",
        intro="Varje kommun över mätomgångarna per dimension och kategori. Välj kommun och "
        "instrument i filterpanelen. Styrka/svaghet: kategorier där kommunen ligger klart över "
        "eller under länet. `..` = uppgift saknas eller för få svar.",
        filters=[
            native_filter("kommun", "Kommun", "kommun", "maturity", first=True, required=True),
            INSTRUMENT,
        ],
    ),
    dict(
        n=0x48,
        slug=D3,
        title="Målgrupper och jämställdhet",
        intro="Förtroendevalda, chefer och medarbetare, och fördelningen per kön. Värden för små "
        "grupper visas inte, aldrig som noll: `..` = uppgift saknas eller för få svar.",
        filters=[INSTRUMENT],
    ),
    dict(
        n=0x58,
        slug=D4,
        title="Kompetensinsatser",
        intro="Utbildningstäckning per månad (kumulativt sedan programmets start) per målgrupp "
        "och kön, genomförda kurser per format, och täckningen bredvid förändringen i "
        "mognadsindex. `..` = uppgift saknas eller för få svar.",
        filters=[],
    ),
    dict(
        n=0x68,
        slug=D5,
        title="Svarsfrekvens",
        intro="Andel av de anställda som svarat på enkäten per kommun, mätomgång och målgrupp. "
        "`..` = uppgift saknas eller för få svar.",
        filters=[],
    ),
    dict(
        n=0x78,
        slug=D6,
        title="Dataleveranser",
        intro="För länets datateam: senaste leverans per kommun och flöde, färskhet, filer som "
        "väntar i inkorgen (larm när en fil inte tas), filer i karantän med orsak och "
        "kvalitetskontrollernas utfall.",
        filters=[],
    ),
]


# 7. Plan och genomförande ------------------------------------------------------------------
# The municipalities' training plans (marts.fct_training_plan, fct_training_plan_gender)
# against what was done. Every dataset keeps municipality_code, so row-level security applies
# to it as to the others (mognad.stack.superset_local: RLS on every table with that column).
D7 = "plan-och-genomforande"
PLAN_STATUS = "CASE WHEN f.suppressed THEN '..' ELSE f.status END"
dataset(
    "plan",
    0x80,
    "utbildningsplan_steg",
    "Kommunernas utbildningsplaner steg för steg (marts.fct_training_plan): population, "
    "genomförda senast slutdatum, täckning mot mål, status och andelen som tog föregående steg "
    "först. '..' = uppgift saknas eller för få personer.",
    f"""
SELECT
  f.municipality_code,
  m.municipality_name AS kommun,
  f.step_order,
  f.step,
  m.municipality_name || ': ' || f.step AS steg_i_kommun,
  f.target_group,
  coalesce(f.department, 'hela kommunen') AS department,
  f.course_codes,
  f.starts_on,
  f.due_on,
  strftime(f.due_on, '%Y-%m-%d') AS slutdatum,
  f.target_pct,
  CASE WHEN f.suppressed THEN NULL ELSE f.headcount END AS headcount,
  CASE WHEN f.suppressed THEN NULL ELSE f.completed_persons END AS completed_persons,
  CASE WHEN f.suppressed THEN NULL ELSE f.coverage_pct END AS coverage_pct,
  CASE WHEN f.suppressed THEN NULL ELSE f.coverage_pct - f.target_pct END AS mot_mal_pct_points,
  {PLAN_STATUS} AS status,
  coalesce(f.after_step, '') AS after_step,
  CASE WHEN f.in_order_suppressed THEN NULL ELSE f.in_order_pct END AS in_order_pct,
  {num_text("f.coverage_pct", "f.suppressed")} AS tackning_text,
  {num_text("f.target_pct", "false")} AS mal_text,
  {num_text("f.headcount", "f.suppressed", 0)} AS population_text,
  CASE WHEN f.after_step IS NULL THEN ''
       ELSE {num_text("f.in_order_pct", "f.in_order_suppressed")} END AS ordning_text,
  f.suppressed
FROM marts.fct_training_plan AS f
{KOMMUN_JOIN}
""",
    [
        ("municipality_code", "VARCHAR", "Kommunkod"),
        ("kommun", "VARCHAR", "Kommun"),
        ("step_order", "INTEGER", "Nr"),
        ("step", "VARCHAR", "Steg"),
        ("steg_i_kommun", "VARCHAR", "Kommun: steg"),
        ("target_group", "VARCHAR", "Målgrupp"),
        ("department", "VARCHAR", "Förvaltning"),
        ("course_codes", "VARCHAR", "Kurser"),
        ("starts_on", "DATE", "Start"),
        ("due_on", "DATE", "Klart senast"),
        ("slutdatum", "VARCHAR", "Klart senast"),
        ("target_pct", "DOUBLE", "Mål (%)"),
        ("headcount", "BIGINT", "Population"),
        ("completed_persons", "BIGINT", "Genomfört"),
        ("coverage_pct", "DOUBLE", "Täckning (%)"),
        ("mot_mal_pct_points", "DOUBLE", "Mot målet (p.e.)"),
        ("status", "VARCHAR", "Status"),
        ("after_step", "VARCHAR", "Efter steg"),
        ("in_order_pct", "DOUBLE", "I rätt ordning (%)"),
        ("tackning_text", "VARCHAR", "Täckning (%)"),
        ("mal_text", "VARCHAR", "Mål (%)"),
        ("population_text", "VARCHAR", "Population"),
        ("ordning_text", "VARCHAR", "I rätt ordning (%)"),
        ("suppressed", "BOOLEAN", "Undertryckt"),
    ],
    [
        ("plan_tackning", "AVG(coverage_pct)", "Täckning (%)", ",.1f"),
        ("plan_mal", "AVG(target_pct)", "Mål (%)", ",.1f"),
        ("plan_ordning", "AVG(in_order_pct)", "I rätt ordning (%)", ",.1f"),
        ("plan_steg", "COUNT(*)", "Steg", ",d"),
    ],
)
dataset(
    "plan_gender",
    0x81,
    "utbildningsplan_kon",
    "Täckning per kön och steg i kommunernas utbildningsplaner "
    "(marts.fct_training_plan_gender). '..' = uppgift saknas eller för få personer.",
    f"""
SELECT
  f.municipality_code,
  m.municipality_name AS kommun,
  p.step_order,
  f.step,
  m.municipality_name || ': ' || f.step AS steg_i_kommun,
  f.gender,
  f.target_group,
  f.due_on,
  CASE WHEN f.suppressed THEN NULL ELSE f.coverage_pct END AS coverage_pct,
  {num_text("f.coverage_pct", "f.suppressed")} AS tackning_text,
  f.suppressed
FROM marts.fct_training_plan_gender AS f
{KOMMUN_JOIN}
JOIN marts.fct_training_plan AS p
  ON p.municipality_code = f.municipality_code AND p.step = f.step
""",
    [
        ("municipality_code", "VARCHAR", "Kommunkod"),
        ("kommun", "VARCHAR", "Kommun"),
        ("step_order", "INTEGER", "Nr"),
        ("step", "VARCHAR", "Steg"),
        ("steg_i_kommun", "VARCHAR", "Kommun: steg"),
        ("gender", "VARCHAR", "Kön"),
        ("target_group", "VARCHAR", "Målgrupp"),
        ("due_on", "DATE", "Klart senast"),
        ("coverage_pct", "DOUBLE", "Täckning (%)"),
        ("tackning_text", "VARCHAR", "Täckning (%)"),
        ("suppressed", "BOOLEAN", "Undertryckt"),
    ],
    [("plan_kon_tackning", "AVG(coverage_pct)", "Täckning (%)", ",.1f")],
)
dataset(
    "plan_gap",
    0x82,
    "utbildningsplan_konsskillnad",
    "Skillnaden i täckning mellan kvinnor och män per steg (procentenheter, kvinnor minus män); "
    "tom när någon av dem är dold. Skillnader över 10 procentenheter markeras.",
    f"""
WITH g AS (
  SELECT
    municipality_code,
    step,
    max(CASE WHEN gender = 'kvinna' AND NOT suppressed THEN coverage_pct END) AS kvinnor,
    max(CASE WHEN gender = 'man' AND NOT suppressed THEN coverage_pct END) AS man,
    bool_or(gender = 'kvinna' AND suppressed) OR NOT bool_or(gender = 'kvinna') AS kvinnor_dold,
    bool_or(gender = 'man' AND suppressed) OR NOT bool_or(gender = 'man') AS man_dold
  FROM marts.fct_training_plan_gender
  GROUP BY municipality_code, step
)
SELECT
  g.municipality_code,
  m.municipality_name AS kommun,
  p.step_order,
  g.step,
  p.target_group,
  coalesce(p.department, 'hela kommunen') AS department,
  g.kvinnor AS kvinnor_pct,
  g.man AS man_pct,
  g.kvinnor - g.man AS skillnad_pct_points,
  {num_text("g.kvinnor", "g.kvinnor_dold")} AS kvinnor_text,
  {num_text("g.man", "g.man_dold")} AS man_text,
  {num_text("g.kvinnor - g.man", "g.kvinnor_dold OR g.man_dold")} AS skillnad_text,
  CASE WHEN abs(g.kvinnor - g.man) > 10 THEN 'över 10 p.e.' ELSE '' END AS markering
FROM g
JOIN marts.dim_municipality AS m ON m.municipality_code = g.municipality_code
JOIN marts.fct_training_plan AS p
  ON p.municipality_code = g.municipality_code AND p.step = g.step
""",
    [
        ("municipality_code", "VARCHAR", "Kommunkod"),
        ("kommun", "VARCHAR", "Kommun"),
        ("step_order", "INTEGER", "Nr"),
        ("step", "VARCHAR", "Steg"),
        ("target_group", "VARCHAR", "Målgrupp"),
        ("department", "VARCHAR", "Förvaltning"),
        ("kvinnor_pct", "DOUBLE", "Kvinnor (%)"),
        ("man_pct", "DOUBLE", "Män (%)"),
        ("skillnad_pct_points", "DOUBLE", "Skillnad (p.e.)"),
        ("kvinnor_text", "VARCHAR", "Kvinnor (%)"),
        ("man_text", "VARCHAR", "Män (%)"),
        ("skillnad_text", "VARCHAR", "Skillnad kvinnor − män (p.e.)"),
        ("markering", "VARCHAR", "Markering"),
    ],
)


def highlight(column: str, colour: str, operator: str, value: float) -> dict:
    return {"column": column, "colorScheme": colour, "operator": operator, "targetValue": value}


RED, GREEN = "#EFA1AA", "#ACE1C4"  # Superset's error.light1 and success.light1
GAP_HIGHLIGHT = [
    highlight("skillnad_pct_points", RED, ">", 10),
    highlight("skillnad_pct_points", RED, "<", -10),
]
AGAINST_TARGET = [
    highlight("mot_mal_pct_points", GREEN, ">=", 0),
    highlight("mot_mal_pct_points", RED, "<", 0),
]
ONE_DECIMAL = {"d3NumberFormat": ",.1f"}

chart(
    0x83,
    D7,
    "plan",
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
chart(
    0x84,
    D7,
    "plan",
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
chart(
    0x85,
    D7,
    "plan",
    "Ordningen: gjorde föregående steg först",
    "För steg som ska följa ett annat: andelen av stegets genomförare som gjort det tidigare "
    "steget först (eller samma dag).",
    "echarts_timeseries_bar",
    bar("steg_i_kommun", [], "plan_ordning", [neq("after_step", "")], "I rätt ordning (%)", "Steg"),
    5,
    60,
)
chart(
    0x86,
    D7,
    "plan",
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
chart(
    0x87,
    D7,
    "plan_gender",
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
chart(
    0x88,
    D7,
    "plan_gap",
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
PLAN_COUNTY_CHARTS = (0x89, 0x8A)
chart(
    0x89,
    D7,
    "plan",
    "Länet: kommunernas planer sida vid sida",
    "Varje kommuns steg med täckning per steg (stegets nummer i planen). Visar alla kommuner "
    "för länet; en kommun ser sin egen plan.",
    "echarts_timeseries_bar",
    bar("kommun", ["step_order"], "plan_tackning", [], "Täckning (%)", "Kommun"),
    12,
    60,
)
chart(
    0x8A,
    D7,
    "plan",
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
PLAN_KOMMUN = native_filter(
    "plan_kommun",
    "Kommun",
    "kommun",
    "plan",
    first=True,
    required=True,
    desc="Kommunens plan; gäller inte länets översikt",
)
PLAN_KOMMUN["scope"]["excluded"] = list(PLAN_COUNTY_CHARTS)
DASHBOARDS.append(
    dict(
        n=0x8F,
        slug=D7,
        title="Plan och genomförande",
        intro="**Kommunens utbildningsplan mot det som genomförts.** Varje steg: vilken målgrupp "
        "(och förvaltning) som ska gå vilka kurser till när, hur stor andel som gjort det "
        "(täckning), målet och status (`uppnått`, `pågår` till slutdatum, därefter `ej "
        "uppnått`). För steg som ska följa ett annat visas andelen som tog stegen i rätt "
        "ordning. Jämställdhet: täckning per kön, skillnader över 10 procentenheter markeras. "
        "Välj kommun i filterpanelen; länets översikt längst ned visar alla kommuner. `..` = "
        "uppgift saknas eller för få personer, aldrig noll.",
        filters=[PLAN_KOMMUN],
    )
)


def layout(dash: dict, charts: list[dict]) -> dict:
    pos = {
        "DASHBOARD_VERSION_KEY": "v2",
        "ROOT_ID": {"children": ["GRID_ID"], "id": "ROOT_ID", "type": "ROOT"},
        "HEADER_ID": {"id": "HEADER_ID", "meta": {"text": dash["title"]}, "type": "HEADER"},
        "GRID_ID": {"children": [], "id": "GRID_ID", "parents": ["ROOT_ID"], "type": "GRID"},
    }
    rows: list[list] = [[("MARKDOWN-intro", 12, None)]]
    used = 12
    for c in charts:
        if used + c["width"] > 12:
            rows.append([])
            used = 0
        rows[-1].append((f"CHART-{c['uuid'][-4:]}", c["width"], c))
        used += c["width"]
    for i, row in enumerate(rows):
        rid = f"ROW-{i}"
        pos["GRID_ID"]["children"].append(rid)
        pos[rid] = {
            "children": [cid for cid, _, _ in row],
            "id": rid,
            "meta": {"background": "BACKGROUND_TRANSPARENT"},
            "parents": ["ROOT_ID", "GRID_ID"],
            "type": "ROW",
        }
        for cid, width, c in row:
            parents = ["ROOT_ID", "GRID_ID", rid]
            if c is None:
                pos[cid] = {
                    "children": [],
                    "id": cid,
                    "parents": parents,
                    "type": "MARKDOWN",
                    "meta": {"code": dash["intro"], "height": 16, "width": width},
                }
            else:
                pos[cid] = {
                    "children": [],
                    "id": cid,
                    "parents": parents,
                    "type": "CHART",
                    "meta": {
                        "chartId": int(c["uuid"][-4:], 16),
                        "height": c["height"],
                        "sliceName": c["title"],
                        "uuid": c["uuid"],
                        "width": width,
                    },
                }
    return pos


def slugify(text: str) -> str:
    table_ = str.maketrans("åäöÅÄÖ", "aaoAAO")
    out = "".join(ch if ch.isalnum() else "_" for ch in text.translate(table_).lower())
    while "__" in out:
        out = out.replace("__", "_")
    return out.strip("_")[:80]


def dump(path: Path, data: dict, header: str = "") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    path.write_text(header + text, encoding="utf-8")


def main() -> None:
    for sub in ("datasets", "charts", "dashboards"):
        shutil.rmtree(ROOT / sub, ignore_errors=True)
    header = "# Generated by superset/generate_assets.py — edit that script, not this file.\n"
    for ds in DATASETS.values():
        cols = [
            {
                "column_name": name,
                "verbose_name": label,
                "is_dttm": type_ == "TIMESTAMP",
                "is_active": True,
                "type": type_,
                "groupby": True,
                "filterable": True,
                "expression": None,
                "description": None,
                "python_date_format": None,
                "extra": {},
            }
            for name, type_, label in ds["columns"]
        ]
        metrics = [
            {
                "metric_name": name,
                "verbose_name": label,
                "metric_type": None,
                "expression": expr,
                "description": None,
                "d3format": fmt,
                "currency": None,
                "extra": {},
                "warning_text": None,
            }
            for name, expr, label, fmt in ds["metrics"]
        ]
        dump(
            ROOT / "datasets" / "mognad" / f"{ds['name']}.yaml",
            {
                "table_name": ds["name"],
                "main_dttm_col": None,
                "description": ds["description"],
                "default_endpoint": None,
                "offset": 0,
                "cache_timeout": None,
                "catalog": None,
                "schema": "marts",
                "source_db_engine": "duckdb",
                "sql": ds["sql"] + "\n",
                "params": None,
                "template_params": None,
                "filter_select_enabled": True,
                "fetch_values_predicate": None,
                "extra": None,
                "normalize_columns": False,
                "always_filter_main_dttm": False,
                "uuid": ds["uuid"],
                "metrics": metrics,
                "columns": cols,
                "version": "1.0.0",
                "database_uuid": DB_UUID,
            },
            header,
        )
    for c in CHARTS:
        params = {"viz_type": c["viz"], **c["params"]}
        dump(
            ROOT / "charts" / f"{slugify(c['title'])}.yaml",
            {
                "slice_name": c["title"],
                "description": c["description"],
                "certified_by": None,
                "certification_details": None,
                "viz_type": c["viz"],
                "params": params,
                "query_context": None,
                "cache_timeout": None,
                "uuid": c["uuid"],
                "version": "1.0.0",
                "dataset_uuid": DATASETS[c["dataset"]]["uuid"],
            },
            header,
        )
    for d in DASHBOARDS:
        charts = [c for c in CHARTS if c["dashboard"] == d["slug"]]
        dump(
            ROOT / "dashboards" / f"{slugify(d['title'])}.yaml",
            {
                "dashboard_title": d["title"],
                "description": None,
                "css": "",
                "slug": d["slug"],
                "certified_by": "",
                "certification_details": "",
                "published": True,
                "uuid": uid(d["n"]),
                "version": "1.0.0",
                "position": layout(d, charts),
                "metadata": {
                    "color_scheme": "supersetColors",
                    "cross_filters_enabled": False,
                    "refresh_frequency": 0,
                    "timed_refresh_immune_slices": [],
                    "expanded_slices": {},
                    "default_filters": "{}",
                    "label_colors": {},
                    "shared_label_colors": [],
                    "color_scheme_domain": [],
                    "native_filter_configuration": d["filters"],
                },
            },
            header,
        )
    print(f"{len(DATASETS)} datasets, {len(CHARTS)} charts, {len(DASHBOARDS)} dashboards")


if __name__ == "__main__":
    main()
