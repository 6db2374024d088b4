"""The disclosure audit (mognad/quality/audit.py) on hand-made published files: each leak it must
find, a protected table it must pass, and the command's exit code and JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb

from mognad.quality.disclosure.audit import audit

MIN_CELL = 5


def _file(path: Path, tables: dict[str, tuple[str, list[tuple]]]) -> Path:
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    for name, (ddl, rows) in tables.items():
        con.execute(f"create table marts.{name} ({ddl})")
        if rows:
            marks = ", ".join("?" * len(rows[0]))
            con.executemany(f"insert into marts.{name} values ({marks})", rows)
    con.close()
    return path


RR = "municipality_code text, wave int, target_group text, headcount int, respondents int, response_rate_pct double, suppressed bool"  # noqa: E501


def _rr(rows):
    out = []
    for tg, h, r in rows:
        hidden = h is None
        pct = None if hidden else 100.0 * r / h
        out.append(("2260", 2025, tg, h, r, pct, hidden))
    return {"fct_response_rate": (RR, out)}


def test_subtraction_from_a_total_is_found(tmp_path):
    # alla 40/20; chef hidden; the other two shown: chef = total - siblings
    f = _file(
        tmp_path / "a.duckdb",
        _rr(
            [
                ("alla", 40, 20),
                ("förtroendevald", 10, 5),
                ("medarbetare", 27, 13),
                ("chef", None, None),
            ]
        ),
    )
    result = audit(f, MIN_CELL)
    assert not result.passed
    assert {(d["key"][2], d["column"]) for d in result.pinned} == {
        ("chef", "headcount"),
        ("chef", "respondents"),
    }
    assert all(d["lower"] == d["upper"] for d in result.pinned)
    assert {d["lower"] for d in result.pinned} == {3, 2}


def test_two_hidden_large_enough_pass(tmp_path):
    # two hidden groups whose sum leaves each at least min_cell of room: protected
    f = _file(
        tmp_path / "d.duckdb",
        _rr(
            [
                ("alla", 60, 30),
                ("förtroendevald", None, None),
                ("medarbetare", 40, 20),
                ("chef", None, None),
            ]
        ),
    )
    result = audit(f, MIN_CELL)
    assert result.passed, result.narrow
    assert result.hidden == 4 and not result.pinned


MAT = "municipality_code text, wave int, instrument text, target_group text, gender text, dimension text, category text, respondents int, score_pct double, suppressed bool"  # noqa: E501


def _mat(cells):
    rows = []
    for (tg, g), (n, score) in cells.items():
        rows.append(("2260", 2025, "dimios", tg, g, "alla", "alla", n, score, n is None))
    return {"fct_maturity_gender": (MAT, rows)}


def _grid(inner, margins):
    """Target groups chef/medarbetare x genders kvinna/man; the other groups and genders are
    shown zeros."""
    cells = dict(inner) | dict(margins)
    for tg in ("förtroendevald", "chef", "medarbetare", "alla"):
        for g in ("kvinna", "man", "annat", "ej angivet", "alla"):
            cells.setdefault((tg, g), (0, None))
    return cells


def test_mean_times_count_leak_is_found(tmp_path):
    # every inner cell hidden, margins shown: on counts alone one degree of freedom is left
    # (chef/kvinna anywhere in [0, 10]). But the chef row scores 100 and the kvinna column 0:
    # S(chef, kvinna) = 100 n and = 0, so n(chef, kvinna) = 0 and the rest is pinned.
    hidden = (None, None)
    inner = {
        ("chef", "kvinna"): hidden,
        ("chef", "man"): hidden,
        ("medarbetare", "kvinna"): hidden,
        ("medarbetare", "man"): hidden,
    }
    counts_only = {
        ("chef", "alla"): (10, None),
        ("medarbetare", "alla"): (10, None),
        ("alla", "kvinna"): (10, None),
        ("alla", "man"): (10, None),
        ("alla", "alla"): (20, None),
    }
    f = _file(tmp_path / "b0.duckdb", _mat(_grid(inner, counts_only)))
    assert audit(f, MIN_CELL).passed  # counts alone leave [0, 10]
    with_means = {
        ("chef", "alla"): (10, 100.0),
        ("medarbetare", "alla"): (10, 0.0),
        ("alla", "kvinna"): (10, 0.0),
        ("alla", "man"): (10, 100.0),
        ("alla", "alla"): (20, 50.0),
    }
    f = _file(tmp_path / "b.duckdb", _mat(_grid(inner, with_means)))
    result = audit(f, MIN_CELL)
    assert not result.passed
    pinned = {(d["key"][3], d["key"][4]): d["lower"] for d in result.pinned}
    assert pinned == {("chef", "man"): 10, ("medarbetare", "kvinna"): 10}
    assert result.known_zero == 2  # chef/kvinna and medarbetare/man: proved empty


COV = "municipality_code text, period text, target_group text, gender text, headcount int, trained_persons int, coverage_pct double, suppressed bool"  # noqa: E501


def test_percentage_with_its_denominator_is_found(tmp_path):
    # the count is hidden but the percentage and the headcount are shown: 25 % of 12 = 3
    rows = [
        ("2260", "2025-12", "alla", "alla", 12, None, 25.0, True),
        ("2260", "2025-12", "chef", "alla", 12, None, 25.0, True),
        ("2260", "2025-12", "chef", "kvinna", 12, None, 25.0, True),
        ("2260", "2025-12", "alla", "kvinna", 12, None, 25.0, True),
    ]
    f = _file(tmp_path / "c.duckdb", {"fct_training_coverage": (COV, rows)})
    result = audit(f, MIN_CELL)
    assert not result.passed
    assert {d["lower"] for d in result.pinned} == {3}
    assert {d["column"] for d in result.pinned} == {"trained_persons"}


def test_row_existence_proves_a_count(tmp_path):
    # absent rows are empty groups: the only present child of a total equals the total
    rows = [
        ("2260", "2025-12", "alla", "alla", 30, 12, 40.0, False),
        ("2260", "2025-12", "chef", "alla", 30, 12, 40.0, False),
        ("2260", "2025-12", "alla", "kvinna", 30, 12, 40.0, False),
        ("2260", "2025-12", "chef", "kvinna", None, None, None, True),
    ]
    f = _file(tmp_path / "e.duckdb", {"fct_training_coverage": (COV, rows)})
    result = audit(f, MIN_CELL)
    assert {(d["column"], d["lower"]) for d in result.pinned} == {
        ("headcount", 30),
        ("trained_persons", 12),
    }


def test_command_exit_code_and_json(tmp_path):
    leak = _file(
        tmp_path / "leak.duckdb",
        _rr(
            [
                ("alla", 40, 20),
                ("förtroendevald", 10, 5),
                ("medarbetare", 27, 13),
                ("chef", None, None),
            ]
        ),
    )
    ok = _file(
        tmp_path / "ok.duckdb",
        _rr(
            [
                ("alla", 60, 30),
                ("förtroendevald", None, None),
                ("medarbetare", 40, 20),
                ("chef", None, None),
            ]
        ),
    )
    env_home = tmp_path / "home"
    cmd = [sys.executable, "-m", "mognad.cli", "audit"]
    env = {"MOGNAD_HOME": str(env_home), "PATH": "/usr/bin:/bin"}
    bad = subprocess.run([*cmd, str(leak), "--json"], capture_output=True, text=True, env=env)
    assert bad.returncode == 1, bad.stderr
    data = json.loads(bad.stdout)
    assert data["passed"] is False and len(data["pinned"]) == 2
    good = subprocess.run([*cmd, str(ok)], capture_output=True, text=True, env=env)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "GODKÄND / PASSED" in good.stdout


def test_demo_build_passes_the_audit(demo_build):
    """The demo build, protected jointly by the build: no hidden count pinned or narrower
    than min_cell over the 8 linked tables (figures printed for docs/metod.md)."""
    s = demo_build.settings
    result = audit(s.published_db, s.min_cell, build_db=s.build_db)
    print(result.as_dict() | {"pinned": len(result.pinned), "narrow": len(result.narrow)})
    assert result.hidden > 0 and not result.failed_components
    assert len(result.tables) >= 8
    assert result.passed, result.narrow[:5]


def _protect(path: Path):
    from mognad.quality.disclosure.protect import protect

    con = duckdb.connect(str(path))
    try:
        return protect(con, MIN_CELL)
    finally:
        con.close()


def test_protection_closes_a_subtraction_leak_and_is_idempotent(tmp_path):
    rows = [
        ("alla", 40, 20),
        ("förtroendevald", 10, 5),
        ("medarbetare", 27, 13),
        ("chef", None, None),
    ]
    f = _file(tmp_path / "p.duckdb", _rr(rows))
    assert not audit(f, MIN_CELL).passed
    first = _protect(f)
    assert first.added["fct_response_rate"] >= 1 and first.hidden_after > first.hidden_before
    result = audit(f, MIN_CELL)
    assert result.passed, result.narrow
    # a part is hidden rather than the total, and the smallest part with room: förtroendevald
    con = duckdb.connect(str(f), read_only=True)
    hidden = {
        r[0]
        for r in con.execute(
            "select target_group from marts.fct_response_rate where suppressed"
        ).fetchall()
    }
    con.close()
    assert hidden == {"chef", "förtroendevald"}
    again = _protect(f)  # nothing left to do: a rerun changes nothing
    assert not again.added and again.rounds == 0


def test_protection_widens_what_row_existence_proves(tmp_path):
    # coverage: one hidden target group with 2 persons, pinned by the total and its siblings
    # (everyone is a woman here: each row has its 'kvinna' twin)
    groups = [
        ("alla", 30, 10, False),
        ("chef", None, None, True),
        ("medarbetare", 20, 6, False),
        ("förtroendevald", 8, 2, False),
    ]
    cov = [
        ("2260", "2025-12", tg, g, h, t, None if hidden else 100 * t / h, hidden)
        for tg, h, t, hidden in groups
        for g in ("alla", "kvinna")
    ]
    f = _file(tmp_path / "c.duckdb", {"fct_training_coverage": (COV, cov)})
    assert not audit(f, MIN_CELL).passed
    _protect(f)
    result = audit(f, MIN_CELL)
    assert result.passed, result.narrow
