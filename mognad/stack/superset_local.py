"""Set up, import the dashboards into, and start Superset — from the pipeline side.

Superset lives in its own virtualenv (it brings SQLAlchemy 1.4); this module never imports
it. Every step runs Superset's own CLI (or its Python) in that venv through ``subprocess``,
with the environment from :func:`superset_env`.

Assets (database, datasets, charts, six dashboards) are kept as an unzipped export bundle in
``superset/assets/`` (written by ``superset/generate_assets.py``), matched by UUID. Setup also
creates a role per municipality with row-level security, the county role and the demo users
(:func:`setup_access`, :func:`demo_users`). The database URI there names the warehouse,
``duckdb:///mognad.duckdb``, and holds no path (exports carry it): Superset's
``DB_CONNECTION_MUTATOR`` opens ``MOGNAD_WAREHOUSE`` (``Settings.published_db``) for the
county, or the user's own municipality file. A ``${MOGNAD_WAREHOUSE}`` placeholder in an
asset is still filled in from ``Settings.published_db`` at import time.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid as uuid_mod
from collections.abc import Callable
from pathlib import Path

import yaml

from mognad.config import PROJECT_DIR, Settings
from mognad.secrets import ensure_secrets, read_secrets

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


# --- environment -----------------------------------------------------------------------------
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


# --- metadata database helpers (plain sqlite3, read only) -------------------------------------
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


# --- assets ---------------------------------------------------------------------------------
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


# --- setup ------------------------------------------------------------------------------------
_CREATE_ADMIN = """
import os, sys
from superset.app import create_app
app = create_app()
with app.app_context():
    from superset.extensions import security_manager as sm
    if sm.find_user(username=os.environ["MOGNAD_ADMIN_USER"]) is None:
        user = sm.add_user(
            os.environ["MOGNAD_ADMIN_USER"], "Admin", "mognad", "admin@mognad.invalid",
            sm.find_role("Admin"), password=os.environ["SUPERSET_ADMIN_PASSWORD"],
        )
        if not user:
            sys.exit("could not create the admin user")
        print("created admin user")
"""


def _read_marker(settings: Settings) -> dict:
    path = settings.superset_home / MARKER
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _write_marker(settings: Settings, marker: dict) -> None:
    path = settings.superset_home / MARKER
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(marker, indent=2), encoding="utf-8")
    os.replace(tmp, path)


def setup(settings: Settings, progress: Progress = print, force: bool = False) -> dict[str, float]:
    """Idempotent: migrate, create ``admin`` if missing, init roles, import the assets.

    Steps already done for this Superset version (and these assets and warehouse path) are
    skipped, using a marker in ``superset_home`` checked against the metadata database.
    ``force`` re-runs every step. Returns seconds per step that ran.
    """
    timings: dict[str, float] = {}
    settings.superset_home.mkdir(parents=True, exist_ok=True)
    ensure_secrets(settings.secrets_file)
    env = superset_env(settings)
    version = superset_version()
    marker = _read_marker(settings)
    schema_ready = (
        not force and metadata_db(settings).exists() and marker.get("superset") == version
    )

    def step(name: str, fn: Callable[[], object]) -> None:
        progress(f"superset: {name} …")
        t0 = time.monotonic()
        fn()
        timings[name] = round(time.monotonic() - t0, 1)
        progress(f"superset: {name} done in {timings[name]} s")

    if not schema_ready:
        marker = {}
        step(
            "db upgrade",
            lambda: _run([str(superset_bin()), "db", "upgrade"], env, "superset db upgrade"),
        )
    if not _admin_exists(settings):
        step(
            "create admin",
            lambda: _run(
                [str(superset_bin("python")), "-"],
                {**env, "MOGNAD_ADMIN_USER": ADMIN_USER},
                "create admin user",
                stdin=_CREATE_ADMIN,
            ),
        )
        if not _admin_exists(settings):
            raise SupersetError("admin user still missing after creating it")
    if not schema_ready:
        step("init", lambda: _run([str(superset_bin()), "init"], env, "superset init"))
        marker = {"superset": version}
        _write_marker(settings, marker)

    digest = assets_hash(settings)
    if force or marker.get("assets") != digest or not _dashboard_exists(settings):
        step("import assets", lambda: import_assets(settings, env))
        marker["assets"] = digest
        marker.pop("access", None)
        _write_marker(settings, marker)
    else:
        progress("superset: assets up to date")
    access = hashlib.sha256(
        json.dumps(access_spec(settings), sort_keys=True).encode()
        + read_secrets(settings.secrets_file)["SUPERSET_DEMO_PASSWORD"].encode()
    ).hexdigest()
    if force or marker.get("access") != access:
        step("roles and row-level security", lambda: setup_access(settings, env))
        marker["access"] = access
        _write_marker(settings, marker)
    return timings


# --- access: a role per municipality, row-level security, demo users --------------------------
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


_ACCESS = """
import json, os, sys, time
from superset.app import create_app
app = create_app()
with app.app_context():
    from superset.extensions import db, security_manager as sm
    from superset.connectors.sqla.models import RowLevelSecurityFilter, SqlaTable
    from superset.models.core import Database
    from superset.utils.core import RowLevelSecurityFilterType

    spec = json.load(sys.stdin)
    t0 = time.monotonic()
    database = db.session.query(Database).filter_by(database_name="mognad").one()
    db_pv = sm.add_permission_view_menu("database_access", database.perm)
    tables = [
        t for t in db.session.query(SqlaTable).filter_by(database_id=database.id).all()
        if any(c.column_name == "municipality_code" for c in t.columns)
    ]
    gamma = sm.find_role("Gamma")
    sql_lab = sm.find_role("sql_lab")

    def role(name):
        r = sm.find_role(name) or sm.add_role(name)
        if db_pv not in r.permissions:
            r.permissions.append(db_pv)
        return r

    existing = {f.name: f for f in db.session.query(RowLevelSecurityFilter).all()}
    for m in spec["municipalities"]:
        r = role(m["role"])
        name = "kommun " + m["code"]
        f = existing.get(name) or RowLevelSecurityFilter(name=name)
        f.filter_type = RowLevelSecurityFilterType.REGULAR
        f.group_key = "municipality_code"
        f.clause = "municipality_code = '%s'" % m["code"]
        f.description = "Kommunens användare ser bara kommunens rader."
        f.roles = [r]
        f.tables = list(tables)
        db.session.add(f)
    county = role(spec["county_role"])
    db.session.commit()

    password = os.environ["SUPERSET_DEMO_PASSWORD"]
    for u in spec["users"]:
        roles = [gamma, sm.find_role(u["role"])] + ([sql_lab] if u["county"] else [])
        user = sm.find_user(username=u["username"])
        if user is None:
            user = sm.add_user(u["username"], u["username"], "demo",
                               u["username"] + "@mognad.invalid", roles, password=password)
            if not user:
                sys.exit("could not create user " + u["username"])
        else:
            user.roles = roles
            sm.update_user(user)
            sm.reset_password(user.id, password)
    db.session.commit()
    summary = {"roles": len(spec["municipalities"]) + 1, "rls_tables": len(tables),
               "seconds": round(time.monotonic() - t0, 1)}
    print("MOGNAD_ACCESS " + json.dumps(summary))
"""


def setup_access(settings: Settings, env: dict[str, str] | None = None) -> dict:
    """Idempotent: municipality and county roles, RLS on every dataset, demo users."""
    env = env or superset_env(settings)
    out = _run(
        [str(superset_bin("python")), "-c", _ACCESS],
        env,
        "superset access setup",
        stdin=json.dumps(access_spec(settings)),
    )
    lines = [ln for ln in out.splitlines() if ln.startswith("MOGNAD_ACCESS ")]
    if not lines:
        raise SupersetError(f"superset access setup printed no summary:\n{out[-2000:]}")
    return json.loads(lines[-1].removeprefix("MOGNAD_ACCESS "))


# --- running ------------------------------------------------------------------------------------
def start(
    settings: Settings,
    port: int = 8088,
    host: str = "127.0.0.1",
    workers: int = 2,
    config_path: Path | None = None,
    log_name: str = "superset.log",
) -> subprocess.Popen:
    """Start Superset under gunicorn; output goes to ``superset_home/<log_name>``.

    ``config_path`` replaces ``superset/superset_config.py`` (tests). The process leads its
    own process group; stop it with :func:`stop`.
    """
    env = superset_env(settings)
    if config_path is not None:
        env["SUPERSET_CONFIG_PATH"] = str(config_path)
    settings.superset_home.mkdir(parents=True, exist_ok=True)
    log = open(settings.superset_home / log_name, "ab")  # noqa: SIM115
    args = [
        str(superset_bin("gunicorn")),
        "-w",
        str(workers),
        "-k",
        "gthread",
        "--threads",
        "4",
        "--timeout",
        "120",
        "--no-control-socket",
        "-b",
        f"{host}:{port}",
        "--limit-request-line",
        "0",
        "--limit-request-field_size",
        "0",
        "superset.app:create_app()",
    ]
    try:
        return subprocess.Popen(
            args,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=settings.superset_home,
            start_new_session=True,
        )
    finally:
        log.close()


def stop(proc: subprocess.Popen, timeout: float = 20) -> None:
    """Stop a server from :func:`start` (its whole process group), gracefully first."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(5)


def wait_healthy(url: str, timeout: float = 90, proc: subprocess.Popen | None = None) -> float:
    """Poll ``url``/health until it answers ``OK``; returns seconds waited."""
    health = url.rstrip("/") + "/health"
    t0 = time.monotonic()
    last = ""
    while time.monotonic() - t0 < timeout:
        if proc is not None and proc.poll() is not None:
            raise SupersetError(f"Superset exited with {proc.returncode} before it was healthy")
        try:
            with urllib.request.urlopen(health, timeout=5) as resp:  # noqa: S310
                if resp.status == 200:
                    return round(time.monotonic() - t0, 1)
                last = f"HTTP {resp.status}"
        except (urllib.error.URLError, OSError) as ex:
            last = str(ex)
        time.sleep(0.5)
    raise SupersetError(f"Superset not healthy at {health} after {timeout} s ({last})")


# --- chart data queries (tests and bench) -------------------------------------------------------
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
