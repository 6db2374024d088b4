"""fct_training_plan recomputed independently: a plan delivered through the real inbox,
HR and training data written to the raw zone, a real dbt build, and the contract's rules
(CONTRACT §3 "plan", §6) written again here in plain Python."""

from __future__ import annotations

import csv
import io
from datetime import date

import duckdb
import pytest
from raw_build_helpers import write_hr_load, write_training_load

from mognad.build.run import build
from mognad.ingest.run import ingest
from tests.conftest import drop, make_settings

KOD = "2280"
TODAY = date(2026, 3, 15)
IRI = "https://lms.harnosand.se/xapi/activities/chefsdag-webb"
MIN_CELL = 5

# Persons: (id, target group, department, gender)
PEOPLE = (
    [(f"c{i:02}", "chef", "KLF" if i < 6 else "SOC", "kvinna" if i % 3 else "man")
     for i in range(12)]
    + [(f"m{i:02}", "medarbetare", "SOC" if i < 14 else "KLF", "kvinna" if i % 2 else "man")
       for i in range(30)]
    + [(f"f{i}", "förtroendevald", "KS", "man" if i else "kvinna") for i in range(3)]
)  # fmt: skip
SNAPSHOTS = (date(2025, 6, 30), date(2025, 12, 31), date(2026, 6, 30))


def _employments():
    rows = []
    for snap in SNAPSHOTS:
        for pid, tg, dept, gender in PEOPLE:
            # m29 joins in December; the June 2026 snapshot (after TODAY) adds m30-m39,
            # who must not count for a step still due in the future
            if pid == "m29" and snap == SNAPSHOTS[0]:
                continue
            rows.append((pid, snap, dept, tg, gender))
        if snap == SNAPSHOTS[2]:
            rows += [(f"m{i}", snap, "SOC", "medarbetare", "man") for i in range(30, 40)]
    # c00 also holds an employment in SOC: in both departments, counted once
    rows.append(("c00", SNAPSHOTS[1], "SOC", "chef", "man"))
    return rows


def _events():
    ev = []
    # web module (local code WEB1 or the xAPI activity IRI), chefs c00-c09, spring 2025
    for i in range(10):
        code = IRI if i % 2 else "WEB1"
        ev.append((f"c{i:02}", code, date(2025, 4, 1 + i), "completed"))
    ev.append(("c10", "WEB1", date(2025, 11, 1), "completed"))  # after the web step's due date
    ev.append(("c11", "WEB1 ", date(2025, 5, 1), "failed"))  # failed: no completion
    # workshop: c00-c07 (c00-c05 after the web module, c06/c07 before it), c10 in time
    for i in range(8):
        day = date(2025, 5, 20) if i < 6 else date(2025, 3, 1)
        ev.append((f"c{i:02}", "WS1", day, "passed"))
    ev.append(("c10", "WS1", date(2025, 10, 1), "completed"))
    # everybody's digital basics (DIG1): m00-m19 by now, plus c00-c03
    ev += [(f"m{i:02}", "DIG1", date(2025, 9, 1), "completed") for i in range(20)]
    ev += [(f"c{i:02}", "DIG1", date(2026, 1, 10), "completed") for i in range(4)]
    # the board: 3 of 3 completed (a group too small to show)
    ev += [(f"f{i}", "NAMND1", date(2025, 2, 1), "completed") for i in range(3)]
    # a course that belongs to no step
    ev += [(f"m{i:02}", "OTHER", date(2025, 2, 1), "completed") for i in range(25)]
    return ev


PLAN = [
    # step, target_group, department, course_codes, starts_on, due_on, target_pct, after_step
    ("1 Webbmodul chefer", "chef", "", f"WEB1; {IRI}", "2025-03-01", "2025-09-30", "80", ""),
    ("2 Workshop chefer", "Chefer", "", "WS1", "2025-05-01", "2025-12-31", "75,5",
     "1 Webbmodul chefer"),
    ("3 Grundkurs alla", "alla", "", "DIG1", "", "2026-06-30", "90", ""),
    ("4 Nämnden", "förtroendevald", "", "NAMND1", "", "2025-06-30", "100", ""),
    ("5 Socialförvaltningen", "alla", " soc ", "DIG1,WS1", "2025-08-01", "2025-12-31", "50",
     "2 Workshop chefer"),
]  # fmt: skip


def _csv(rows) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\n")
    w.writerow(["steg", "målgrupp", "förvaltning", "kurskoder", "startdatum", "klart_senast",
                "mål", "efter_steg"])  # fmt: skip
    w.writerows(rows)
    return buf.getvalue()


def _snapshot_for(day: date) -> date | None:
    earlier = [s for s in SNAPSHOTS if s <= day]
    return max(earlier) if earlier else None


def _persons_in(snap: date) -> dict[str, tuple[str, str, set[str]]]:
    out: dict[str, tuple[str, str, set[str]]] = {}
    for pid, d, dept, tg, gender in _employments():
        if d == snap:
            rec = out.setdefault(pid, (tg, gender, set()))
            rec[2].add(dept.lower())
    return out


def _firsts(codes: set[str]) -> dict[str, date]:
    out: dict[str, date] = {}
    for pid, code, day, status in _events():
        if status in ("completed", "passed") and code.strip() in codes:
            out[pid] = min(day, out.get(pid, day))
    return out


def expected(rows) -> dict[str, dict]:
    """The contract's measures for each step, without any suppression."""
    steps = {r[0]: r for r in rows}
    result = {}
    for step, tg, dept, codes, _start, due, target, after in rows:
        due_on = date.fromisoformat(due)
        tg = {"Chefer": "chef"}.get(tg, tg)
        snap = _snapshot_for(min(due_on, TODAY))
        persons = _persons_in(snap)
        population = {
            pid: gender
            for pid, (ptg, gender, depts) in persons.items()
            if (tg == "alla" or ptg == tg) and (not dept.strip() or dept.strip().lower() in depts)
        }
        codes_set = {c.strip() for c in codes.replace(";", ",").split(",") if c.strip()}
        firsts = _firsts(codes_set)
        done = {pid for pid in population if pid in firsts and firsts[pid] <= due_on}
        coverage = 100 * len(done) / len(population) if population else None
        target_pct = float(target.replace(",", "."))
        if coverage is not None and coverage >= target_pct:
            status = "uppnått"
        else:
            status = "pågår" if TODAY <= due_on else "ej uppnått"
        in_order = None
        if after:
            before = _firsts({c.strip() for c in steps[after][3].replace(";", ",").split(",")})
            ordered = [p for p in done if p in before and before[p] <= firsts[p]]
            in_order = (len(ordered), 100 * len(ordered) / len(done) if done else None)
        genders = {}
        for g in set(population.values()):
            members = [p for p, pg in population.items() if pg == g]
            genders[g] = (len(members), len([p for p in members if p in done]))
        result[step] = {
            "snapshot": snap,
            "headcount": len(population),
            "completed": len(done),
            "coverage": coverage,
            "status": status,
            "in_order": in_order,
            "genders": genders,
        }
    return result


@pytest.fixture
def home(tmp_path, monkeypatch):
    settings = make_settings(tmp_path / "home")
    monkeypatch.setenv("MOGNAD_HOME", str(settings.home))
    monkeypatch.setenv("MOGNAD_PLAN_TODAY", TODAY.isoformat())
    monkeypatch.delenv("MOGNAD_MIN_CELL", raising=False)
    write_hr_load(settings.raw, KOD, "L-hr", _employments())
    write_training_load(settings.raw, KOD, "L-lms", _events())
    return settings


def _rows(settings, sql, params=()):
    con = duckdb.connect(str(settings.published_db), read_only=True)
    try:
        cur = con.execute(sql, list(params))
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.close()


def test_plan_mart_matches_an_independent_count(home):
    # an earlier plan, replaced by the one delivered after it
    drop(
        home,
        KOD,
        "plan",
        "plan_v1.csv",
        _csv([("0 Gammalt steg", "alla", "", "X", "", "2025-01-31", "10", "")]),
    )
    ingest(home, progress=None)
    drop(home, KOD, "plan", "plan_v2.csv", _csv(PLAN))
    report = ingest(home, progress=None)
    assert [o.status for o in report.outcomes] == ["loaded"]
    build(home, full=True)

    rows = {
        r["step"]: r
        for r in _rows(
            home, "select * from marts.fct_training_plan where municipality_code = ?", [KOD]
        )
    }
    assert sorted(rows) == sorted(p[0] for p in PLAN), "the latest plan replaces the earlier one"
    want = expected(PLAN)

    # the numbers this test is built around (so a wrong expectation cannot hide)
    assert want["1 Webbmodul chefer"]["headcount"] == 12
    assert want["1 Webbmodul chefer"]["completed"] == 10  # c10 was late, c11 failed
    assert want["2 Workshop chefer"]["in_order"][0] == 6  # c06, c07 took the workshop first
    assert want["3 Grundkurs alla"]["snapshot"] == date(2025, 12, 31)  # not the June 2026 one
    assert want["3 Grundkurs alla"]["status"] == "pågår"
    assert want["4 Nämnden"]["headcount"] == 3

    for step, w in want.items():
        r = rows[step]
        small = w["headcount"] < MIN_CELL or 0 < w["completed"] < MIN_CELL
        assert r["snapshot_date"] == w["snapshot"], step
        assert r["as_of"] == TODAY
        if small:
            assert r["suppressed"], step
        if r["suppressed"]:
            assert (r["headcount"], r["completed_persons"], r["coverage_pct"], r["status"]) == (
                None, None, None, None), step  # fmt: skip
            continue
        assert (r["headcount"], r["completed_persons"]) == (w["headcount"], w["completed"]), step
        assert r["coverage_pct"] == pytest.approx(w["coverage"], abs=1e-12), step
        assert r["status"] == w["status"], step
        if w["in_order"] is None:
            assert r["in_order_pct"] is None and r["after_step"] is None, step
        else:
            n, pct = w["in_order"]
            if 0 < n < MIN_CELL:
                assert r["in_order_pct"] is None and r["in_order_suppressed"], step
            else:
                assert r["in_order_pct"] == pytest.approx(pct, abs=1e-12), step

    assert rows["4 Nämnden"]["suppressed"]
    assert rows["1 Webbmodul chefer"]["status"] == "uppnått"  # 10/12 = 83.3 % >= 80
    assert rows["2 Workshop chefer"]["status"] == "ej uppnått"  # 9/12 = 75 % < 75,5, past due
    assert rows["2 Workshop chefer"]["in_order_pct"] == pytest.approx(100 * 6 / 9)
    assert rows["3 Grundkurs alla"]["coverage_pct"] == pytest.approx(100 * 24 / 45)
    assert rows["3 Grundkurs alla"]["target_pct"] == 90
    assert rows["2 Workshop chefer"]["target_pct"] == 75.5
    assert rows["1 Webbmodul chefer"]["course_codes"] == f"WEB1, {IRI}"
    assert [rows[s]["step_order"] for s in sorted(rows, key=lambda s: rows[s]["step_order"])] == [
        1,
        2,
        3,
        4,
        5,
    ]

    # per gender: the 'alla' rows are fct_training_plan's, shown cells match, none recoverable
    gender_rows = _rows(
        home, "select * from marts.fct_training_plan_gender where municipality_code = ?", [KOD]
    )
    for step, w in want.items():
        cells = {g["gender"]: g for g in gender_rows if g["step"] == step}
        total = cells.pop("alla")
        assert (total["headcount"], total["suppressed"]) == (
            rows[step]["headcount"], rows[step]["suppressed"]), step  # fmt: skip
        assert set(cells) == set(w["genders"]), step
        for g, cell in cells.items():
            n, done = w["genders"][g]
            if n < MIN_CELL or 0 < done < MIN_CELL:
                assert cell["suppressed"], (step, g)
            if not cell["suppressed"]:
                assert (cell["headcount"], cell["completed_persons"]) == (n, done), (step, g)
                assert cell["coverage_pct"] == pytest.approx(100 * done / n), (step, g)
        hidden = [c for c in cells.values() if c["suppressed"]]
        if not total["suppressed"]:
            assert len(hidden) != 1, f"{step}: one hidden gender = total − the others"
        elif cells:
            assert hidden, f"{step}: a hidden total = the sum of shown genders"


def test_plan_status_follows_today_without_new_deliveries(home, monkeypatch):
    """A step due in the future is `pågår`; once its due date has passed it is `ej uppnått`,
    rebuilt even when no feed delivered anything new."""
    drop(home, KOD, "plan", "plan.csv", _csv(PLAN))
    ingest(home, progress=None)
    build(home, full=True)

    def status():
        (r,) = _rows(
            home,
            "select status, as_of from marts.fct_training_plan where step = '3 Grundkurs alla'",
        )
        return r["status"], r["as_of"]

    assert status() == ("pågår", TODAY)
    monkeypatch.setenv("MOGNAD_PLAN_TODAY", "2026-07-01")
    build(home)  # incremental: nothing new in the raw zone
    assert status() == ("ej uppnått", date(2026, 7, 1))
