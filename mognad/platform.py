"""`mognad demo`: the whole platform on one machine, with demo data, until Ctrl-C."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from mognad import airflow as af
from mognad import superset as ss
from mognad.config import Settings
from mognad.secrets import ensure_secrets

STEPS = 6


def _step(n: int, text: str) -> None:
    print(f"[{n}/{STEPS}] {text}", flush=True)


def _say(text: str) -> None:
    print(f"      {text}", flush=True)


def _backdate(inbox: Path, seconds: float) -> None:
    """Demo files count as dropped long ago, so the settle time does not hold them back."""
    past = time.time() - seconds - 5
    for path in inbox.rglob("*"):
        if path.is_file() and path.parent.name != "receipts":
            os.utime(path, (past, past))


def _stop(proc: subprocess.Popen | None, name: str) -> None:
    """Stop a process and every process it started (Airflow's components start their own)."""
    if proc is None or proc.poll() is not None:
        return
    import psutil

    print(f"Stoppar / stopping {name} …", flush=True)
    try:
        family = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return
    for p in family:
        try:
            p.terminate()
        except psutil.NoSuchProcess:
            pass
    _, alive = psutil.wait_procs(family, timeout=30)
    for p in alive:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass
    proc.wait(timeout=10)


def run_demo(
    settings: Settings,
    airflow_port: int = 8080,
    superset_port: int = 8088,
    scale: float = 1.0,
    seed: int = 2024,
    wait: bool = True,
) -> int:
    started = time.monotonic()
    secrets, created = ensure_secrets(settings.secrets_file)
    for zone in (settings.inbox, settings.raw, settings.state, settings.warehouse_dir):
        zone.mkdir(parents=True, exist_ok=True)
    if created:
        _say(f"hemligheter skapade / secrets generated in {settings.secrets_file}")

    _step(1, "Demodata till kommunernas inkorgar / demo data into the inboxes")
    from mognad.demo import generate
    from mognad.ingest.ledger import Ledger

    if Ledger(settings.ledger_path).all():
        _say("redan inläst tidigare – inga nya filer / already ingested, nothing new written")
    else:
        summary = generate(settings.inbox, seed=seed, scale=scale, progress=_say)
        _backdate(settings.inbox, settings.settle_seconds)
        _say(f"{len(summary.files)} filer/files")

    airflow_proc = superset_proc = None
    try:
        _step(2, "Airflow: förbereder / preparing (db migrate, pool)")
        af.setup(settings, progress=_say, port=airflow_port)

        _step(3, f"Airflow standalone startar / starting on port {airflow_port}")
        airflow_proc = af.start_standalone(settings, airflow_port)
        af.wait_healthy(airflow_port, timeout=240, proc=airflow_proc)
        api = af.Api(settings, airflow_port)
        api.wait_for_dag(af.DAG_ID)

        _step(4, "Pipeline i Airflow: ingest → dbt → Great Expectations → publicera")
        run_id = api.trigger(af.DAG_ID)
        state = api.wait_run(af.DAG_ID, run_id, progress=_say)
        if state != "success":
            _say(
                f"körningen misslyckades / the run failed: {state}; "
                f"loggar/logs: {settings.airflow_home}"
            )
            return 1
        # From now on a file dropped into an inbox is picked up without anyone's help:
        # the AssetWatcher wakes mognad_ingest, which wakes mognad_build.
        from mognad.orchestration.live import unpause_event_dags

        unpause_event_dags(settings, airflow_port)
        _say("händelsestyrt / event-driven: " + ", ".join(af.EVENT_DAG_IDS) + " aktiva/active")

        _step(5, "Superset: förbereder och importerar instrumentpaneler / dashboards")
        ss.setup(settings, progress=_say)
        superset_proc = ss.start(settings, port=superset_port)
        ss.wait_healthy(f"http://127.0.0.1:{superset_port}", timeout=120, proc=superset_proc)

        _step(6, f"Klart på {time.monotonic() - started:.0f} s / ready")
        print(
            "\n"
            f"  Superset  http://127.0.0.1:{superset_port}/   "
            f"användare/user admin   lösenord/password {secrets['SUPERSET_ADMIN_PASSWORD']}\n"
            f"  Airflow   http://127.0.0.1:{airflow_port}/   "
            f"användare/user admin   lösenord/password {secrets['AIRFLOW_ADMIN_PASSWORD']}\n"
            + "".join(
                f"  Superset  användare/user {user:<10} ({role})   lösenord/password {pw}\n"
                for user, role, pw in ss.demo_users(settings)
            )
            + f"  Data      {settings.home}\n"
            f"  Inkorg    {settings.inbox}/<kommunkod>/<survey|training|hr>/\n"
            "            (nya filer publiceras automatiskt / new files publish by themselves)\n"
            "\n  Ctrl-C stoppar allt / stops everything.\n",
            flush=True,
        )
        if not wait:
            return 0
        while True:
            for proc, name in ((airflow_proc, "Airflow"), (superset_proc, "Superset")):
                if proc.poll() is not None:
                    print(f"{name} stannade / stopped (exit {proc.returncode})", flush=True)
                    return 1
            time.sleep(2)
    except KeyboardInterrupt:
        return 0
    finally:
        _stop(superset_proc, "Superset")
        _stop(airflow_proc, "Airflow")
