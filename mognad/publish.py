"""Publish the validated marts: copy schema `marts` into a fresh file and swap it in atomically."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from mognad.config import Settings

PUBLISHED_SCHEMA = "marts"


def publish(settings: Settings) -> Path:
    """Copy only schema `marts` from the build file into `warehouse/.mognad.duckdb.tmp`,
    CHECKPOINT, close, then `os.replace` it over the published file. Readers see either the
    old file or the new one, never a half-written one."""
    build_db = settings.build_db
    if not build_db.exists():
        raise FileNotFoundError(f"no build file at {build_db}")
    target = settings.published_db
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.tmp"
    for stale in (tmp, tmp.with_name(tmp.name + ".wal")):
        stale.unlink(missing_ok=True)

    con = duckdb.connect(str(tmp))
    try:
        con.execute(f"attach '{build_db}' as build (read_only)")
        tables = [
            r[0]
            for r in con.execute(
                "select table_name from duckdb_tables() "
                "where database_name = 'build' and schema_name = ? order by table_name",
                [PUBLISHED_SCHEMA],
            ).fetchall()
        ]
        if not tables:
            raise RuntimeError(f"the build file has no tables in schema {PUBLISHED_SCHEMA}")
        con.execute(f"create schema {PUBLISHED_SCHEMA}")
        for table in tables:
            con.execute(
                f'create table {PUBLISHED_SCHEMA}."{table}" as '
                f'select * from build.{PUBLISHED_SCHEMA}."{table}"'
            )
        con.execute("detach build")
        con.execute("checkpoint")
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        raise
    con.close()
    os.replace(tmp, target)
    return target
