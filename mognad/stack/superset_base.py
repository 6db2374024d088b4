"""TODO docstring."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import uuid as uuid_mod
from collections.abc import Callable
from pathlib import Path

from mognad.config import PROJECT_DIR, Settings
from mognad.secrets import read_secrets

SUPERSET_VENV = Path(os.environ.get("MOGNAD_SUPERSET_VENV") or PROJECT_DIR / ".venv" / "superset")


WAREHOUSE_PLACEHOLDER = "${MOGNAD_WAREHOUSE}"


DASHBOARD_UUID = "3f0c6a52-7d4e-4b8a-9c1d-6d2b8a1e0030"


DASHBOARD_SLUG = "digital-mognad"


ADMIN_USER = "admin"


MARKER = ".mognad-setup.json"


SECRET_KEYS = (
    "SUPERSET_SECRET_KEY",
    "SUPERSET_ADMIN_PASSWORD",
    "SUPERSET_GUEST_TOKEN_SECRET",
    "SUPERSET_DEMO_PASSWORD",
)


DASHBOARD_SLUGS = (
    "digital-mognad",
    "utveckling",
    "malgrupper",
    "kompetensinsatser",
    "svarsfrekvens",
    "dataleveranser",
)


COUNTY_CODE = "22"  # Västernorrland: the county role and the demo users


DEMO_USERS = (("lan", None), ("sundsvall", "2281"), ("ange", "2260"))


Progress = Callable[[str], None]


class SupersetError(RuntimeError):
    """A Superset CLI step failed; the message carries the tail of its output."""


def superset_bin(name: str = "superset") -> Path:
    return SUPERSET_VENV / "bin" / name


def superset_env(settings: Settings) -> dict[str, str]:
    """Environment for every Superset subprocess (CLI, gunicorn)."""
    secrets = read_secrets(settings.secrets_file)
    missing = [k for k in SECRET_KEYS if not secrets.get(k)]
    if missing:
        raise SupersetError(
            f"missing {', '.join(missing)} in {settings.secrets_file}; run setup first"
        )
    env = {
        k: v
        for k, v in os.environ.items()
        # never leak the pipeline venv or another Superset's settings into Superset's
        if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "SUPERSET_HOME")
        and not k.startswith("SUPERSET_")
    }
    if os.environ.get("SUPERSET_DATABASE_URI"):  # PostgreSQL metadata in the cluster
        env["SUPERSET_DATABASE_URI"] = os.environ["SUPERSET_DATABASE_URI"]
    env.update({k: secrets[k] for k in SECRET_KEYS})
    env.update(
        {
            "SUPERSET_CONFIG_PATH": str(settings.superset_dir / "superset_config.py"),
            "MOGNAD_SUPERSET_HOME": str(settings.superset_home),
            "SUPERSET_HOME": str(settings.superset_home),
            "MOGNAD_WAREHOUSE": os.path.abspath(settings.published_db),
            "FLASK_APP": "superset.app:create_app()",
            "PATH": f"{SUPERSET_VENV / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
            "VIRTUAL_ENV": str(SUPERSET_VENV),
            "SCARF_ANALYTICS": "false",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def superset_version() -> str:
    """The installed apache-superset version, read from its dist-info (no import)."""
    found = sorted(SUPERSET_VENV.glob("lib/python*/site-packages/apache_superset-*.dist-info"))
    if not found:
        raise SupersetError(f"apache-superset is not installed in {SUPERSET_VENV}")
    return found[-1].name.removeprefix("apache_superset-").removesuffix(".dist-info")


def _run(args: list[str], env: dict[str, str], what: str, stdin: str | None = None) -> str:
    proc = subprocess.run(
        args,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        cwd=env["MOGNAD_SUPERSET_HOME"],
    )
    out = (proc.stdout or "") + (proc.stderr or "")
    if proc.returncode != 0:
        tail = "\n".join(out.strip().splitlines()[-25:])
        raise SupersetError(f"{what} failed (exit {proc.returncode}):\n{tail}")
    return out


def metadata_db(settings: Settings) -> Path:
    return settings.superset_home / "superset.db"


def _query(settings: Settings, sql: str, params: tuple = ()) -> list[tuple]:
    path = metadata_db(settings)
    if not path.exists():
        return []
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return con.execute(sql, params).fetchall()
    except sqlite3.Error:
        return []
    finally:
        con.close()


def _admin_exists(settings: Settings) -> bool:
    return bool(_query(settings, "SELECT 1 FROM ab_user WHERE username = ?", (ADMIN_USER,)))


def _dashboard_exists(settings: Settings) -> bool:
    rows = _query(
        settings,
        "SELECT 1 FROM dashboards WHERE uuid = ?",
        (uuid_mod.UUID(DASHBOARD_UUID).bytes,),
    )
    return bool(rows)


def asset_counts(settings: Settings) -> dict[str, int]:
    """Rows in the metadata database per asset kind (for checks and tests)."""
    out = {}
    for name, table in (
        ("databases", "dbs"),
        ("datasets", "tables"),
        ("charts", "slices"),
        ("dashboards", "dashboards"),
        ("dashboard_charts", "dashboard_slices"),
    ):
        rows = _query(settings, f"SELECT count(*) FROM {table}")  # noqa: S608
        out[name] = rows[0][0] if rows else 0
    return out


# Code that runs inside Superset (its virtualenv, its app context) lives in real files,
# linted like the rest, and is run by Superset's interpreter; the pipeline never imports it.
SCRIPTS = Path(__file__).resolve().parent / "superset_scripts"
