"""An attacker's view of the published marts: try to recover hidden cells by subtraction.

For every mart that publishes counts, and every breakdown column whose 'alla' row is the
total of its other values (target_group, gender), look at each *line* (a total and its
children, all other keys equal):

- the total is shown and exactly one child is hidden → total − shown siblings = the hidden
  child: recoverable;
- the total is hidden and every child is shown → the sum of the children = the total:
  recoverable.

A missing child row means nobody is in it (0), i.e. shown. Returns every recoverable cell.
"""

from __future__ import annotations

from collections import defaultdict

# mart -> (other key columns, breakdown columns, published count columns)
BREAKDOWNS: dict[str, tuple[list[str], list[str], list[str]]] = {
    "fct_maturity": (
        ["municipality_code", "wave", "instrument", "dimension", "category"],
        ["target_group"],
        ["respondents"],
    ),
    "fct_maturity_gender": (
        ["municipality_code", "wave", "instrument", "dimension", "category"],
        ["target_group", "gender"],
        ["respondents"],
    ),
    "fct_response_rate": (
        ["municipality_code", "wave"],
        ["target_group"],
        ["headcount", "respondents"],
    ),
    "fct_training_coverage": (
        ["municipality_code", "period"],
        ["target_group", "gender"],
        ["headcount", "trained_persons"],
    ),
    "fct_training_completions": (
        ["municipality_code", "period", "course_code"],
        ["target_group", "gender"],
        ["persons_completed"],
    ),
    "fct_training_plan_gender": (
        ["municipality_code", "step"],
        ["gender"],
        ["headcount", "completed_persons"],
    ),
}


def recoverable_cells(con, schema: str = "marts") -> list[tuple]:
    """(mart, breakdown column, line key, what) for every cell an attacker could recover."""
    found = []
    for mart, (keys, dims, counts) in BREAKDOWNS.items():
        columns = keys + dims + counts + ["suppressed"]
        rows = con.execute(f"select {', '.join(columns)} from {schema}.{mart}").fetchall()
        for d in dims:
            others = keys + [x for x in dims if x != d]
            lines: dict[tuple, dict] = defaultdict(lambda: {"total": None, "children": []})
            for row in rows:
                rec = dict(zip(columns, row, strict=True))
                line = tuple(rec[c] for c in others)
                if rec[d] == "alla":
                    lines[line]["total"] = rec
                else:
                    lines[line]["children"].append(rec)
            for line, parts in lines.items():
                total, children = parts["total"], parts["children"]
                if total is None:
                    continue
                hidden = [c for c in children if c["suppressed"]]
                if not total["suppressed"] and len(hidden) == 1:
                    found.append((mart, d, line, f"child {hidden[0][d]} = total - siblings"))
                if total["suppressed"] and not hidden and children:
                    found.append((mart, d, line, "total = sum of children"))
        # every shown cell really shows its counts
        for row in rows:
            rec = dict(zip(columns, row, strict=True))
            if rec["suppressed"] and any(rec[c] is not None for c in counts):
                found.append((mart, "-", tuple(rec[k] for k in keys), "hidden cell shows a count"))
    return found
