"""The README's first command, for real: `make demo` at its default size and seed.

It runs the real Makefile target in this checkout (in CI a clean clone) with its own
``MOGNAD_HOME`` and secrets file in a tmp folder and free ports (``MOGNAD_AIRFLOW_PORT``,
``MOGNAD_SUPERSET_PORT``, which scripts/demo.sh passes on); the virtualenvs are reused (setup
only checks). One full default-size run: ready is printed, every demo file was taken, the fact
marts hold rows, the county user sees bars in the maturity chart in headless Chromium, and
Ctrl-C (SIGINT to the process group, as a terminal sends it) leaves no process behind. Then
the pipes: `make demo | head -3` and `make demo | tee log` with tee killed while the pipeline
runs leave no process behind either; and the ready check refuses, through the real command
too, when the data is not there (no pseudonym key: ingest refuses every keyed feed).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import duckdb
import psutil
import pytest

from mognad.config import PROJECT_DIR, Settings
from mognad.secrets import ensure_secrets, read_secrets, write_secrets
from mognad.stack import ready
from tests.e2e.superset_fixtures import ARTIFACTS
from tests.support.live import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1800)]

READY_BOUND = 1200  # a generous bound on `make demo` reaching ready, not a timing
MATURITY_DASHBOARD = ("digital-mognad", 8)


# --- running the demo -----------------------------------------------------------------------
def demo_settings(home: Path) -> Settings:
    return Settings(home=home, secrets_file=home / ".secrets" / "mognad.env")


def demo_env(settings: Settings) -> dict[str, str]:
    """The environment of a user's shell: none of this session's mognad, Airflow or Superset
    settings (so the defaults hold), only the home, the secrets file and free ports."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("MOGNAD_", "AIRFLOW", "SUPERSET_", "PYTEST_"))
        and k not in ("VIRTUAL_ENV", "PYTHONPATH")
    }
    env.update(
        {
            "MOGNAD_HOME": str(settings.home),
            "MOGNAD_SECRETS_FILE": str(settings.secrets_file),
            "MOGNAD_AIRFLOW_PORT": str(free_port()),
            "MOGNAD_SUPERSET_PORT": str(free_port()),
        }
    )
    return env


class Demo:
    """`make demo` (or a shell pipeline around it) in its own session; output collected."""

    def __init__(self, settings: Settings, command: str, log_name: str):
        self.settings = settings
        self.env = demo_env(settings)
        self.lines: list[str] = []
        self.log = ARTIFACTS / log_name
        ARTIFACTS.mkdir(exist_ok=True)
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            ["bash", "-c", command],
            cwd=PROJECT_DIR,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # a terminal's foreground job: Ctrl-C reaches the group
            text=True,
            errors="replace",
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        with self.log.open("w") as fh:
            for line in self.proc.stdout:
                self.lines.append(line.rstrip("\n"))
                fh.write(line)
                fh.flush()

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, needle: str, timeout: float) -> float:
        """Seconds until a line containing ``needle``; fails when the demo ends first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(needle in line for line in list(self.lines)):
                return time.monotonic() - self.started
            if self.proc.poll() is not None:
                self.reader.join(5)
                raise AssertionError(
                    f"the demo ended (exit {self.proc.returncode}) before {needle!r}:\n"
                    + "\n".join(self.lines[-60:])
                )
            time.sleep(0.5)
        raise AssertionError(f"no {needle!r} within {timeout:.0f} s:\n" + self.text[-6000:])

    def family(self) -> list[psutil.Process]:
        try:
            root = psutil.Process(self.proc.pid)
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def wait_exit(self, timeout: float) -> int:
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"the demo did not end within {timeout:.0f} s:\n" + self.text[-3000:]
            ) from None
        self.reader.join(10)
        return code

    def kill(self) -> None:
        """Last resort after a failed test: nothing of it may outlive the test."""
        for p in survivors(self.settings.home, self.family()):
            try:
                p.kill()
            except psutil.NoSuchProcess:
                pass


def survivors(home: Path, seen: list[psutil.Process]) -> list[psutil.Process]:
    """Processes still alive that were in the demo's tree, or mention its home in their
    command line or environment."""
    home_text = str(home)
    alive: dict[int, psutil.Process] = {}
    for p in seen:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                alive[p.pid] = p
        except psutil.NoSuchProcess:
            pass
    for p in psutil.process_iter():
        if p.pid == os.getpid():
            continue
        try:
            if p.status() == psutil.STATUS_ZOMBIE:
                continue
            if home_text in " ".join(p.cmdline()) or p.environ().get("MOGNAD_HOME") == home_text:
                alive[p.pid] = p
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess, OSError):
            continue
    return list(alive.values())


def assert_nothing_left(home: Path, seen: list[psutil.Process], grace: float = 5) -> None:
    deadline = time.monotonic() + grace
    left = survivors(home, seen)
    while left and time.monotonic() < deadline:
        time.sleep(0.5)
        left = survivors(home, seen)
    described = []
    for p in left:
        try:
            described.append(f"{p.pid} {' '.join(p.cmdline())[:200]}")
        except psutil.Error:
            described.append(str(p.pid))
    assert not left, "processes left behind:\n" + "\n".join(described)


# --- the full default-size run ----------------------------------------------------------------
@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    settings = demo_settings(tmp_path_factory.mktemp("make-demo") / "home")
    run = Demo(settings, "exec make demo", "make-demo.log")
    try:
        run.ready_seconds = run.wait_for("/ ready", READY_BOUND)
        print(f"\n`make demo` (scale 1.0, seed 2024) ready after {run.ready_seconds:.0f} s")
        (ARTIFACTS / "make-demo-seconds.txt").write_text(f"{run.ready_seconds:.1f}\n")
        yield run
    finally:
        if run.proc.poll() is None:
            os.killpg(run.proc.pid, signal.SIGINT)
            try:
                run.proc.wait(120)
            except subprocess.TimeoutExpired:
                pass
        run.kill()


def test_ready_is_printed_with_the_addresses(demo):
    text = demo.text
    assert "[6/6] Klart" in text
    port = demo.env["MOGNAD_SUPERSET_PORT"]
    assert f"Superset  http://127.0.0.1:{port}/" in text
    assert "INTE KLART" not in text
    assert demo.proc.poll() is None, "the demo must stay up after ready"


def test_every_demo_file_was_taken(demo):
    settings = demo.settings
    expected = ready.read_demo_files(settings)
    assert expected and len(expected) > 400, expected  # the default demo writes ~455 files
    assert ready.files_left(settings) == []
    con = sqlite3.connect(settings.ledger_path)
    try:
        rows = con.execute("SELECT municipality_code, feed, file FROM attempts").fetchall()
        taken = {tuple(r) for r in rows}
        pending = con.execute("SELECT count(*) FROM pending").fetchone()[0]
    finally:
        con.close()
    assert pending == 0
    missing = [e for e in expected if e not in taken]
    assert not missing, missing[:5]
    receipts = {
        json.loads(p.read_text())["file"]
        for p in settings.inbox.glob("*/receipts/*.json")
        if not p.name.startswith(".")
    }
    assert {name for _, _, name in expected} <= receipts


def test_fact_marts_hold_every_demo_municipality(demo):
    settings = demo.settings
    codes = {code for code, _, _ in ready.read_demo_files(settings)}
    assert len(codes) == 7
    con = duckdb.connect(str(settings.published_db), read_only=True)
    try:
        for mart in ready.FACT_MARTS:
            found = {
                r[0]
                for r in con.execute(
                    f"SELECT DISTINCT municipality_code FROM marts.{mart}"  # noqa: S608
                ).fetchall()
            }
            assert codes <= found, (mart, codes - found)
    finally:
        con.close()


def test_published_demo_passes_the_disclosure_audit(demo):
    """`make demo` at its default size publishes numbers from which no hidden count can be
    derived: `mognad audit` on the county file it serves passes (the build protected it)."""
    from mognad.quality.disclosure.audit import audit

    settings = demo.settings
    result = audit(settings.published_db, settings.min_cell, build_db=settings.build_db)
    print(
        f"\ndemo audit: {result.hidden} hidden, {len(result.narrow)} narrow, {result.seconds:.1f} s"
    )
    assert len(result.tables) >= 8 and result.hidden > 0
    assert result.passed, result.narrow[:5]


CANVAS_COLOURS = """
const holder = Array.from(document.querySelectorAll(arguments[0]))
  .find(h => (h.getAttribute('data-test-chart-name') || '') === arguments[1]);
if (!holder) return null;
let coloured = 0, total = 0;
for (const c of holder.querySelectorAll('canvas')) {
  const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  for (let i = 0; i < data.length; i += 4) {
    total += 1;
    const r = data[i], g = data[i + 1], b = data[i + 2];
    // bars are saturated colours; axes, labels and the background are grey or white
    if (data[i + 3] > 200 && Math.max(r, g, b) - Math.min(r, g, b) > 60) coloured += 1;
  }
}
return {coloured: coloured, total: total};
"""


def test_county_user_sees_bars_in_the_maturity_chart(demo):
    import browser

    assert browser.available(), "chromium and chromedriver are needed (scripts/setup.sh --browser)"
    settings = demo.settings
    base_url = f"http://127.0.0.1:{demo.env['MOGNAD_SUPERSET_PORT']}"
    password = read_secrets(settings.secrets_file)["SUPERSET_DEMO_PASSWORD"]
    slug, n_charts = MATURITY_DASHBOARD
    with browser.chromium(height=3200) as driver:
        browser.login(driver, base_url, "lan", password, timeout=60)
        driver.get(f"{base_url}/superset/dashboard/{slug}/")
        states = browser.wait_for_charts(driver, expected=n_charts, timeout=180)
        driver.save_screenshot(str(ARTIFACTS / "make-demo-digital-mognad-lan.png"))
        (chart,) = [s for s in states if s["title"] == ready.MATURITY_CHART]
        assert not chart["error"], chart["text"][:500]
        assert not any(t in chart["text"] for t in browser.NO_DATA_TEXTS), chart["text"][:500]
        assert chart["rendered"] and chart["canvas"], chart
        pixels = driver.execute_script(CANVAS_COLOURS, browser.CHART, ready.MATURITY_CHART)
    print(f"\nmaturity chart: {pixels}")
    # seven municipalities × three waves of bars cover far more than a legend's swatches
    assert pixels and pixels["coloured"] > 0.01 * pixels["total"], pixels


def test_sigint_stops_everything(demo):
    seen = demo.family()
    assert any("airflow" in " ".join(p.cmdline()) for p in seen if p.is_running())
    assert any("gunicorn" in " ".join(p.cmdline()) for p in seen if p.is_running())
    os.killpg(demo.proc.pid, signal.SIGINT)  # what Ctrl-C at a terminal does
    demo.wait_exit(120)
    assert "Stoppar / stopping Airflow" in demo.text
    assert_nothing_left(demo.settings.home, seen)


# --- pipes that close early -----------------------------------------------------------------
def test_make_demo_into_head_leaves_nothing(tmp_path):
    settings = demo_settings(tmp_path / "home")
    run = Demo(settings, "make demo | head -3", "make-demo-head.log")
    try:
        run.wait_exit(300)
        # head's three lines, then at most make's own complaint on stderr (Error 141)
        assert len(run.lines) >= 3 and all("ready" not in line for line in run.lines), run.lines
        assert_nothing_left(settings.home, [])
    finally:
        run.kill()


def test_make_demo_into_tee_killed_while_the_pipeline_runs_leaves_nothing(tmp_path):
    settings = demo_settings(tmp_path / "home")
    log = tmp_path / "tee.log"
    run = Demo(
        settings,
        f"make demo DEMO_ARGS='--scale 0.05' | tee {log} >/dev/null",
        "make-demo-tee.log",
    )
    try:
        deadline = time.monotonic() + 600
        while "[4/6]" not in (log.read_text() if log.exists() else ""):
            assert run.proc.poll() is None, run.text[-3000:]
            assert time.monotonic() < deadline, "the pipeline did not start"
            time.sleep(0.5)
        seen = run.family()
        assert any("airflow" in " ".join(p.cmdline()) for p in seen if p.is_running())
        (tee,) = [p for p in seen if p.name() == "tee"]
        tee.kill()
        run.wait_exit(120)
        assert_nothing_left(settings.home, seen)
    finally:
        run.kill()


# --- the ready check refuses --------------------------------------------------------------------
def _warehouse(settings: Settings, rows: dict[str, list[str]]) -> None:
    settings.published_db.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(settings.published_db))
    try:
        con.execute("CREATE SCHEMA marts")
        for mart in ready.FACT_MARTS:
            con.execute(f"CREATE TABLE marts.{mart} (municipality_code VARCHAR)")
            for code in rows.get(mart, []):
                con.execute(f"INSERT INTO marts.{mart} VALUES (?)", [code])  # noqa: S608
    finally:
        con.close()


def test_ready_check_refuses_what_is_not_there(tmp_path):
    from mognad.demo.generate import generate
    from mognad.ingest.run import ingest

    settings = Settings(home=tmp_path / "home", secrets_file=tmp_path / "s.env", settle_seconds=0)
    ensure_secrets(settings.secrets_file)
    summary = generate(settings.inbox, seed=2024, scale=0.02, municipalities=["2260", "2262"])
    ready.write_demo_files(settings, summary.files, 2024, 0.02)

    problems = ready.check_ready(settings)  # nothing taken yet, nothing published
    assert any("files left in the inboxes" in p for p in problems), problems
    assert any("no published warehouse" in p for p in problems), problems

    report = ingest(settings, progress=None)
    assert report.count("loaded") > 0
    _warehouse(settings, {"fct_maturity": ["2260", "2262"], "fct_response_rate": ["2260"]})
    problems = ready.check_ready(settings)
    assert len(problems) == 2, problems
    assert "marts.fct_response_rate" in problems[0] and "2262" in problems[0]
    assert "marts.fct_training_coverage" in problems[1]

    # a file taken without its receipt, and one put back in the inbox
    receipt = next(settings.inbox.glob("2260/receipts/*.json"))
    name = json.loads(receipt.read_text())["file"]
    receipt.unlink()
    back = summary.files[-1]
    back.write_bytes(b"x")
    problems = ready.check_ready(settings)
    assert any("have no receipt" in p and name in p for p in problems), problems
    assert any("files left in the inboxes" in p for p in problems), problems


def watch_until_exit(run, seen: dict, timeout: float = 900) -> int:
    """Note every process of the demo's tree (pid -> (process, command line)) until it
    exits by itself; its exit code."""
    deadline = time.monotonic() + timeout
    while run.proc.poll() is None and time.monotonic() < deadline:
        for p in run.family():
            if p.pid not in seen:
                try:
                    seen[p.pid] = (p, " ".join(p.cmdline()))
                except psutil.Error:
                    pass
        time.sleep(1)
    return run.wait_exit(60)


def test_make_demo_refuses_ready_without_the_pseudonym_key(tmp_path):
    """The real command: ingest refuses the keyed feeds (training, HR), their files stay in
    the inboxes; the demo must say why, exit non-zero and stop what it started."""
    settings = demo_settings(tmp_path / "home")
    secrets, _ = ensure_secrets(settings.secrets_file)
    write_secrets(settings.secrets_file, {**secrets, "MOGNAD_PSEUDONYM_KEY": ""})
    run = Demo(settings, "exec make demo DEMO_ARGS='--scale 0.05'", "make-demo-no-key.log")
    seen: dict[int, tuple[psutil.Process, str]] = {}
    try:
        code = watch_until_exit(run, seen)
        text = run.text
        assert code != 0, text[-3000:]
        assert "/ ready" not in text
        if "the run failed" in text:  # the ingest task failed: which one, and its log
            assert "failed; logg/log:" in text, text[-3000:]
        else:
            assert "INTE KLART / NOT READY" in text, text[-3000:]
            assert "files left in the inboxes" in text, text[-3000:]
        assert any("airflow" in cmd for _, cmd in seen.values()), "Airflow never started"
        assert_nothing_left(settings.home, [p for p, _ in seen.values()])
    finally:
        run.kill()


def test_make_demo_refuses_ready_with_a_file_ingest_never_takes(tmp_path):
    """The real command with a pipeline run that succeeds: a municipality has put a folder in
    its inbox; ingest never looks inside, so its file stays. The ready check must see it,
    say so, exit non-zero and stop Airflow (Superset is never started)."""
    settings = demo_settings(tmp_path / "home")
    nested = settings.inbox / "2262" / "survey" / "gamla" / "enkat_2023.csv"
    nested.parent.mkdir(parents=True)
    nested.write_text("respondent_id;fraga_1\n1;3\n", encoding="utf-8")
    run = Demo(settings, "exec make demo DEMO_ARGS='--scale 0.05'", "make-demo-left.log")
    seen: dict[int, tuple[psutil.Process, str]] = {}
    try:
        code = watch_until_exit(run, seen)
        text = run.text
        assert code != 0, text[-3000:]  # make reports the demo's exit 1 as its own 2
        assert "publish: success" in text, text[-3000:]
        assert "INTE KLART / NOT READY" in text and "/ ready" not in text, text[-3000:]
        assert "1 filer ligger kvar i inkorgarna / files left in the inboxes" in text, text
        assert "2262/survey/gamla/enkat_2023.csv" in text
        assert "[5/6]" not in text  # Superset is not started for marts that are not ready
        assert any("airflow" in cmd for _, cmd in seen.values()), "Airflow never started"
        assert_nothing_left(settings.home, [p for p, _ in seen.values()])
    finally:
        run.kill()
