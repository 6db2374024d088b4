"""Build and publish faults: killed builds, a second writer, readers during publishes,
a lost or corrupted warehouse."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time

import duckdb
import pytest

from mognad.build.errors import BuildError
from mognad.build.publish import publish
from mognad.build.run import build
from tests.conftest import drop
from tests.faults.helpers import REPO, cli_env, mart_snapshot, survey_csv


def _opens(db) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("select count(*) from marts.fct_maturity").fetchone()[0]
    finally:
        con.close()


def test_build_killed_midway_leaves_published_mart_and_next_build_works(delivered_copy):
    s = delivered_copy
    before = mart_snapshot(s.published_db)
    drop(s, "2284", "survey", "ny.csv", survey_csv(7, prefix="ny-", year=2025))
    from mognad.ingest.run import ingest

    assert ingest(s, progress=None).count("loaded") == 1
    proc = subprocess.Popen(
        [sys.executable, "-m", "mognad.cli", "build"],
        cwd=REPO,
        env=cli_env(s),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    for line in proc.stdout:  # kill it in the middle of dbt's work
        if " of " in line and "START" in line:
            time.sleep(0.5)
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert mart_snapshot(s.published_db) == before  # untouched and readable
    build(s)  # no leftovers break the next run
    after = mart_snapshot(s.published_db)
    assert any("'2284', 2025" in row for row in after["fct_maturity"])
    assert not list(s.warehouse_dir.glob(".*.tmp*"))


def test_second_writer_gets_a_clear_error_and_nothing_is_corrupted(delivered_copy):
    s = delivered_copy
    before = mart_snapshot(s.published_db)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import duckdb, sys, time
                con = duckdb.connect({str(s.build_db)!r})
                print("holding", flush=True)
                time.sleep(120)
                """
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        with pytest.raises(BuildError) as err:
            build(s)
        message = str(err.value)
        assert "\n" not in message and "lock" in message.lower(), message
    finally:
        holder.kill()
        holder.wait()
    assert mart_snapshot(s.published_db) == before
    # and a second build while one runs is refused clearly
    from tests.faults.helpers import run_cli

    first = subprocess.Popen(
        [sys.executable, "-m", "mognad.cli", "build"],
        cwd=REPO,
        env=cli_env(s),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    for line in first.stdout:
        if "dbt build" in line:
            break
    second = run_cli(s, "build", timeout=120)
    rest = first.communicate()[0]
    assert first.returncode == 0, rest[-2000:]
    assert second.returncode == 1
    assert "lock" in second.stdout.lower() or "pågår" in second.stdout, second.stdout[-1000:]
    assert mart_snapshot(s.published_db) == before  # same data, published again


READER = textwrap.dedent(
    """
    import duckdb, sys, time, threading
    db, seconds = sys.argv[1], float(sys.argv[2])
    errors, reads = [], [0]
    def reader():
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                con = duckdb.connect(db, read_only=True)
                try:
                    n = con.execute(
                        "select count(*), sum(respondents) from marts.fct_maturity"
                    ).fetchone()
                    assert n[0] > 0, n
                finally:
                    con.close()
                reads[0] += 1
            except Exception as exc:
                errors.append(repr(exc))
    threads = [threading.Thread(target=reader) for _ in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    print(reads[0], len(errors), errors[:3])
    """
)


def test_readers_never_fail_while_publishes_happen(delivered_copy):
    s = delivered_copy
    proc = subprocess.Popen(
        [sys.executable, "-c", READER, str(s.published_db), "12"],
        stdout=subprocess.PIPE,
        text=True,
    )
    time.sleep(0.5)
    swaps = 0
    end = time.monotonic() + 5
    while time.monotonic() < end or swaps < 3:  # a publish writes 1 + 7 files now
        publish(s)
        swaps += 1
    out = proc.communicate(timeout=60)[0].split(" ", 2)
    reads, errors = int(out[0]), int(out[1])
    assert swaps >= 3 and reads > 50
    assert errors == 0, out


def test_warehouse_deleted_or_corrupted_full_build_restores_identical_mart(delivered_copy):
    s = delivered_copy
    want = mart_snapshot(s.published_db)
    s.published_db.write_bytes(b"\0garbage" * 4096)  # corrupted published file
    s.build_db.write_bytes(b"not a duckdb file")  # corrupted build file
    (s.build_db.parent / "project.sha256").unlink(missing_ok=True)
    with pytest.raises(duckdb.Error):
        _opens(s.published_db)
    build(s, full=True)
    assert mart_snapshot(s.published_db) == want
    import shutil

    shutil.rmtree(s.warehouse_dir)  # deleted altogether
    res = subprocess.run(
        [sys.executable, "-m", "mognad.cli", "build", "--full"],
        cwd=REPO,
        env=cli_env(s),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stdout[-2000:]
    assert mart_snapshot(s.published_db) == want


def test_disk_full_during_ingest(delivered, tmp_path):
    """A 20 MB tmpfs home: the run fails clearly, the published mart opens, nothing in the
    inbox is lost; after space is freed the next run completes."""
    import os
    import shutil

    from tests.conftest import make_settings
    from tests.faults.helpers import inbox_files, pending, receipts, run_cli

    mnt = tmp_path / "liten"
    mnt.mkdir()
    res = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=20m", "tmpfs", str(mnt)],
        capture_output=True,
        text=True,
    )
    if res.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {res.stderr.strip()}")
    try:
        s = make_settings(mnt / "home")
        s.warehouse_dir.mkdir(parents=True)
        shutil.copy(delivered.settings.published_db, s.published_db)
        want = mart_snapshot(s.published_db)
        files = {}
        for i in range(4):  # one of ~11 kB, then 3 x ~280 kB
            text = survey_csv(100 if i == 0 else 2500, prefix=f"f{i}-")
            files[f"stor{i}.csv"] = drop(s, "2281", "survey", f"stor{i}.csv", text).read_bytes()
        st = os.statvfs(mnt)
        filler = mnt / "annat"  # something else on the disk: leave ~200 kB free
        with open(filler, "wb") as f:
            f.write(b"\1" * (st.f_bavail * st.f_frsize - 200_000))
        res = run_cli(s, "ingest", timeout=120)
        assert res.returncode == 1, res.stdout
        last = res.stdout.strip().splitlines()[-1]
        assert "failed" in last and ("No space left" in last or "full" in last), last
        assert _opens(s.published_db) > 0 and mart_snapshot(s.published_db) == want
        taken = {r["file"] for r in receipts(s)}
        left = {p.name: p.read_bytes() for p in inbox_files(s)}
        assert taken | set(left) == set(files)  # every file is taken or still there
        assert all(files[n] == b for n, b in left.items())  # and whole
        assert left, "the disk should have filled before the last file"
        assert not [p for p in s.home.rglob(".*") if "secrets" not in p.name]  # no temp left
        filler.unlink()  # space freed
        res = run_cli(s, "ingest", timeout=120)
        assert res.returncode == 0, res.stdout
        assert {r["file"] for r in receipts(s)} == set(files)
        assert inbox_files(s) == [] and pending(s) == []
        assert len(list(s.raw.glob("feed=survey/*/*/data.parquet"))) == 4
        os.sync()
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)
