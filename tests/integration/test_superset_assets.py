"""Link checker: dashboard → chart → dataset → mart table/column, against the dbt project.

Fast and offline (no Superset): reads the asset YAML in ``superset/assets`` and the dbt model
YAMLs in ``dbt_project/models/marts``. Fails when a chart points at something the dbt project
no longer has. The checker itself is tested by breaking references in a tmp copy.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
ASSETS = REPO / "superset" / "assets"
MARTS = REPO / "dbt_project" / "models" / "marts"

MART_TABLE = re.compile(r"\b(?:FROM|JOIN)\s+marts\.(\w+)(?:\s+(?:AS\s+)?(\w+))?", re.IGNORECASE)
QUALIFIED = re.compile(r"\b([A-Za-z_]\w*)\.([A-Za-z_]\w*)\b")
CTE = re.compile(r"(?:\bWITH|,)\s*(\w+)\s+AS\s*\(", re.IGNORECASE)
SQL_WORDS = {"select", "from", "join", "on", "where", "and", "or", "as", "case", "when"}


def dbt_models(marts_dir: Path) -> dict[str, set[str] | None]:
    """Mart model → documented column names (None when the model has no columns in YAML)."""
    models: dict[str, set[str] | None] = {p.stem: None for p in marts_dir.rglob("*.sql")}
    for path in marts_dir.rglob("*.yml"):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for model in doc.get("models", []):
            if model["name"] in models and model.get("columns"):
                models[model["name"]] = {c["name"] for c in model["columns"]}
    return models


def _split_top_level(text: str) -> list[str]:
    parts, depth, cur = [], 0, []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return [p.strip() for p in parts if p.strip()]


def _strip_strings(sql: str) -> str:
    return re.sub(r"'(?:[^']|'')*'", "''", sql)


def select_outputs(sql: str) -> set[str]:
    """Column names produced by the outermost (last top-level) SELECT."""
    sql = _strip_strings(sql)
    depth, last_select = 0, None
    for i, ch in enumerate(sql):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and sql[i : i + 6].upper() == "SELECT" and not sql[i - 1 : i].isalnum():
            last_select = i
    body = sql[last_select + 6 :]
    depth = 0
    for m in re.finditer(r"[()]|\bFROM\b", body, re.IGNORECASE):
        if m.group() == "(":
            depth += 1
        elif m.group() == ")":
            depth -= 1
        elif depth == 0:
            body = body[: m.start()]
            break
    out = set()
    for item in _split_top_level(body):
        m = re.search(r"\bAS\s+(\w+)\s*$", item, re.IGNORECASE) or re.search(
            r"(?:\w+\.)?(\w+)\s*$", item
        )
        if m:
            out.add(m.group(1))
    return out


def check(assets: Path, marts_dir: Path) -> list[str]:
    """Every broken reference, as a readable line (empty when all links hold)."""
    problems: list[str] = []
    models = dbt_models(marts_dir)
    datasets: dict[str, dict] = {}
    for path in sorted((assets / "datasets").rglob("*.yaml")):
        ds = yaml.safe_load(path.read_text(encoding="utf-8"))
        datasets[ds["uuid"]] = ds
        name = f"dataset {ds['table_name']}"
        columns = {c["column_name"] for c in ds.get("columns", [])}
        sql = ds.get("sql")
        if not sql:  # a physical dataset: marts.<table_name>
            model = models.get(ds["table_name"], "missing")
            if model == "missing":
                problems.append(f"{name}: no dbt mart {ds['table_name']}")
            elif model is not None:
                problems += [f"{name}: no column {c} in the mart" for c in columns - model]
            continue
        code = _strip_strings(sql)
        aliases: dict[str, str] = {}
        for table, alias in MART_TABLE.findall(code):
            if table not in models:
                problems.append(f"{name}: SQL reads marts.{table}, not in the dbt project")
                continue
            aliases[table] = table
            if alias and alias.lower() not in SQL_WORDS:
                aliases[alias] = table
        for alias, col in QUALIFIED.findall(code):
            if alias == "marts" or alias not in aliases:
                continue
            documented = models.get(aliases[alias])
            if documented is not None and col not in documented:
                problems.append(f"{name}: {alias}.{col} — no column {col} in {aliases[alias]}")
        produced = select_outputs(sql)
        problems += [
            f"{name}: declared column {c} is not produced by its SQL"
            for c in sorted(columns - produced)
        ]
        metric_cols = set()
        for metric in ds.get("metrics", []):
            metric_cols |= set(
                re.findall(r"[a-z_][a-z0-9_]*", _strip_strings(metric["expression"]))
            )
        # identifiers in metric expressions that look like columns must be columns
        for ident in metric_cols:
            if (
                "_" in ident
                and ident not in columns
                and ident not in ("date_diff", "current_timestamp")
            ):
                problems.append(f"{name}: metric uses unknown column {ident}")

    charts: dict[str, dict] = {}
    for path in sorted((assets / "charts").glob("*.yaml")):
        ch = yaml.safe_load(path.read_text(encoding="utf-8"))
        charts[ch["uuid"]] = ch
        name = f"chart {ch['slice_name']!r}"
        ds = datasets.get(ch["dataset_uuid"])
        if ds is None:
            problems.append(f"{name}: dataset {ch['dataset_uuid']} does not exist")
            continue
        columns = {c["column_name"] for c in ds.get("columns", [])}
        metrics = {m["metric_name"] for m in ds.get("metrics", [])}
        p = ch["params"]
        used = [p.get("x_axis"), *p.get("groupby", []), *p.get("all_columns", [])]
        used += [f["subject"] for f in p.get("adhoc_filters", [])]
        used += [re.match(r'\["(\w+)"', o).group(1) for o in p.get("order_by_cols", [])]
        for col in filter(None, used):
            if col not in columns:
                problems.append(f"{name}: column {col} not in dataset {ds['table_name']}")
        for metric in p.get("metrics", []):
            if isinstance(metric, str):
                if metric not in metrics:
                    problems.append(f"{name}: metric {metric} not in dataset {ds['table_name']}")
            else:
                expr = _strip_strings(metric["sqlExpression"])
                for ident in re.findall(r"\b([a-z_][a-z0-9_]*)\b(?!\s*\()", expr):
                    if ident not in columns and ident.upper() not in (
                        "CASE",
                        "WHEN",
                        "THEN",
                        "END",
                        "ELSE",
                        "NULL",
                        "AND",
                        "OR",
                    ):
                        problems.append(f"{name}: metric expression uses unknown {ident}")

    dashboards = sorted((assets / "dashboards").glob("*.yaml"))
    if not dashboards:
        problems.append("no dashboards")
    for path in dashboards:
        d = yaml.safe_load(path.read_text(encoding="utf-8"))
        name = f"dashboard {d['dashboard_title']!r}"
        for node in d["position"].values():
            if isinstance(node, dict) and node.get("type") == "CHART":
                meta = node["meta"]
                missing = [
                    k for k in ("chartId", "uuid", "sliceName", "width", "height") if k not in meta
                ]
                if missing:
                    problems.append(f"{name}: chart node {node['id']} lacks {missing}")
                if meta.get("uuid") not in charts:
                    problems.append(f"{name}: chart {meta.get('sliceName')} does not exist")
        for flt in d.get("metadata", {}).get("native_filter_configuration", []):
            for target in flt.get("targets", []):
                ds = datasets.get(target.get("datasetUuid"))
                if ds is None:
                    problems.append(f"{name}: filter {flt['name']} targets a missing dataset")
                elif target["column"]["name"] not in {c["column_name"] for c in ds["columns"]}:
                    problems.append(
                        f"{name}: filter {flt['name']} column {target['column']['name']} "
                        f"not in {ds['table_name']}"
                    )
    return problems


# --- tests ---------------------------------------------------------------------------------------
def test_every_link_holds():
    assert check(ASSETS, MARTS) == []


def test_six_dashboards_on_published_marts_only():
    titles = {
        yaml.safe_load(p.read_text("utf-8"))["dashboard_title"]
        for p in (ASSETS / "dashboards").glob("*.yaml")
    }
    assert titles == {
        "Digital mognad i länet",
        "Utveckling sedan 0-mätningen",
        "Målgrupper och jämställdhet",
        "Kompetensinsatser",
        "Svarsfrekvens",
        "Dataleveranser",
        "Plan och genomförande",
    }
    for path in (ASSETS / "datasets").rglob("*.yaml"):
        sql = yaml.safe_load(path.read_text("utf-8")).get("sql") or ""
        schemas = set(re.findall(r"\b(?:FROM|JOIN)\s+(\w+)\.", _strip_strings(sql), re.I))
        assert schemas <= {"marts"}, f"{path.name} reads {schemas}"


def test_mart_columns_are_documented():
    """Every mart a dataset reads documents its columns, so the checker can verify them."""
    models = dbt_models(MARTS)
    used = set()
    for path in (ASSETS / "datasets").rglob("*.yaml"):
        used |= set(MART_TABLE_NAMES(yaml.safe_load(path.read_text("utf-8")).get("sql") or ""))
    undocumented = sorted(t for t in used if models.get(t) is None)
    if undocumented:
        pytest.xfail(f"marts without documented columns (mart engineer): {undocumented}")


def MART_TABLE_NAMES(sql: str) -> list[str]:  # noqa: N802
    return [t for t, _ in MART_TABLE.findall(sql)]


@pytest.fixture
def tmp_project(tmp_path):
    assets = tmp_path / "assets"
    marts = tmp_path / "marts"
    shutil.copytree(ASSETS, assets)
    shutil.copytree(MARTS, marts)
    return assets, marts


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), "utf-8")


def test_fails_when_a_mart_column_is_renamed(tmp_project):
    assets, marts = tmp_project
    _edit(marts / "maturity" / "_marts_maturity__models.yml", "- name: score_pct", "- name: score")
    problems = check(assets, marts)
    assert any("no column score_pct in fct_maturity" in p for p in problems), problems


def test_fails_when_a_mart_is_removed(tmp_project):
    assets, marts = tmp_project
    (marts / "maturity" / "fct_response_rate.sql").unlink()
    problems = check(assets, marts)
    assert any("marts.fct_response_rate, not in the dbt project" in p for p in problems), problems


def test_fails_when_a_chart_column_or_metric_is_unknown(tmp_project):
    assets, marts = tmp_project
    _edit(
        assets / "charts" / "mognadsindex_per_kommun_och_matomgang.yaml",
        "x_axis: kommun",
        "x_axis: kommunnamn",
    )
    _edit(
        assets / "charts" / "svarsfrekvens_per_kommun_och_matomgang.yaml",
        "- svarsfrekvens",
        "- svarsfrekvens_pct",
    )
    problems = check(assets, marts)
    assert any("column kommunnamn not in dataset" in p for p in problems), problems
    assert any("metric svarsfrekvens_pct not in dataset" in p for p in problems), problems


def test_fails_when_a_declared_column_is_not_produced(tmp_project):
    assets, marts = tmp_project
    _edit(assets / "datasets" / "mognad" / "svarsfrekvens.yaml", "AS svarande_text", "AS svar_text")
    problems = check(assets, marts)
    assert any("declared column svarande_text is not produced" in p for p in problems), problems


def test_fails_when_a_dashboard_points_at_a_missing_chart(tmp_project):
    assets, marts = tmp_project
    (assets / "charts" / "filer_i_karantan_med_orsak.yaml").unlink()
    problems = check(assets, marts)
    assert any("Filer i karantän med orsak does not exist" in p for p in problems), problems
