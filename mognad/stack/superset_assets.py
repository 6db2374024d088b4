"""TODO docstring."""

from __future__ import annotations

import hashlib
import json
import os
import re
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


MART_REF = re.compile(r"\bmarts\.(\w+)", re.IGNORECASE)


def published_marts(settings: Settings) -> set[str] | None:
    """Tables in the published warehouse's ``marts`` schema (None when it cannot be read)."""
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
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts'"
        ).fetchall()
    finally:
        con.close()
    return {r[0] for r in rows}


def waiting_datasets(settings: Settings) -> dict[str, list[str]]:
    """Datasets whose SQL reads a mart the published warehouse does not have yet."""
    marts = published_marts(settings)
    if marts is None:
        return {}
    out = {}
    for path in sorted((assets_dir(settings) / "datasets").rglob("*.yaml")):
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
        missing = sorted({t for t in MART_REF.findall(config.get("sql") or "")} - marts)
        if missing:
            out[config["table_name"]] = missing
    return out


def _empty_select(config: dict) -> str:
    """A typed query with the dataset's columns and no rows (for a mart not built yet)."""
    cols = ",\n  ".join(
        f"CAST(NULL AS {c.get('type') or 'VARCHAR'}) AS {c['column_name']}"
        for c in config["columns"]
    )
    return f"SELECT\n  {cols}\nWHERE false\n"


def render_assets(settings: Settings, target: Path) -> Path:
    """Copy the asset bundle to ``target`` with the warehouse path filled in.

    A dataset reading a mart the published warehouse does not have yet gets a typed empty
    query instead, so its charts say "no data" rather than fail; the next setup after the
    mart lands re-imports the real SQL (the missing marts are part of :func:`assets_hash`).
    """
    src = assets_dir(settings)
    shutil.copytree(src, target)
    waiting = waiting_datasets(settings)
    for path in (target / "datasets").rglob("*.yaml"):
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
        if config["table_name"] in waiting:
            config["sql"] = _empty_select(config)
            config["description"] = (
                f"Väntar på {', '.join('marts.' + t for t in waiting[config['table_name']])}. "
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
