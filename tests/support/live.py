"""Running Airflow's processes for real: the embedded standalone or a Celery cluster.

Used by the end-to-end tests (tests/e2e/test_event_driven.py, test_celery_cluster.py) and
by bench/drop_to_published.py: free ports, a home already published once, a dropped file,
waiting until the published mart changes, and stopping process trees.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from mognad.config import Settings
from mognad.stack import airflow_local as af
from mognad.stack.airflow_local import unpause_event_dags


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def backdate(folder: Path, seconds: float) -> None:
    past = time.time() - seconds - 5
    for path in folder.rglob("*"):
        if path.is_file() and "receipts" not in path.parts:
            os.utime(path, (past, past))


def publish_once(
    settings: Settings,
    municipalities: Sequence[str],
    scale: float = 0.05,
    seed: int = 2024,
    progress: Callable[[str], None] = print,
):
    """Demo data for a few municipalities, ingested and built once in this process."""
    from mognad.build.run import build
    from mognad.demo.generate import generate
    from mognad.ingest.run import ingest

    generate(settings.inbox, seed=seed, scale=scale, municipalities=municipalities)
    backdate(settings.inbox, settings.settle_seconds)
    progress(ingest(settings, progress=None).summary())
    return build(settings)


def survey_file(municipality: str, seed: int, scale: float = 0.05) -> Path:
    """A new survey delivery for one municipality (another seed: new answers), as one file
    in the temp folder outside any inbox; the caller drops it (and may delete it)."""
    from mognad.demo.generate import generate

    tmp = Path(tempfile.mkdtemp(prefix="mognad-drop-"))
    try:
        summary = generate(tmp, seed=seed, scale=scale, municipalities=[municipality])
        chosen = sorted(p for p in summary.files if p.parent.name == "survey")[-1]
        keep = Path(tempfile.gettempdir()) / f"mognad-drop-{municipality}-{seed}-{chosen.name}"
        shutil.copyfile(chosen, keep)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return keep


def drop_file(settings: Settings, source: Path, municipality: str, feed: str = "survey") -> Path:
    """Drop like a careful client: write `<name>.part`, then rename (atomic)."""
    folder = settings.inbox / municipality / feed
    folder.mkdir(parents=True, exist_ok=True)
    name = source.name.split("-", 4)[-1] if source.name.startswith("mognad-drop-") else source.name
    target = folder / f"ny-{int(time.time())}-{name}"
    part = target.with_name(target.name + ".part")
    shutil.copyfile(source, part)
    os.replace(part, target)
    if source.name.startswith("mognad-drop-"):  # made by survey_file: used up
        source.unlink(missing_ok=True)
    return target


@dataclass(frozen=True)
class MartState:
    mtime_ns: int
    rows: int
    respondents: int


def mart_state(settings: Settings) -> MartState | None:
    """What the published mart says now (None while there is no published file)."""
    import duckdb

    path = settings.published_db
    try:
        st = path.stat()
        con = duckdb.connect(str(path), read_only=True)
    except (FileNotFoundError, duckdb.Error):
        return None
    try:
        rows, respondents = con.execute(
            "select count(*), coalesce(sum(respondents), 0) from marts.fct_maturity"
        ).fetchone()
    finally:
        con.close()
    return MartState(st.st_mtime_ns, int(rows), int(respondents))


def wait_mart_change(
    settings: Settings, before: MartState | None, timeout: float, poll: float = 1.0
) -> tuple[MartState, float]:
    """Block until the published mart's content differs from `before`; (state, seconds)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        now = mart_state(settings)
        if now is not None and (
            before is None or (now.rows, now.respondents) != (before.rows, before.respondents)
        ):
            return now, time.monotonic() - started
        time.sleep(poll)
    raise TimeoutError(f"the published mart did not change within {timeout:.0f} s")


def _same_home(home: str) -> list:
    """Processes (not this one, nor its ancestors) whose environment has MOGNAD_HOME = home:
    what a process tree left behind after its parent died (re-parented to init)."""
    import psutil

    mine = {os.getpid(), *(p.pid for p in psutil.Process().parents())}
    found = []
    for p in psutil.process_iter():
        if p.pid in mine:
            continue
        try:
            if p.environ().get("MOGNAD_HOME") == home:
                found.append(p)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess, OSError):
            continue
    return found


def stop_tree(proc: subprocess.Popen | None, timeout: float = 30) -> None:
    """Terminate a process and everything it started — its tree, and any process that shares
    its MOGNAD_HOME (a child that lost its parent leaves the tree) — then kill what is left."""
    if proc is None:
        return
    import psutil

    home = None
    try:
        root = psutil.Process(proc.pid)
        family = {p.pid: p for p in (root, *root.children(recursive=True))}
        home = root.environ().get("MOGNAD_HOME")
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess, OSError):
        family = {}
    if home:
        family.update({p.pid: p for p in _same_home(home)})
    for p in family.values():
        try:
            p.terminate()
        except psutil.NoSuchProcess:
            pass
    _, alive = psutil.wait_procs(list(family.values()), timeout=timeout)
    if home:  # started meanwhile (a task mid-start)
        alive = {p.pid: p for p in (*alive, *_same_home(home))}.values()
    for p in alive:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


def start_event_driven(settings: Settings, port: int, timeout: float = 240) -> subprocess.Popen:
    """`airflow standalone` with the event-driven DAGs unpaused (setup must have run)."""
    proc = af.start_standalone(settings, port)
    try:
        af.wait_healthy(port, timeout=timeout, proc=proc)
        unpause_event_dags(settings, port, timeout)
    except BaseException:
        stop_tree(proc)
        raise
    return proc


# --- the Celery / PostgreSQL / Redis cluster ----------------------------------------------

CLUSTER_COMPONENTS: tuple[tuple[str, list[str]], ...] = (
    ("api-server", ["api-server"]),
    ("scheduler", ["scheduler"]),
    ("dag-processor", ["dag-processor"]),
    ("triggerer", ["triggerer", "--skip-serve-logs"]),
    ("worker1", ["celery", "worker", "-H", "w1", "--concurrency", "2", "--skip-serve-logs"]),
    ("worker2", ["celery", "worker", "-H", "w2", "--concurrency", "2", "--skip-serve-logs"]),
)


def start_cluster(
    settings: Settings,
    port: int,
    database_url: str,
    broker_url: str,
    extra_env: dict[str, str] | None = None,
) -> list[tuple[str, subprocess.Popen]]:
    """Start every cluster component as its own process (setup must have run with the same
    URLs); returns (name, process) pairs. Logs: $AIRFLOW_HOME/<name>.log."""
    env = af.cluster_env(settings, port, database_url, broker_url)
    env.update(extra_env or {})
    procs = []
    for name, args in CLUSTER_COMPONENTS:
        log = settings.airflow_home / f"{name}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        procs.append(
            (
                name,
                subprocess.Popen(
                    [af._bin("airflow"), *args],
                    env=env,
                    stdout=open(log, "ab"),  # noqa: SIM115 - owned by the child
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                ),
            )
        )
    return procs
