"""TODO docstring."""

from __future__ import annotations

import csv
import json

from mognad.config import PROJECT_DIR, Settings
from mognad.secrets import read_secrets
from mognad.stack.superset_base import (
    COUNTY_CODE,
    DEMO_USERS,
    SCRIPTS,
    SupersetError,
    _run,
    superset_bin,
    superset_env,
)


def municipalities(settings: Settings) -> list[dict[str, str]]:
    """The municipality list (dbt seed ``kommuner.csv``): code, name, county code and name."""
    path = PROJECT_DIR / "dbt_project" / "seeds" / "kommuner.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def municipality_role(code: str, name: str) -> str:
    return f"Kommun {code} {name}"


def county_role(name: str) -> str:
    return f"Län {name}"


def demo_users(settings: Settings) -> list[tuple[str, str, str]]:
    """(username, role, password) of the demo users, for ``mognad demo`` to print."""
    password = read_secrets(settings.secrets_file).get("SUPERSET_DEMO_PASSWORD", "")
    by_code = {m["municipality_code"]: m for m in municipalities(settings)}
    county = next(m["county_name"] for m in by_code.values() if m["county_code"] == COUNTY_CODE)
    out = []
    for user, code in DEMO_USERS:
        role = (
            county_role(county)
            if code is None
            else municipality_role(code, by_code[code]["municipality_name"])
        )
        out.append((user, role, password))
    return out


def access_spec(settings: Settings) -> dict:
    kommuner = municipalities(settings)
    county = next(m["county_name"] for m in kommuner if m["county_code"] == COUNTY_CODE)
    return {
        "municipalities": [
            {
                "code": m["municipality_code"],
                "role": municipality_role(m["municipality_code"], m["municipality_name"]),
            }
            for m in kommuner
        ],
        "county_role": county_role(county),
        "users": [
            {"username": u, "role": r, "county": r == county_role(county)}
            for u, r, _ in demo_users(settings)
        ],
    }


def setup_access(settings: Settings, env: dict[str, str] | None = None) -> dict:
    """Idempotent: municipality and county roles, RLS on every dataset, demo users."""
    env = env or superset_env(settings)
    out = _run(
        [str(superset_bin("python")), str(SCRIPTS / "access.py")],
        env,
        "superset access setup",
        stdin=json.dumps(access_spec(settings)),
    )
    lines = [ln for ln in out.splitlines() if ln.startswith("MOGNAD_ACCESS ")]
    if not lines:
        raise SupersetError(f"superset access setup printed no summary:\n{out[-2000:]}")
    return json.loads(lines[-1].removeprefix("MOGNAD_ACCESS "))


_OPS = {
    "==": "==",
    "!=": "!=",
    "IN": "IN",
    "NOT IN": "NOT IN",
    "IS TRUE": "IS TRUE",
    "IS FALSE": "IS FALSE",
    "IS NULL": "IS NULL",
    "IS NOT NULL": "IS NOT NULL",
}


def chart_data_query(params: dict) -> dict:
    """The ``/api/v1/chart/data`` query object a saved chart's params stand for.

    Covers the chart kinds in ``superset/assets`` (ECharts bar/line with x axis and groupby,
    raw and aggregate tables, radar); simple adhoc filters become query filters.
    """
    filters = []
    for f in params.get("adhoc_filters", []):
        if f.get("expressionType") != "SIMPLE":
            raise ValueError(f"only simple filters are supported: {f}")
        flt = {"col": f["subject"], "op": _OPS[f["operator"]]}
        if f.get("comparator") is not None:
            flt["val"] = f["comparator"]
        filters.append(flt)
    if params.get("query_mode") == "raw":
        columns, metrics = list(params["all_columns"]), []
    else:
        columns = [c for c in (params.get("x_axis"), *params.get("groupby", [])) if c]
        metrics = list(params.get("metrics", []))
    return {
        "columns": columns,
        "metrics": metrics,
        "filters": filters,
        "orderby": [],
        "row_limit": params.get("row_limit", 10000),
    }
