"""The building blocks of the dashboard specs in ``superset/specs/``: charts, filters, layouts.

A spec names the reporting model (dbt_project/models/reporting) each chart and filter reads;
``generate_assets.py`` turns the model names into the datasets' UUIDs from the dbt manifest.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# A hidden value reads the same whatever hid it (too few persons, or protecting another
# cell): a reason would tell an attacker which cells are the small ones.
HIDDEN = ".."


def uid(n: int) -> str:
    return f"3f0c6a52-7d4e-4b8a-9c1d-6d2b8a1e{n:04x}"


@dataclass
class Dashboard:
    n: int
    slug: str
    title: str
    intro: str
    filters: list[dict] = field(default_factory=list)
    charts: list[dict] = field(default_factory=list)

    def chart(self, n, model, title, desc, viz, params, width=6, height=50) -> dict:
        c = dict(
            uuid=uid(n),
            dashboard=self.slug,
            dataset=model,
            title=title,
            description=desc,
            viz=viz,
            params=params,
            width=width,
            height=height,
        )
        self.charts.append(c)
        return c

    def models(self) -> set[str]:
        """The reporting models the dashboard reads (charts and native filters)."""
        found = {c["dataset"] for c in self.charts}
        for f in self.filters:
            found |= {t["dataset"] for t in f["targets"]}
        return found


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


def native_filter(fid, name, column, model, default=None, required=False, first=False, desc=""):
    f = {
        "id": f"NATIVE_FILTER-{fid}",
        "name": name,
        "description": desc,
        "type": "NATIVE_FILTER",
        "filterType": "filter_select",
        "targets": [{"column": {"name": column}, "dataset": model}],
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
    "mognadsindex_kommun",
    "dimios",
    True,
    desc="Enkätinstrument (dimios eller digcomp)",
)


def highlight(column: str, colour: str, operator: str, value: float) -> dict:
    return {"column": column, "colorScheme": colour, "operator": operator, "targetValue": value}


RED, GREEN = "#EFA1AA", "#ACE1C4"  # Superset's error.light1 and success.light1
ONE_DECIMAL = {"d3NumberFormat": ",.1f"}
