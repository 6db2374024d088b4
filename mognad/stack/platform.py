"""`mognad demo`: the whole platform on one machine, with demo data, until Ctrl-C.

"Ready" is printed only after :func:`check_ready` has seen every demo file taken, the
published fact marts holding the demo municipalities' rows and Superset serving the
dashboards with data. Otherwise the demo stops what it started and exits non-zero.

Everything it starts (Airflow standalone and its components, Superset under gunicorn, and
the setup commands) carries one marker in its environment, ``MOGNAD_DEMO_RUN``; on Ctrl-C,
SIGTERM, SIGHUP, a failure, or when the reader of its output goes away (``make demo |
head``, a killed ``tee``), every process carrying the marker is stopped, whichever process
group or session it ended up in.
"""

from __future__ import annotations

import errno
import json
import os
import select
import signal
import stat
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from mognad.config import Settings
from mognad.secrets import ensure_secrets
from mognad.stack import airflow_local as af
from mognad.stack import superset_access
from mognad.stack import superset_local as ss
from mognad.stack.ready import _backdate, check_ready, write_demo_files

STEPS = 6
RUN_MARKER = "MOGNAD_DEMO_RUN"
EXIT_PIPE = 141  # what a shell reports for a process ended by SIGPIPE (128 + 13)


class Interrupted(BaseException):  # noqa: N818 - a reason to stop, like KeyboardInterrupt
    """A signal asked the demo to stop (Ctrl-C, SIGTERM, SIGHUP) or its output went away.

    A BaseException so that no ``except Exception`` on the way swallows it."""

    def __init__(self, signum: int, output_closed: bool = False):
        super().__init__(signum)
        self.signum = signum
        self.output_closed = output_closed


# --- output that survives a closed pipe ---------------------------------------------------------
class _Output:
    """Prints, unless the reader of stdout has gone: then stdout goes to /dev/null and the
    demo shuts down (the user who would read the output is gone; nothing is left behind)."""

    def __init__(self) -> None:
        self.closed = False
        self.stopping = False  # while shutting down, a closed pipe is no reason to raise

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
        except (OSError, ValueError):
            pass

    def write(self, text: str) -> None:
        if self.closed:
            if self.stopping:
                return
            raise Interrupted(signal.SIGPIPE, output_closed=True)
        try:
            print(text, flush=True)
        except OSError as exc:
            if exc.errno not in (errno.EPIPE, errno.EBADF, errno.ECONNRESET):
                raise
            self.close()
            if not self.stopping:
                raise Interrupted(signal.SIGPIPE, output_closed=True) from None


_out = _Output()
_pipe_gone = threading.Event()  # set by the stdout watcher: the reader of our output left


def _step(n: int, text: str) -> None:
    _out.write(f"[{n}/{STEPS}] {text}")


def _say(text: str) -> None:
    _out.write(f"      {text}")


def _stdout_is_pipe() -> bool:
    try:
        mode = os.fstat(sys.stdout.fileno()).st_mode
    except (OSError, ValueError):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def _watch_stdout(main_thread: int, done: threading.Event) -> None:
    """Notice a pipe whose reader has gone even while the demo prints nothing (waiting for
    Airflow, or serving after ready): Linux reports POLLERR on such a pipe's write end. The
    main thread then gets SIGTERM, so a blocking wait is interrupted too."""
    poller = select.poll()
    poller.register(sys.stdout.fileno(), select.POLLERR | select.POLLHUP)
    while not done.wait(1.0):
        if poller.poll(0):
            _out.close()
            _pipe_gone.set()
            signal.pthread_kill(main_thread, signal.SIGTERM)
            return


def _on_signal(signum, _frame) -> None:
    if _pipe_gone.is_set():
        raise Interrupted(signal.SIGPIPE, output_closed=True)
    raise Interrupted(signum)


# --- stopping what the demo started ---------------------------------------------------------------
def _marked(marker: str, keep: set[int] = frozenset()) -> list:
    """Every process whose environment carries the demo's marker, but this one and its own
    helpers (``keep``: multiprocessing's resource tracker, which ends with this process)."""
    import psutil

    found = []
    me = os.getpid()
    for p in psutil.process_iter():
        if p.pid == me or p.pid in keep:
            continue
        try:
            if p.environ().get(RUN_MARKER) == marker:
                found.append(p)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess, OSError):
            continue
    return found


def stop_all(
    procs: list[tuple[subprocess.Popen, str]], marker: str | None, timeout: float = 30
) -> None:
    """SIGTERM to each started process's group, tree and every marked process; SIGKILL to
    what is left after ``timeout`` (at once on a second Ctrl-C). Never raises for output."""
    import psutil

    hurry = threading.Event()
    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        try:
            previous[sig] = signal.signal(sig, lambda *_: hurry.set())
        except ValueError:  # not the main thread (tests calling this directly)
            pass
    _out.stopping = True
    try:
        family: dict[int, psutil.Process] = {}
        for proc, name in procs:
            if proc.poll() is None:
                _out.write(f"Stoppar / stopping {name} …")
            try:
                root = psutil.Process(proc.pid)
                family[root.pid] = root
                family.update({c.pid: c for c in root.children(recursive=True)})
            except psutil.NoSuchProcess:
                pass
        # this process's other children are its own helpers (a setup command still running
        # is killed by subprocess itself); their children, if any, are fair game
        keep = {c.pid for c in psutil.Process().children()} - {proc.pid for proc, _ in procs}
        if marker:
            family.update({p.pid: p for p in _marked(marker, keep)})
        for proc, _ in procs:
            try:
                os.killpg(proc.pid, signal.SIGTERM)  # each leads its own session and group
            except (ProcessLookupError, PermissionError):
                pass
        for p in family.values():
            try:
                p.terminate()
            except psutil.NoSuchProcess:
                pass
        deadline = time.monotonic() + timeout
        alive = list(family.values())
        while alive and time.monotonic() < deadline and not hurry.is_set():
            _, alive = psutil.wait_procs(alive, timeout=0.5)
        # what is left, and whatever was started meanwhile (a task mid-start)
        leftover = {p.pid: p for p in alive}
        if marker:
            leftover.update({p.pid: p for p in _marked(marker, keep)})
        for proc, _ in procs:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        for p in leftover.values():
            try:
                p.kill()
            except psutil.NoSuchProcess:
                pass
        psutil.wait_procs(list(leftover.values()), timeout=10)
        for proc, _ in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


# --- Airflow diagnostics ---------------------------------------------------------------------
def _log_tail(path: Path, lines: int = 25) -> list[str]:
    """The last lines of a task log; Airflow 3 writes JSON lines: show their event text."""
    try:
        raw = path.read_text(errors="replace").splitlines()[-lines:]
    except OSError as exc:
        return [f"(kan inte läsas / cannot read: {exc})"]
    out = []
    for line in raw:
        try:
            rec = json.loads(line)
        except ValueError:
            out.append(line)
            continue
        text = str(rec.get("event", line))
        if rec.get("error_detail"):
            detail = rec["error_detail"]
            last = detail[-1] if isinstance(detail, list) and detail else detail
            if isinstance(last, dict):
                text += f" — {last.get('exc_type')}: {last.get('exc_value')}"
        out.append(text)
    return out


def _report_failed_run(settings: Settings, api: af.Api, run_id: str) -> None:
    try:
        tasks = af.task_instances(api, af.DAG_ID, run_id)
    except Exception as exc:  # noqa: BLE001 - a diagnostic, the run has failed anyway
        _say(f"uppgifterna kunde inte läsas / task states unavailable: {exc}")
        return
    failed = [t for t in tasks if t.get("state") == "failed"]
    others = [f"{t['task_id']}: {t.get('state')}" for t in tasks if t.get("state") != "success"]
    for t in failed:
        path = af.task_log_path(settings, af.DAG_ID, run_id, t["task_id"], t.get("try_number"))
        _say(f"uppgift / task {t['task_id']} misslyckades / failed; logg/log: {path}")
        if path is not None:
            for line in _log_tail(path):
                _say(f"    | {line}")
    if not failed and others:
        _say("ej klara / not successful: " + ", ".join(others))


# --- the demo --------------------------------------------------------------------------------
def _ready_text(settings: Settings, secrets: dict, airflow_port: int, superset_port: int) -> str:
    return (
        "\n"
        f"  Superset  http://127.0.0.1:{superset_port}/   "
        f"användare/user admin   lösenord/password {secrets['SUPERSET_ADMIN_PASSWORD']}\n"
        f"  Airflow   http://127.0.0.1:{airflow_port}/   "
        f"användare/user admin   lösenord/password {secrets['AIRFLOW_ADMIN_PASSWORD']}\n"
        + "".join(
            f"  Superset  användare/user {user:<10} ({role})   lösenord/password {pw}\n"
            for user, role, pw in superset_access.demo_users(settings)
        )
        + f"  Data      {settings.home}\n"
        f"  Inkorg    {settings.inbox}/<kommunkod>/<survey|training|hr|plan>/\n"
        "            (nya filer publiceras automatiskt / new files publish by themselves)\n"
        "\n  Ctrl-C stoppar allt / stops everything."
    )


def run_demo(
    settings: Settings,
    airflow_port: int = 8080,
    superset_port: int = 8088,
    scale: float = 1.0,
    seed: int = 2024,
    wait: bool = True,
) -> int:
    """Set up, run the pipeline in Airflow, serve Superset, check, print ready, wait.

    Returns 0 after ready (also when stopped by Ctrl-C or SIGTERM then), 1 when the pipeline
    failed or the ready check refused, 128 + signal when stopped before ready, and 141 when
    the reader of its output went away. Everything it started is stopped on every way out."""
    in_main = threading.current_thread() is threading.main_thread()
    previous = {}
    if in_main:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            previous[sig] = signal.signal(sig, _on_signal)
    # a fresh marker per run, never one inherited from the shell
    marker = os.environ[RUN_MARKER] = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
    watch_done = threading.Event()
    _pipe_gone.clear()
    if in_main and _stdout_is_pipe():
        threading.Thread(
            target=_watch_stdout,
            args=(threading.main_thread().ident, watch_done),
            daemon=True,
            name="stdout-watch",
        ).start()
    run = _Run()
    try:
        return run.go(settings, airflow_port, superset_port, scale, seed, wait)
    except Interrupted as stop:
        if stop.output_closed:
            return EXIT_PIPE
        # Ctrl-C after ready is the documented way to stop: a normal end
        return 0 if run.ready else 128 + stop.signum
    except KeyboardInterrupt:
        return 0 if run.ready else 130
    finally:
        watch_done.set()
        stop_all(run.started, marker)
        _out.stopping = False
        if os.environ.get(RUN_MARKER) == marker:
            os.environ.pop(RUN_MARKER, None)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class _Run:
    """One demo run: what it started (stopped on every way out) and whether it was ready."""

    def __init__(self) -> None:
        self.started: list[tuple[subprocess.Popen, str]] = []
        self.ready = False

    def go(
        self,
        settings: Settings,
        airflow_port: int,
        superset_port: int,
        scale: float,
        seed: int,
        wait: bool,
    ) -> int:
        started = self.started
        t0 = time.monotonic()
        secrets, created = ensure_secrets(settings.secrets_file)
        for zone in (settings.inbox, settings.raw, settings.state, settings.warehouse_dir):
            zone.mkdir(parents=True, exist_ok=True)
        if created:
            _say(f"hemligheter skapade / secrets generated in {settings.secrets_file}")

        _step(1, "Demodata till kommunernas inkorgar / demo data into the inboxes")
        from mognad.demo.generate import generate
        from mognad.state.ledger import Ledger

        if Ledger(settings.ledger_path).all():
            _say("redan inläst tidigare – inga nya filer / already ingested, nothing new written")
        else:
            summary = generate(settings.inbox, seed=seed, scale=scale, progress=_say)
            write_demo_files(settings, summary.files, seed, scale)
            _backdate(settings.inbox, settings.settle_seconds)
            _say(f"{len(summary.files)} filer/files")

        _step(2, "Airflow: förbereder / preparing (db migrate, pool)")
        af.setup(settings, progress=_say, port=airflow_port)

        _step(3, f"Airflow standalone startar / starting on port {airflow_port}")
        airflow_proc = af.start_standalone(settings, airflow_port)
        started.append((airflow_proc, "Airflow"))
        af.wait_healthy(airflow_port, timeout=240, proc=airflow_proc)
        api = af.Api(settings, airflow_port)
        api.wait_for_dag(af.DAG_ID)

        _step(4, "Pipeline i Airflow: ingest → dbt → Great Expectations → publicera")
        run_id = api.trigger(af.DAG_ID)
        state = api.wait_run(af.DAG_ID, run_id, progress=_say)
        if state != "success":
            _say(f"körningen misslyckades / the run failed: {state} ({af.DAG_ID} {run_id})")
            _report_failed_run(settings, api, run_id)
            _say(f"Airflow: {settings.airflow_home / 'standalone.log'}")
            return 1
        # Before the event-driven DAGs run: the check must judge what the pipeline run did.
        problems = check_ready(settings)
        if problems:
            return _refuse(problems, settings)
        # From now on a file dropped into an inbox is picked up without anyone's help:
        # the AssetWatcher wakes mognad_ingest, which wakes mognad_build.
        af.unpause_event_dags(settings, airflow_port)
        _say("händelsestyrt / event-driven: " + ", ".join(af.EVENT_DAG_IDS) + " aktiva/active")

        _step(5, "Superset: förbereder och importerar instrumentpaneler / dashboards")
        ss.setup(settings, progress=_say)
        superset_proc = ss.start(settings, port=superset_port)
        started.append((superset_proc, "Superset"))
        base_url = f"http://127.0.0.1:{superset_port}"
        ss.wait_healthy(base_url, timeout=120, proc=superset_proc)
        problems = check_ready(settings, base_url)
        if problems:
            return _refuse(problems, settings)

        self.ready = True
        _step(6, f"Klart på {time.monotonic() - t0:.0f} s / ready")
        _out.write(_ready_text(settings, secrets, airflow_port, superset_port))
        if not wait:
            return 0
        while True:
            for proc, name in started:
                if proc.poll() is not None:
                    _out.write(f"{name} stannade / stopped (exit {proc.returncode})")
                    return 1
            time.sleep(2)


def _refuse(problems: list[str], settings: Settings, say: Callable[[str], None] = _say) -> int:
    say("INTE KLART / NOT READY:")
    for p in problems:
        say(f"  - {p}")
    say(f"`mognad status` och/and {settings.airflow_home / 'logs'} visar mer / show more")
    return 1
