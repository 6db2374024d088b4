"""Run Airflow for mognad: environment, one-time setup, `airflow standalone`, triggering.

The pipeline virtualenv holds Airflow; everything here runs its CLI as subprocesses so the
same code serves `mognad demo`, the scripts and the tests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import requests

from mognad.config import Settings
from mognad.secrets import read_secrets

DAG_ID = "mognad_pipeline"  # one-shot: ingest → build → validate → publish (demo, e2e fixture)
INGEST_DAG_ID = "mognad_ingest"  # event-driven (AssetWatcher on the inboxes)
BUILD_DAG_ID = "mognad_build"  # data-aware (scheduled on the raw feed Assets)
NIGHTLY_DAG_ID = "mognad_nightly"  # 02:00 Europe/Stockholm: pull HTTP sources, full rebuild
EVENT_DAG_IDS = (INGEST_DAG_ID, BUILD_DAG_ID)
INBOX_ASSET_NAME = "mognad_inbox"  # = mognad.orchestration.assets.INBOX_ASSET_NAME
WAREHOUSE_POOL = "mognad_warehouse"
HTTP_POOL = "mognad_http"
HTTP_POOL_SLOTS = 4


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def airflow_env(settings: Settings, port: int = 8080) -> dict[str, str]:
    secrets = read_secrets(settings.secrets_file)
    home = settings.airflow_home
    env = dict(os.environ)
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "MOGNAD_HOME": str(settings.home),
            "MOGNAD_SECRETS_FILE": str(settings.secrets_file),
            "MOGNAD_SETTLE_SECONDS": str(settings.settle_seconds),
            "MOGNAD_MIN_CELL": str(settings.min_cell),
            "AIRFLOW__CORE__DAGS_FOLDER": str(settings.dags_dir),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(home / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": "4",
            "AIRFLOW__CORE__DEFAULT_TIMEZONE": "Europe/Stockholm",
            "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "60",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
            "AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL": "30",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "30",
            "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
            # cosmos' watcher producer would otherwise rewrite its whole XCom backup (a growing
            # Airflow Variable) after every one of ~400 XCom pushes; it still writes the backup
            # once when the producer fails (docs/orchestration.md).
            "AIRFLOW__COSMOS__ENABLE_WATCHER_RELIABLE_RETRY": "False",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
            # the scheduler's and the triggerer's log servers next to the API port, so two
            # instances on one machine (the demo and a test, or two tests) do not collide
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(8793 if port == 8080 else port + 1),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(8794 if port == 8080 else port + 2),
            "NO_PROXY": "*",
            # `airflow standalone` starts its components as `airflow …` from PATH
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        }
    )
    for name, var in (
        ("AIRFLOW_FERNET_KEY", "AIRFLOW__CORE__FERNET_KEY"),
        ("AIRFLOW_API_SECRET_KEY", "AIRFLOW__API__SECRET_KEY"),
        ("AIRFLOW_JWT_SECRET", "AIRFLOW__API_AUTH__JWT_SECRET"),
    ):
        if secrets.get(name):
            env[var] = secrets[name]
    return env


def cluster_env(
    settings: Settings, port: int, database_url: str, broker_url: str
) -> dict[str, str]:
    """The scale-out configuration: CeleryExecutor on Redis, PostgreSQL metadata.

    `database_url` is a SQLAlchemy URL (`postgresql+psycopg2://user:pw@host/db`); the Celery
    result backend uses the same database. Every component gets the same values, including
    the execution API URL and the JWT/API secrets (docs/orchestration.md)."""
    env = airflow_env(settings, port)
    result_backend = "db+" + database_url.replace("postgresql+psycopg2://", "postgresql://")
    env.update(
        {
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": database_url,
            "AIRFLOW__CELERY__BROKER_URL": broker_url,
            "AIRFLOW__CELERY__RESULT_BACKEND": result_backend,
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": "2",
            "AIRFLOW__CORE__PARALLELISM": "8",
            "AIRFLOW__API__WORKERS": "1",
        }
    )
    return env


def run_cli(
    settings: Settings,
    *args: str,
    port: int = 8080,
    check: bool = True,
    env: dict[str, str] | None = None,
    **kw,
):
    return subprocess.run(
        [_bin("airflow"), *args],
        env=env or airflow_env(settings, port),
        check=check,
        text=True,
        capture_output=True,
        **kw,
    )


def write_manifest(settings: Settings, progress: Callable[[str], None] = print) -> Path | None:
    """dbt parse → dbt_project/target/manifest.json, which cosmos reads in `mognad_build`.

    Done here, never at DAG parse time. A failure is reported, not raised: the build DAG then
    falls back to one task running `mognad.build.dbt.run_dbt`."""
    from mognad.build.dbt import parse_dbt

    try:
        path = parse_dbt(settings)
    except Exception as exc:  # noqa: BLE001 - the DAG has a fallback
        progress(f"dbt manifest saknas / missing ({exc}); mognad_build kör dbt som en uppgift")
        return None
    progress(f"dbt manifest: {path}")
    return path


def setup(
    settings: Settings,
    progress: Callable[[str], None] = print,
    port: int = 8080,
    env: dict[str, str] | None = None,
) -> None:
    """Idempotent: metadata database, admin password file, pools, the dbt manifest."""
    home = settings.airflow_home
    (home / "plugins").mkdir(parents=True, exist_ok=True)
    secrets = read_secrets(settings.secrets_file)
    pw_file = home / "passwords.json"
    if secrets.get("AIRFLOW_ADMIN_PASSWORD"):
        pw_file.write_text(json.dumps({"admin": secrets["AIRFLOW_ADMIN_PASSWORD"]}))
        os.chmod(pw_file, 0o600)
    progress("Airflow: metadatadatabas / metadata database (airflow db migrate)")
    try:
        run_cli(settings, "db", "migrate", port=port, env=env)
        run_cli(
            settings,
            "pools",
            "set",
            WAREHOUSE_POOL,
            "1",
            "En skrivare åt gången i DuckDB / one DuckDB writer at a time",
            port=port,
            env=env,
        )
        run_cli(
            settings,
            "pools",
            "set",
            HTTP_POOL,
            str(HTTP_POOL_SLOTS),
            "Samtidiga HTTP-hämtningar / concurrent HTTP pulls",
            port=port,
            env=env,
        )
    except subprocess.CalledProcessError as exc:
        tail = (exc.stderr or exc.stdout or "").strip().splitlines()[-5:]
        raise RuntimeError("Airflow setup failed: " + " | ".join(tail)) from exc
    write_manifest(settings, progress)


def dags_test(settings: Settings, dag_id: str = DAG_ID, timeout: float = 900):
    """Run the DAG once with real Airflow (`airflow dags test`), in this process's view."""
    return run_cli(settings, "dags", "test", dag_id, check=False, timeout=timeout)


def start_standalone(settings: Settings, port: int = 8080) -> subprocess.Popen:
    log = settings.airflow_home / "standalone.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [_bin("airflow"), "standalone"],
        env=airflow_env(settings, port),
        stdout=open(log, "ab"),  # noqa: SIM115 - owned by the child process
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_healthy(port: int, timeout: float = 180, proc: subprocess.Popen | None = None) -> None:
    url = f"http://127.0.0.1:{port}/api/v2/monitor/health"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"Airflow stopped during start (exit {proc.returncode})")
        try:
            body = requests.get(url, timeout=5).json()
            if body.get("scheduler", {}).get("status") == "healthy":
                return
        except (requests.RequestException, ValueError):
            pass
        time.sleep(2)
    raise TimeoutError(f"Airflow was not healthy within {timeout:.0f} s ({url})")


class Api:
    """A small client for Airflow's REST API v2 with the SimpleAuthManager token."""

    def __init__(self, settings: Settings, port: int = 8080):
        self.base = f"http://127.0.0.1:{port}"
        password = read_secrets(settings.secrets_file)["AIRFLOW_ADMIN_PASSWORD"]
        r = requests.post(
            f"{self.base}/auth/token",
            json={"username": "admin", "password": password},
            timeout=30,
        )
        r.raise_for_status()
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {r.json()['access_token']}"

    def call(self, method: str, path: str, **kw) -> dict:
        r = self.session.request(method, f"{self.base}/api/v2{path}", timeout=30, **kw)
        r.raise_for_status()
        return r.json() if r.content else {}

    def wait_for_dag(self, dag_id: str, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self.call("GET", f"/dags/{dag_id}")
                return
            except requests.HTTPError:
                time.sleep(2)
        raise TimeoutError(f"DAG {dag_id} was not parsed within {timeout:.0f} s")

    def runs_after_success(self, dag_id: str, timeout: float = 120) -> list[dict]:
        """The DAG's runs, once one of them is marked successful (or the bound passes).

        A run's last task can finish (and its effect be visible) a moment before the
        scheduler marks the run itself successful."""
        deadline = time.monotonic() + timeout
        while True:
            runs = self.call("GET", f"/dags/{dag_id}/dagRuns")["dag_runs"]
            if any(r["state"] == "success" for r in runs) or time.monotonic() > deadline:
                return runs
            time.sleep(2)

    def trigger(self, dag_id: str) -> str:
        self.call("PATCH", f"/dags/{dag_id}", json={"is_paused": False})
        run = self.call("POST", f"/dags/{dag_id}/dagRuns", json={"logical_date": None})
        return run["dag_run_id"]

    def wait_run(
        self,
        dag_id: str,
        run_id: str,
        progress: Callable[[str], None] = print,
        timeout: float = 900,
    ) -> str:
        deadline = time.monotonic() + timeout
        seen: dict[str, str] = {}
        while time.monotonic() < deadline:
            tis = self.call("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances")
            for ti in tis.get("task_instances", []):
                state = ti.get("state") or "queued"
                if seen.get(ti["task_id"]) != state:
                    seen[ti["task_id"]] = state
                    progress(f"    {ti['task_id']}: {state}")
            state = self.call("GET", f"/dags/{dag_id}/dagRuns/{run_id}")["state"]
            if state in ("success", "failed"):
                return state
            time.sleep(3)
        raise TimeoutError(f"DAG run {run_id} did not finish within {timeout:.0f} s")


def watcher_active(api: Api, asset_name: str = INBOX_ASSET_NAME) -> bool:
    """Whether the asset's `AssetWatcher` has a trigger (the triggerer then runs it)."""
    assets = api.call("GET", "/assets", params={"name_pattern": asset_name})["assets"]
    return any(a["name"] == asset_name and a.get("watchers") for a in assets)


def activate_watchers(api: Api, dag_id: str = INGEST_DAG_ID, timeout: float = 120) -> None:
    """After unpausing `dag_id`: ask for a parse of its file now (Airflow attaches watcher
    triggers only for unpaused DAGs, at parse time) and wait until the inbox watcher has its
    trigger."""
    if watcher_active(api):
        return
    token = api.call("GET", f"/dags/{dag_id}/details")["file_token"]
    api.call("PUT", f"/parseDagFile/{token}")
    deadline = time.monotonic() + timeout
    while not watcher_active(api):
        if time.monotonic() > deadline:
            raise TimeoutError(f"the inbox watcher was not active within {timeout:.0f} s")
        time.sleep(1)


def _json_out(stdout: str):
    """The JSON document in a CLI's output (Airflow prints warnings on stdout before it)."""
    for line in stdout.splitlines():
        if line.startswith(("[", "{")):
            return json.loads(line)
    raise RuntimeError(f"no JSON in Airflow's output: {stdout[-300:]}")


def last_run(settings: Settings, dag_id: str = DAG_ID) -> tuple[str, dict[str, str]]:
    """The state of the latest run of a DAG and of each of its tasks, from Airflow's database."""
    runs = _json_out(run_cli(settings, "dags", "list-runs", dag_id, "-o", "json").stdout)
    if not runs:
        raise RuntimeError(f"{dag_id} has no runs")
    run = max(runs, key=lambda r: r.get("run_after") or r.get("logical_date") or "")
    out = run_cli(
        settings, "tasks", "states-for-dag-run", dag_id, run["run_id"], "-o", "json"
    ).stdout
    tasks = {t["task_id"]: t["state"] for t in _json_out(out)}
    return run["state"], tasks


def task_instances(api: Api, dag_id: str, run_id: str) -> list[dict]:
    """Every task instance of a run (all pages), with its state and try number."""
    out: list[dict] = []
    while True:
        page = api.call(
            "GET",
            f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances",
            params={"limit": 100, "offset": len(out)},
        )
        out += page.get("task_instances", [])
        if not page.get("task_instances") or len(out) >= page.get("total_entries", 0):
            return out


def task_log_path(
    settings: Settings, dag_id: str, run_id: str, task_id: str, try_number: int | None = None
) -> Path | None:
    """The log file of a task try under ``$AIRFLOW_HOME/logs`` (the default file layout
    ``dag_id=…/run_id=…/task_id=…/attempt=N.log``); the newest try when not given."""
    run_dir = settings.airflow_home / "logs" / f"dag_id={dag_id}" / f"run_id={run_id}"
    found = sorted(
        (run_dir / f"task_id={task_id}").glob("attempt=*.log"),
        key=lambda p: p.stat().st_mtime,
    )
    if try_number:
        exact = run_dir / f"task_id={task_id}" / f"attempt={try_number}.log"
        if exact.exists():
            return exact
    return found[-1] if found else None


def unpause_event_dags(settings: Settings, port: int, timeout: float = 240) -> Api:
    """Unpause the event-driven DAGs and wait until the inbox watcher is active.

    Airflow attaches an `AssetWatcher`'s trigger only for unpaused DAGs, when it parses the
    DAG file: without a nudge a file dropped just after unpausing waits for the next parse
    (`min_file_process_interval`, 30 s here). `activate_watchers` asks for that parse."""
    api = Api(settings, port)
    for dag_id in EVENT_DAG_IDS:
        api.wait_for_dag(dag_id, timeout=timeout)
        api.call("PATCH", f"/dags/{dag_id}", json={"is_paused": False})
    activate_watchers(api, timeout=timeout)
    return api
