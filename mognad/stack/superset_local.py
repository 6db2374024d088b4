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

import hashlib
import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from mognad.config import Settings
from mognad.secrets import ensure_secrets, read_secrets
from mognad.stack.superset_access import access_spec, setup_access
from mognad.stack.superset_assets import assets_hash, import_assets
from mognad.stack.superset_base import (
    ADMIN_USER,
    MARKER,
    SCRIPTS,
    Progress,
    SupersetError,
    _admin_exists,
    _dashboard_exists,
    _run,
    metadata_db,
    superset_bin,
    superset_env,
    superset_version,
)

# --- setup ------------------------------------------------------------------------------------


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
                [str(superset_bin("python")), str(SCRIPTS / "create_admin.py")],
                {**env, "MOGNAD_ADMIN_USER": ADMIN_USER},
                "create admin user",
                stdin="",
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
