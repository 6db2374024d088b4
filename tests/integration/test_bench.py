"""The bench scripts at a tiny size, to keep them working (no timings asserted).

bench/chart_data.py and bench/drop_to_published.py need a running Superset / Airflow: they
are run in tests/e2e/test_bench_live.py."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import baseline  # noqa: E402
import generate  # noqa: E402


def test_generate_is_deterministic_and_sized_by_scale(tmp_path):
    a = generate.make(tmp_path / "a", 0.02, county=True)
    b = generate.make(tmp_path / "b", 0.02, county=True)
    assert [p.relative_to(tmp_path / "a") for p in a.files] == [
        p.relative_to(tmp_path / "b") for p in b.files
    ]
    assert all(p.read_bytes() == q.read_bytes() for p, q in zip(a.files, b.files, strict=True))
    assert sorted(a.staff) == sorted(generate.codes(county=True))
    hr = {p.name for p in a.files if p.parent.name == "hr"}
    assert {n.split(".")[0] for n in hr} == {f"hr_{y}-{m:02d}" for y, m in generate.HR_MONTHS}
    assert len(generate.codes(county=False)) == 290


def test_baseline_equals_the_published_marts(demo_build, tmp_path):
    """The hand-written SQL on the same inbox files gives the platform's numbers for every
    cell the platform shows, in fct_maturity, fct_response_rate and fct_training_coverage."""
    from mognad.demo.generate import generate as demo_generate
    from tests.integration.conftest import HELD_BACK

    inbox = tmp_path / "inbox"
    demo_generate(inbox, seed=2024, scale=0.2)
    settings = demo_build.settings
    con = sqlite3.connect(settings.ledger_path)
    try:
        delivered = con.execute(
            "select count(*) from attempts where file like ? and status = 'loaded'",
            (f"%{HELD_BACK[2]}",),
        ).fetchone()[0]
    finally:
        con.close()
    if not delivered:  # the incremental test has not delivered the held-back file yet
        (inbox / HELD_BACK[0] / HELD_BACK[1] / HELD_BACK[2]).unlink()
    db, _ = baseline.run(inbox, threads=1)
    matches = baseline.compare_all(db, settings.published_db)
    db.close()
    assert set(matches) == {"fct_maturity", "fct_response_rate", "fct_training_coverage"}
    for mart, match in matches.items():
        assert match["platform_shown"] > 0, (mart, match)
        assert match["missing_in_baseline"] == 0, (mart, match)
        assert match["match_rate"] == 1.0, (mart, match)


@pytest.mark.timeout(600)
def test_run_py_every_scenario_at_tiny_size(tmp_path):
    """bench/run.py --tiny: baseline, full, incremental and no-op all succeed, the report has
    the measurements, the baseline equals the platform, the incremental run published the
    new file and the no-op run skipped the build."""
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), "--tiny", "--root", str(tmp_path / "work")]
        + ["--out", str(out)],
        cwd=tmp_path,  # DuckDB spill folders stay out of the repository
        capture_output=True,
        text=True,
        timeout=540,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads((out / "county-0.001.json").read_text())
    assert report["county"] is True and report["inbox_files"] > 0
    results = report["results"]
    assert set(results) == {"baseline", "full", "incremental", "noop", "audit"}
    for name, r in results.items():
        assert r["rc"] == 0, (name, Path(r["log"]).read_text()[-2000:])
        for field in ("wall_s", "cpu_s", "peak_rss_mb", "ratio_to_baseline"):
            assert isinstance(r[field], int | float) and r[field] >= 0, (name, field, r)
        assert r["wall_s"] > 0 and r["peak_rss_mb"] > 0, (name, r)
    match = report["baseline_match"]
    assert set(match) == {"fct_maturity", "fct_response_rate", "fct_training_coverage"}
    for mart, m in match.items():
        assert m["platform_shown"] > 0 and m["missing_in_baseline"] == 0, (mart, m)
        assert m["match_rate"] == 1.0, (mart, m)
    assert report["checks"]["incremental_published"] is True, report["checks"]
    assert report["checks"]["incremental_file_status"] == "loaded"
    assert report["checks"]["noop_skipped_build"] is True, report["checks"]
    # the disclosure audit passes on the bench build, after the build's joint protection
    assert report["checks"]["audit_passed"] is True, report["checks"]
    assert "gemensamt röjandeskydd" in (report["checks"]["protection"] or ""), report["checks"]
    assert "incremental / full" in proc.stdout
