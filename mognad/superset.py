"""Set up, import the dashboards into, and start Superset — from the pipeline side.

Superset lives in its own virtualenv (it brings SQLAlchemy 1.4); this module never imports
it. Every step runs Superset's own CLI (or its Python) in that venv through ``subprocess``,
with the environment from :func:`superset_env`.

Assets (database, dataset, charts, dashboard) are kept as an unzipped export bundle in
``superset/assets/``, matched by UUID. The database URI there is a placeholder,
``duckdb:///${MOGNAD_WAREHOUSE}``, filled in from ``Settings.published_db`` in a temporary
copy at import time, so no machine path is committed.
"""

from __future__ import annotations

import hashlib
import json
import os
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
)

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
    env.update({k: secrets[k] for k in SECRET_KEYS})
    env.update(
        {
            "SUPERSET_CONFIG_PATH": str(settings.superset_dir / "superset_config.py"),
            "MOGNAD_SUPERSET_HOME": str(settings.superset_home),
            "SUPERSET_HOME": str(settings.superset_home),
            "MOGNAD_WAREHOUSE": str(settings.published_db),
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
    return h.hexdigest()


def render_assets(settings: Settings, target: Path) -> Path:
    """Copy the asset bundle to ``target`` with the warehouse path filled in."""
    src = assets_dir(settings)
    shutil.copytree(src, target)
    for path in (target / "databases").glob("*.yaml"):
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
        uri = config.get("sqlalchemy_uri", "")
        if WAREHOUSE_PLACEHOLDER in uri:
            config["sqlalchemy_uri"] = uri.replace(
                WAREHOUSE_PLACEHOLDER, str(Path(settings.published_db).resolve())
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
        _write_marker(settings, marker)
    else:
        progress("superset: assets up to date")
    return timings


# --- running ------------------------------------------------------------------------------------
def start(
    settings: Settings,
    port: int = 8088,
    host: str = "127.0.0.1",
    workers: int = 2,
) -> subprocess.Popen:
    """Start Superset under gunicorn; output goes to ``superset_home/superset.log``.

    The process leads its own process group; stop it with :func:`stop`.
    """
    env = superset_env(settings)
    settings.superset_home.mkdir(parents=True, exist_ok=True)
    log = open(settings.superset_home / "superset.log", "ab")  # noqa: SIM115
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
