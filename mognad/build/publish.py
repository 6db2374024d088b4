"""Publish the validated marts: one county file and one file per municipality, swapped in
together and atomically.

Layout under ``warehouse/`` (every link relative, so a volume mounted elsewhere still works)::

    gen-<build id>/mognad.duckdb            the county file: schemas ``marts`` and
                                            ``reporting`` (the dashboards' views, as
                                            tables), every row
    gen-<build id>/kommun/<kommunkod>.duckdb  the same tables and columns, holding only that
                                              municipality's detail rows, the county-level
                                              (already suppressed) aggregates and the public
                                              municipality list
    gen-<build id>/manifest.json            build id, tables, detail rows per municipality
    current -> gen-<build id>               swapped with one ``os.replace`` of a symlink
    mognad.duckdb -> current/mognad.duckdb  the published file of the contract, for readers

A new generation is written in ``.gen-<build id>.tmp/``, checked (no other municipality's
rows in a municipality file, same schema as the county file), renamed into place, and only
then does ``current`` move: a reader resolves ``current`` once and sees one build's files,
never a mix. Old generations are removed after a few more publishes; a reader that still has
one open keeps reading it (Linux keeps an unlinked file until it is closed).

A municipality user's queries (Superset opens that user's file, see
``superset/superset_config.py``) can then only ever reach data holding that municipality's
detail, whatever SQL they contain: the other municipalities' rows are not in the file.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb

from mognad.config import Settings

PUBLISHED_SCHEMA = "marts"
# Every published schema, in copy order: the marts (the contract and open data read them),
# then the reporting views over them (what the dashboards read), published as tables under
# the same per-table plan.
PUBLISHED_SCHEMAS = (PUBLISHED_SCHEMA, "reporting")
MUNICIPALITY_COLUMN = "municipality_code"
# Public reference data, published whole in every municipality file (schema.table).
PUBLIC_TABLES = frozenset({"marts.dim_municipality"})
# County- and nation-level results without a municipality column: already suppressed by the
# marts (fewer than MOGNAD_MIN_CELL persons are never shown), published whole to everyone.
AGGREGATE_TABLES = frozenset({"marts.fct_maturity_region", "reporting.mognad_lansnitt"})
# Any other table without a municipality column is published EMPTY in municipality files:
# a new mart never leaks by default; declare it above once it is known to be an aggregate.
MUNICIPALITY_DIR = "kommun"
NO_DETAIL = "_ingen-detalj.duckdb"  # schema + aggregates; hard-linked for quiet municipalities
GENERATION_PREFIX = "gen-"
CURRENT = "current"
MANIFEST = "manifest.json"
PUBLISH_THREADS = 1
"""Municipality files are written one at a time: with two cursors writing side by side, one
cursor's `CHECKPOINT` of its file fails while the other's write transaction is open
("Cannot CHECKPOINT: there are other write transactions active")."""
KEEP_GENERATIONS = 3  # current + two earlier: a reader that resolved an old one still opens it


class PublishError(RuntimeError):
    """A publish check failed; nothing was swapped in."""


@dataclass(frozen=True)
class TablePlan:
    schema: str
    name: str
    kind: str  # "detail" (filtered by municipality), "public", "aggregate", "withheld"

    @property
    def qualified(self) -> str:
        return f'{self.schema}."{self.name}"'


def municipality_file(generation: Path, code: str) -> Path:
    return generation / MUNICIPALITY_DIR / f"{code}.duckdb"


def current_generation(settings: Settings) -> Path | None:
    """The generation folder ``warehouse/current`` points at (None before the first publish)."""
    link = settings.warehouse_dir / CURRENT
    if not link.is_symlink():
        return None
    return (settings.warehouse_dir / os.readlink(link)).resolve()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(root: Path) -> None:
    """The folders and the manifest (DuckDB's CHECKPOINT has synced its own files)."""
    for path in sorted(root.rglob("*"), reverse=True):
        if path.is_dir():
            _fsync_dir(path)
        elif path.suffix == ".json":
            with open(path, "rb") as fh:
                os.fsync(fh.fileno())
    _fsync_dir(root)


def _swap_symlink(link: Path, target: str) -> None:
    """Point ``link`` at ``target`` atomically (a new symlink renamed over the old name)."""
    tmp = link.with_name(f".{link.name}.{secrets.token_hex(4)}.lnk")
    os.symlink(target, tmp)
    try:
        os.replace(tmp, link)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _plan(con: duckdb.DuckDBPyConnection, build: str) -> list[TablePlan]:
    """Every table and view of the published schemas in the build file, with its kind."""
    rows = con.execute(
        "select schema_name, table_name, bool_or(column_name = ?) from duckdb_columns() "
        "where database_name = ? and list_contains(?, schema_name) "
        "group by schema_name, table_name",
        [MUNICIPALITY_COLUMN, build, list(PUBLISHED_SCHEMAS)],
    ).fetchall()
    rows.sort(key=lambda r: (PUBLISHED_SCHEMAS.index(r[0]), r[1]))
    plan = []
    for schema, name, has_code in rows:
        if f"{schema}.{name}" in PUBLIC_TABLES:
            kind = "public"
        elif has_code:
            kind = "detail"
        elif f"{schema}.{name}" in AGGREGATE_TABLES:
            kind = "aggregate"
        else:
            kind = "withheld"
        plan.append(TablePlan(schema, name, kind))
    return plan


def _copy_county(con: duckdb.DuckDBPyConnection, plan: list[TablePlan], build: str) -> None:
    """The county file: every row. A reporting view is read (and so computed) here, over
    the build file's marts as they are now, and written as a table."""
    for schema in dict.fromkeys(t.schema for t in plan):
        con.execute(f"create schema {schema}")
    for t in plan:
        con.execute(f'create table {t.qualified} as select * from "{build}".{t.qualified}')


def _write_municipality(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    plan: list[TablePlan],
    code: str | None,
    county_schema: list[tuple],
) -> dict[str, int]:
    """One municipality's file (``code`` None: the file with no municipality's detail),
    checked before it is closed: the county file's schema, no other municipality's rows."""
    alias = "k_" + (code or "none")
    con.execute(f"attach '{path}' as {alias}")
    rows = {}
    try:
        for schema in dict.fromkeys(t.schema for t in plan):
            con.execute(f"create schema {alias}.{schema}")
        for t in plan:
            src = t.qualified  # the county file just written
            if t.kind == "detail" and code is not None:
                where, params = f"where {MUNICIPALITY_COLUMN} = ?", [code]
            elif t.kind in ("detail", "withheld"):
                where, params = "where false", []
            else:  # public reference data and county-level aggregates
                where, params = "", []
            con.execute(
                f"create table {alias}.{t.qualified} as select * from {src} {where}", params
            )
            if t.kind == "detail":
                (n, foreign) = con.execute(
                    f"select count(*), count(*) filter ({MUNICIPALITY_COLUMN} "
                    f"is distinct from ?) from {alias}.{t.qualified}",
                    [code],
                ).fetchone()
                if t.schema == PUBLISHED_SCHEMA:
                    rows[t.name] = n
                if foreign:
                    raise PublishError(
                        f"{path.name}: {foreign} foreign rows in {t.schema}.{t.name}"
                    )
        if _schema(con, alias) != county_schema:
            raise PublishError(f"{path.name}: schema differs from the county file")
        con.execute(f"checkpoint {alias}")
    finally:
        con.execute(f"detach {alias}")
    return rows


def _schema(con: duckdb.DuckDBPyConnection, database: str) -> list[tuple]:
    return con.execute(
        "select schema_name, table_name, column_index, column_name, data_type "
        "from duckdb_columns() where database_name = ? and list_contains(?, schema_name) "
        "order by all",
        [database, list(PUBLISHED_SCHEMAS)],
    ).fetchall()


def verify_municipality_file(path: Path, code: str | None, county_schema: list[tuple]) -> None:
    """Raise unless ``path`` has the county file's schema and no other municipality's rows."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        db = con.execute("select current_database()").fetchone()[0]
        if _schema(con, db) != county_schema:
            raise PublishError(f"{path.name}: schema differs from the county file")
        for schema, table in con.execute(
            "select distinct schema_name, table_name from duckdb_columns() "
            "where list_contains(?, schema_name) and column_name = ? order by all",
            [list(PUBLISHED_SCHEMAS), MUNICIPALITY_COLUMN],
        ).fetchall():
            if f"{schema}.{table}" in PUBLIC_TABLES:
                continue
            (foreign,) = con.execute(
                f'select count(*) from {schema}."{table}" '
                f"where {MUNICIPALITY_COLUMN} is distinct from ?",
                [code],
            ).fetchone()
            if foreign:
                raise PublishError(f"{path.name}: {foreign} foreign rows in {schema}.{table}")
    finally:
        con.close()


def _new_build_id() -> str:
    now = dt.datetime.now(dt.UTC)
    return f"{now:%Y%m%dT%H%M%S%f}Z-{secrets.token_hex(3)}"


def _clean(warehouse: Path, current: str) -> None:
    gens = sorted(p for p in warehouse.glob(f"{GENERATION_PREFIX}*") if p.is_dir())
    keep = {p.name for p in gens[-KEEP_GENERATIONS:]} | {current}
    for p in gens:
        if p.name not in keep:
            shutil.rmtree(p, ignore_errors=True)


def publish(settings: Settings) -> Path:
    """Write a new generation (county file + one file per municipality), check it, swap
    ``warehouse/current`` to it atomically, and return ``settings.published_db`` (a symlink
    through ``current``). Readers see either the old generation or the new one, whole."""
    build_db = settings.build_db
    if not build_db.exists():
        raise FileNotFoundError(f"no build file at {build_db}")
    warehouse = settings.warehouse_dir
    warehouse.mkdir(parents=True, exist_ok=True)
    # leftovers of a publish killed midway (one publisher at a time: the build lock)
    for stale in warehouse.glob(f".{GENERATION_PREFIX}*.tmp"):
        shutil.rmtree(stale, ignore_errors=True)
    for stale in warehouse.glob(".*.lnk"):
        stale.unlink(missing_ok=True)
    legacy_tmp = warehouse / f".{settings.published_db.name}.tmp"
    for stale in (legacy_tmp, legacy_tmp.with_name(legacy_tmp.name + ".wal")):
        stale.unlink(missing_ok=True)

    build_id = _new_build_id()
    name = GENERATION_PREFIX + build_id
    tmp = warehouse / f".{name}.tmp"
    (tmp / MUNICIPALITY_DIR).mkdir(parents=True)
    try:
        county = tmp / settings.published_db.name
        con = duckdb.connect(str(county))
        try:
            # attached under its own name: dbt's reporting views name their marts
            # "<build file's name>".marts.<table>
            build = build_db.stem
            con.execute(f"attach '{build_db}' as \"{build}\" (read_only)")
            plan = _plan(con, build)
            if not any(t.schema == PUBLISHED_SCHEMA for t in plan):
                raise RuntimeError(f"the build file has no tables in schema {PUBLISHED_SCHEMA}")
            _copy_county(con, plan, build)
            con.execute(f'detach "{build}"')
            con.execute("checkpoint")
            county_schema = _schema(con, con.execute("select current_database()").fetchone()[0])
            codes = [
                r[0]
                for r in con.execute(
                    f"select {MUNICIPALITY_COLUMN} from {PUBLISHED_SCHEMA}.dim_municipality "
                    "order by 1"
                ).fetchall()
            ]
            with_detail: set[str] = set()
            for t in plan:
                if t.kind == "detail" and t.schema == PUBLISHED_SCHEMA:
                    with_detail |= {
                        r[0]
                        for r in con.execute(
                            f"select distinct {MUNICIPALITY_COLUMN} "
                            f"from {t.qualified} "
                            f"where {MUNICIPALITY_COLUMN} is not null"
                        ).fetchall()
                    }
            known = set(codes)
            no_detail = tmp / MUNICIPALITY_DIR / NO_DETAIL
            todo = [(no_detail, None)] + [
                (municipality_file(tmp, c), c) for c in sorted(with_detail & known)
            ]

            def write(item: tuple[Path, str | None]) -> dict[str, int]:
                cur = con.cursor()  # one connection per thread, the same database
                try:
                    return _write_municipality(cur, item[0], plan, item[1], county_schema)
                finally:
                    cur.close()

            with ThreadPoolExecutor(max_workers=PUBLISH_THREADS) as pool:
                written = list(pool.map(write, todo))
            detail_rows = {c: r for (_, c), r in zip(todo, written, strict=True) if c}
        finally:
            con.close()
        for code in codes:  # the same file for every municipality with nothing delivered yet
            target = municipality_file(tmp, code)
            if code not in detail_rows:
                try:
                    os.link(no_detail, target)
                except OSError:
                    shutil.copyfile(no_detail, target)
        manifest = {
            "build_id": build_id,
            "published_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "county_file": county.name,
            "tables": {
                t.name if t.schema == PUBLISHED_SCHEMA else f"{t.schema}.{t.name}": t.kind
                for t in plan
            },
            "municipalities_with_detail": detail_rows,
            "municipality_files": len(codes),
            "unknown_codes_left_out": sorted(with_detail - known),
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        _fsync_tree(tmp)
        final = warehouse / name
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _fsync_dir(warehouse)
    _swap_symlink(warehouse / CURRENT, name)  # the one step that publishes everything
    target = f"{CURRENT}/{settings.published_db.name}"
    published = settings.published_db
    if not (published.is_symlink() and os.readlink(published) == target):
        _swap_symlink(published, target)  # once: a plain file of the old layout is replaced
    _fsync_dir(warehouse)
    _clean(warehouse, name)
    return published
