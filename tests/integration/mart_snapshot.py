"""Read every published mart, fully ordered, for comparing two builds."""

from __future__ import annotations

import duckdb


def snapshot(path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'marts' "
                "order by table_name"
            ).fetchall()
        ]
        out = {}
        for t in tables:
            cols = [r[0] for r in con.execute(f'describe marts."{t}"').fetchall()]
            order = ", ".join(f'"{c}"' for c in cols)
            out[t] = con.execute(f'select * from marts."{t}" order by {order}').fetchall()
        return out
    finally:
        con.close()
