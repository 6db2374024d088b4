"""The bench scripts at a tiny size, to keep them working (no timings asserted; issue 8)."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

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


def test_baseline_equals_the_published_maturity(demo_build, tmp_path):
    """The hand-written SQL on the same inbox files gives the platform's numbers for every
    cell the platform shows."""
    from mognad.demo import generate as demo_generate
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
    match = baseline.compare(db, settings.published_db)
    db.close()
    assert match["platform_shown"] > 0
    assert match["missing_in_baseline"] == 0
    assert match["match_rate"] == 1.0, match
