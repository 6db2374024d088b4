"""Open data: the published, protected aggregates as CSV with a Frictionless data package.

After each publish, ``$MOGNAD_HOME/open/`` holds one CSV per aggregate table of the county
file (``OPEN_TABLES``) and ``datapackage.json`` (Frictionless Data Package v1) describing
every file and column: Swedish and English titles (``TABLE_TITLES``, ``COLUMN_TITLES``
below), English descriptions taken from the dbt model YAML (``dbt_project/models/**/_*.yml``,
so they are written once), field types from the published columns, and the primary key
from the dbt uniqueness tests.

CSV: UTF-8, ``,`` as delimiter, a header row, ``.`` as decimal point, numbers unrounded (as
in the marts); a hidden (suppressed) value is an empty field, never 0 or a text. Exactly the
rows of the published tables: the same disclosure control, nothing recomputed.

Left out on purpose: the operational tables (ingest_log, fct_data_delivery, fct_quarantine,
fct_batch_checks, fct_inbox_waiting). They hold file names, hashes, load ids and delivery
times, which describe the platform's work rather than the results, and are not aggregates.

The folder is written whole in ``open.tmp-<id>/`` and swapped in atomically (Linux
``renameat2(RENAME_EXCHANGE)``: a reader sees the old folder or the new one, never a mix
and never none), like the warehouse publish.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import logging
import os
import re
import secrets
import shutil
from pathlib import Path

import duckdb
import yaml

from mognad.config import Settings

log = logging.getLogger(__name__)

OPEN_DIR = "open"
PACKAGE_FILE = "datapackage.json"
SCHEMA = "marts"

# (table, Swedish title, English title). The order is the package's resource order. The
# plan marts appear once the plan feed's models are in the published file; a listed table
# the file does not hold is left out of the package (and logged).
TABLE_TITLES: tuple[tuple[str, str, str], ...] = (
    ("dim_municipality", "Kommuner", "Municipalities"),
    ("dim_population", "Befolkning per kommun och år (Källa: Kolada)",
     "Population per municipality and year (source: Kolada)"),
    ("fct_maturity", "Digital mognad", "Digital maturity"),
    ("fct_maturity_gender", "Digital mognad per kön", "Digital maturity by gender"),
    ("fct_maturity_progress", "Förändring sedan 0-mätningen", "Change since the baseline"),
    ("fct_maturity_region", "Länets genomsnitt", "County average"),
    ("fct_category_profile", "Styrkor och svagheter jämfört med länet",
     "Strengths and weaknesses compared with the county"),
    ("fct_response_rate", "Svarsfrekvens", "Response rate"),
    ("fct_training_coverage", "Utbildningstäckning", "Training coverage"),
    ("fct_training_completions", "Genomförda utbildningar", "Completed training"),
    ("fct_training_plan", "Utbildningsplan och genomförande", "Training plan and progress"),
    ("fct_training_plan_gender", "Utbildningsplan per kön", "Training plan by gender"),
)  # fmt: skip
OPEN_TABLES = tuple(t for t, _sv, _en in TABLE_TITLES)
NOT_OPEN = ("ingest_log", "fct_data_delivery", "fct_quarantine", "fct_batch_checks",
            "fct_inbox_waiting")  # fmt: skip

# column -> (Swedish title, English title)
COLUMN_TITLES: dict[str, tuple[str, str]] = {
    "municipality_code": ("Kommunkod", "Municipality code"),
    "municipality_name": ("Kommun", "Municipality"),
    "county_code": ("Länskod", "County code"),
    "county_name": ("Län", "County"),
    "year": ("År", "Year"),
    "population": ("Invånare", "Population"),
    "source": ("Källa", "Source"),
    "wave": ("Mätomgång", "Wave"),
    "instrument": ("Instrument", "Instrument"),
    "target_group": ("Målgrupp", "Target group"),
    "gender": ("Kön", "Gender"),
    "dimension": ("Dimension", "Dimension"),
    "category": ("Kategori", "Category"),
    "respondents": ("Svarande", "Respondents"),
    "score_pct": ("Mognadsindex (0–100)", "Maturity score (0–100)"),
    "suppressed": ("Dold", "Hidden"),
    "baseline_wave": ("0-mätningens mätomgång", "Baseline wave"),
    "baseline_score_pct": ("Mognadsindex vid 0-mätningen", "Baseline score"),
    "change_pct_points": ("Förändring (procentenheter)", "Change (percentage points)"),
    "municipalities": ("Kommuner", "Municipalities"),
    "region_score_pct": ("Länets index", "County score"),
    "diff_pct_points": ("Skillnad mot länet (procentenheter)",
                        "Difference from the county (percentage points)"),
    "profile": ("Profil", "Profile"),
    "headcount": ("Anställda", "Headcount"),
    "response_rate_pct": ("Svarsfrekvens (%)", "Response rate (%)"),
    "period": ("Månad", "Month"),
    "trained_persons": ("Utbildade", "Trained persons"),
    "coverage_pct": ("Utbildningstäckning (%)", "Training coverage (%)"),
    "course_code": ("Kurskod", "Course code"),
    "course_name": ("Kurs", "Course"),
    "format": ("Format", "Format"),
    "persons_completed": ("Personer som genomfört", "Persons completed"),
    "step": ("Steg", "Step"),
    "step_order": ("Stegets ordning", "Step order"),
    "department": ("Förvaltning", "Department"),
    "course_codes": ("Kurskoder", "Course codes"),
    "starts_on": ("Startar", "Starts on"),
    "due_on": ("Klart senast", "Due on"),
    "target_pct": ("Mål (%)", "Target (%)"),
    "completed_persons": ("Personer som genomfört", "Persons completed"),
    "status": ("Status", "Status"),
    "after_step": ("Efter steg", "After step"),
    "in_order_pct": ("I ordning (%)", "In order (%)"),
    "in_order_suppressed": ("I ordning dold", "In order hidden"),
    "as_of": ("Per datum", "As of"),
    "snapshot_date": ("HR-underlagets datum", "HR snapshot date"),
}  # fmt: skip

_TYPES = (  # DuckDB type (prefix) -> Table Schema type
    ("BOOLEAN", "boolean"),
    ("TINYINT", "integer"), ("SMALLINT", "integer"), ("INTEGER", "integer"),
    ("BIGINT", "integer"), ("HUGEINT", "integer"), ("UTINYINT", "integer"),
    ("USMALLINT", "integer"), ("UINTEGER", "integer"), ("UBIGINT", "integer"),
    ("DOUBLE", "number"), ("FLOAT", "number"), ("REAL", "number"), ("DECIMAL", "number"),
    ("DATE", "date"),
    ("TIMESTAMP", "datetime"),
)  # fmt: skip

PACKAGE_TITLE = (
    "Digital mognad i kommunerna – öppna data / Digital maturity in the municipalities – open data"  # noqa: E501
)
PACKAGE_DESCRIPTION = (
    "Publicerade resultat om digital mognad och digital kompetens, samma skyddade aggregat "
    "som dashboarderna visar. Tomt fält = uppgift saknas eller för få svar (dold cell, "
    "suppressed = true); aldrig noll. Poäng och procent är oavrundade. Se docs/metod.md.\n\n"
    "Published results on digital maturity and digital competence: the same protected "
    "aggregates the dashboards show. An empty field is a hidden value (fewer than "
    "MOGNAD_MIN_CELL persons, or hidden to protect another cell; suppressed = true), never "
    "zero. Scores and percentages are unrounded. Method: docs/metod.md."
)


class OpenDataError(RuntimeError):
    """The open-data folder could not be written; the previous one is left in place."""


def open_dir(settings: Settings) -> Path:
    return settings.home / OPEN_DIR


def _schema_type(duckdb_type: str) -> str:
    upper = duckdb_type.upper()
    for prefix, kind in _TYPES:
        if upper.startswith(prefix):
            return kind
    return "string"


_DOC_BLOCK = re.compile(r"{%\s*docs\s+(\w+)\s*%}(.*?){%\s*enddocs\s*%}", re.S)
_DOC_REF = re.compile(r"{{\s*doc\(\s*['\"](\w+)['\"]\s*\)\s*}}")


def dbt_descriptions(models_dir: Path) -> dict[str, dict]:
    """model -> {"description": str, "columns": {column: str}, "primary_key": [columns]}
    from the dbt YAML files (doc blocks resolved from the project's .md files)."""
    docs = {}
    for path in sorted(models_dir.rglob("*.md")):
        for name, body in _DOC_BLOCK.findall(path.read_text(encoding="utf-8")):
            docs[name] = body.strip()

    def text(value) -> str:
        value = _DOC_REF.sub(lambda m: docs.get(m.group(1), ""), str(value or ""))
        paragraphs = re.split(r"\n\s*\n", value)
        # a list item keeps its own line; other line breaks are only YAML wrapping
        items = [re.split(r"\n\s*(?=(?:\d+\.|[-*])\s)", p) for p in paragraphs if p.strip()]
        return "\n\n".join("\n".join(" ".join(i.split()) for i in p) for p in items)

    models: dict[str, dict] = {}
    for path in sorted(models_dir.rglob("_*.yml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for model in doc.get("models") or []:
            key: list[str] = []
            for test in (model.get("data_tests") or []) + (model.get("tests") or []):
                if isinstance(test, dict) and "unique_combination_of_columns" in test:
                    cfg = test["unique_combination_of_columns"]
                    key = list((cfg.get("arguments") or cfg)["combination_of_columns"])
            columns = {}
            for column in model.get("columns") or []:
                columns[column["name"]] = text(column.get("description"))
                tests = (column.get("data_tests") or []) + (column.get("tests") or [])
                if not key and "unique" in tests:
                    key = [column["name"]]
            models[model["name"]] = {
                "description": text(model.get("description")),
                "columns": columns,
                "primary_key": key,
            }
    return models


def _csv_select(table: str, columns: list[tuple[str, str]]) -> str:
    parts = []
    for name, kind in columns:
        quoted = f'"{name}"'
        upper = kind.upper()
        if upper.endswith("[]") or upper.startswith(("LIST", "STRUCT", "MAP")):
            # a list reads as one text field, items separated by ';'
            parts.append(f"array_to_string({quoted}, ';') as {quoted}")
        elif upper.startswith("TIMESTAMP"):
            parts.append(f"strftime({quoted}, '%Y-%m-%dT%H:%M:%S') as {quoted}")
        else:
            parts.append(quoted)
    return f'select {", ".join(parts)} from {SCHEMA}."{table}"'


def _write_folder(settings: Settings, published_db: Path, folder: Path) -> dict:
    """Every CSV and the package descriptor into `folder`; returns the descriptor."""
    described = dbt_descriptions(settings.dbt_project_dir / "models")
    titles = {t: (sv, en) for t, sv, en in TABLE_TITLES}
    resources = []
    con = duckdb.connect(str(published_db), read_only=True)
    try:
        present = {
            name
            for (name,) in con.execute(
                "select table_name from duckdb_tables() where schema_name = ?", [SCHEMA]
            ).fetchall()
        }
        for table in OPEN_TABLES:
            if table not in present:
                log.info("open data: %s.%s is not in the published file; left out", SCHEMA, table)
                continue
            columns = con.execute(
                "select column_name, data_type from duckdb_columns() "
                "where schema_name = ? and table_name = ? order by column_index",
                [SCHEMA, table],
            ).fetchall()
            target = folder / f"{table}.csv"
            con.execute(
                f"copy ({_csv_select(table, columns)}) to '{target}' "
                "(format csv, header true, delimiter ',', quote '\"', null '', "
                "dateformat '%Y-%m-%d')"
            )
            [(rows,)] = con.execute(f'select count(*) from {SCHEMA}."{table}"').fetchall()
            model = described.get(table, {"description": "", "columns": {}, "primary_key": []})
            fields = []
            for name, kind in columns:
                sv, en = COLUMN_TITLES.get(name, (name, name))
                field = {
                    "name": name,
                    "type": _schema_type(kind),
                    "title": f"{sv} / {en}",
                    "description": model["columns"].get(name, ""),
                }
                if field["type"] == "boolean":
                    field["trueValues"], field["falseValues"] = ["true"], ["false"]
                if name == "suppressed" or name.endswith("_suppressed"):
                    field["constraints"] = {"required": True}
                fields.append(field)
            schema: dict = {"fields": fields, "missingValues": [""]}
            if model["primary_key"] and all(c in dict(columns) for c in model["primary_key"]):
                schema["primaryKey"] = model["primary_key"]
            sv, en = titles[table]
            resources.append(
                {
                    "name": table.replace("_", "-"),
                    "path": target.name,
                    "profile": "tabular-data-resource",
                    "title": f"{sv} / {en}",
                    "description": model["description"],
                    "format": "csv",
                    "mediatype": "text/csv",
                    "encoding": "utf-8",
                    "dialect": {"delimiter": ",", "doubleQuote": True, "header": True},
                    "schema": schema,
                    "bytes": target.stat().st_size,
                    "rows": rows,
                }
            )
    finally:
        con.close()
    package = {
        "profile": "tabular-data-package",
        "name": "mognad-open-data",
        "title": PACKAGE_TITLE,
        "description": PACKAGE_DESCRIPTION,
        "resources": resources,
    }
    (folder / PACKAGE_FILE).write_text(
        json.dumps(package, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return package


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); False if unsupported."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                          ctypes.c_uint]  # fmt: skip
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    errno = ctypes.get_errno()
    if errno in (22, 38, 95):  # EINVAL, ENOSYS, EOPNOTSUPP: this filesystem cannot
        return False
    raise OSError(errno, os.strerror(errno), str(a))


def write_open_data(settings: Settings, published_db: Path) -> Path:
    """Write `$MOGNAD_HOME/open/` from the published county file; returns the folder.

    Built in `open.tmp-<id>/` and swapped in whole; on any error the previous folder stays
    and OpenDataError says why (Swedish first)."""
    target = open_dir(settings)
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    for stale in parent.glob(f"{OPEN_DIR}.tmp-*"):  # left by an interrupted run
        shutil.rmtree(stale, ignore_errors=True)
    tmp = parent / f"{OPEN_DIR}.tmp-{secrets.token_hex(6)}"
    tmp.mkdir()
    try:
        _write_folder(settings, Path(published_db), tmp)
        for path in tmp.iterdir():
            with open(path, "rb") as fh:
                os.fsync(fh.fileno())
        _fsync(tmp)
        if target.is_dir() and not target.is_symlink():
            if not _exchange(tmp, target):
                # no atomic exchange here: two renames (a reader may miss the folder briefly)
                old = parent / f"{OPEN_DIR}.tmp-{secrets.token_hex(6)}"
                os.rename(target, old)
                os.rename(tmp, target)
                tmp = old
        else:
            os.rename(tmp, target)
            tmp = None
        _fsync(parent)
    except Exception as exc:
        raise OpenDataError(
            f"öppna data kunde inte skrivas / open data could not be written: {exc}"
        ) from exc
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    return target
