"""The Superset asset bundle (superset/assets, written by superset/generate_assets.py):
its fingerprint, the datasets still waiting for a published table, rendering (the warehouse
path filled in) and ``superset import-directory``."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import yaml

from mognad.config import Settings
from mognad.stack.superset_base import (
    WAREHOUSE_PLACEHOLDER,
    SupersetError,
    _dashboard_exists,
    _run,
    superset_bin,
    superset_env,
)


def assets_dir(settings: Settings) -> Path:
    return settings.superset_dir / "assets"


def assets_hash(settings: Settings) -> str:
    h = hashlib.sha256()
    root = assets_dir(settings)
    for path in sorted(root.rglob("*.yaml")):
        h.update(str(path.relative_to(root)).encode())
        h.update(b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")
    h.update(str(settings.published_db).encode())
    h.update(json.dumps(waiting_datasets(settings), sort_keys=True).encode())
    return h.hexdigest()


def published_relations(settings: Settings) -> set[str] | None:
    """``schema.table`` of every table in the published warehouse (None when it cannot be
    read)."""
    path = Path(settings.published_db)
    if not path.exists():
        return None
    import duckdb

    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return None
    try:
        rows = con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_catalog = current_database()"
        ).fetchall()
    finally:
        con.close()
    return {f"{schema}.{table}" for schema, table in rows}


def dataset_needs(config: dict) -> list[str]:
    """The relations a dataset reads: its own table (a physical dataset on a reporting
    model) and, from the dbt manifest (superset/generate_assets.py writes them into the
    dataset's ``extra``), the relations that model is built from."""
    own = f"{config.get('schema')}.{config['table_name']}"
    extra = config.get("extra") or {}
    if isinstance(extra, str):
        extra = json.loads(extra or "{}")
    return [own, *(extra.get("dbt") or {}).get("depends_on", [])]


def waiting_datasets(settings: Settings) -> dict[str, list[str]]:
    """Datasets whose table (or a mart it is built from) the published warehouse does not
    have yet: dataset → the missing relations."""
    published = published_relations(settings)
    if published is None:
        return {}
    out = {}
    for path in sorted((assets_dir(settings) / "datasets").rglob("*.yaml")):
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
        missing = [r for r in dataset_needs(config) if r not in published]
        if missing:
            out[config["table_name"]] = missing
    return out


def _empty_select(config: dict) -> str:
    """A typed query with the dataset's columns and no rows (for a table not published yet)."""
    cols = ",\n  ".join(
        f"CAST(NULL AS {c.get('type') or 'VARCHAR'}) AS {c['column_name']}"
        for c in config["columns"]
    )
    return f"SELECT\n  {cols}\nWHERE false\n"


def render_assets(settings: Settings, target: Path) -> Path:
    """Copy the asset bundle to ``target`` with the warehouse path filled in.

    A dataset whose table the published warehouse does not have yet (a warehouse published
    before the reporting layer, or a new model) becomes a virtual dataset with a typed empty
    query, so its charts say "no data" rather than fail; the next setup after the table
    lands re-imports the physical dataset (the missing relations are part of
    :func:`assets_hash`).
    """
    src = assets_dir(settings)
    shutil.copytree(src, target)
    waiting = waiting_datasets(settings)
    for path in (target / "datasets").rglob("*.yaml"):
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
        if config["table_name"] in waiting:
            config["sql"] = _empty_select(config)
            config["description"] = (
                f"Väntar på / waiting for {', '.join(waiting[config['table_name']])}. "
                + (config.get("description") or "")
            )
            path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), "utf-8")
    for path in (target / "databases").glob("*.yaml"):
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
        uri = config.get("sqlalchemy_uri", "")
        if WAREHOUSE_PLACEHOLDER in uri:
            config["sqlalchemy_uri"] = uri.replace(
                # absolute but not resolved: the published file is a symlink through
                # warehouse/current, which moves to each new generation
                WAREHOUSE_PLACEHOLDER,
                os.path.abspath(settings.published_db),
            )
        path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), "utf-8")
    leftovers = [
        str(p) for p in target.rglob("*.yaml") if WAREHOUSE_PLACEHOLDER in p.read_text("utf-8")
    ]
    if leftovers:
        raise SupersetError(f"placeholder left unrendered in {leftovers}")
    return target


def import_assets(settings: Settings, env: dict[str, str] | None = None) -> None:
    """Import (overwrite by UUID) the database, datasets, charts and dashboards."""
    env = env or superset_env(settings)
    with tempfile.TemporaryDirectory(prefix="mognad-superset-assets-") as tmp:
        bundle = render_assets(settings, Path(tmp) / "assets")
        out = _run(
            [str(superset_bin()), "import-directory", "-o", str(bundle)],
            env,
            "superset import-directory",
        )
    # import-directory logs errors but exits 0: check the output and the result.
    if "An error occurred" in out or "Traceback" in out:
        tail = "\n".join(out.strip().splitlines()[-25:])
        raise SupersetError(f"superset import-directory failed:\n{tail}")
    if not _dashboard_exists(settings):
        raise SupersetError("superset import-directory finished but the dashboard is missing")
