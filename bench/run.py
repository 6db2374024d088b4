"""Benchmark scenarios against the bare baseline, in one run.

    .venv/pipeline/bin/python bench/run.py [--scale 0.01] [--county] [--tiny] [--root DIR]
        [--keep] [--out DIR] [--charts] [--airflow]

1. baseline     bench/baseline.py on the inbox (hand-written DuckDB SQL, no framework)
2. full         empty home -> `mognad run` (ingest, raw-batch gate, dbt, GX, publish)
3. incremental  one municipality drops one new survey file -> `mognad run`
4. no-op        `mognad run` with nothing new
   audit        `mognad audit` on the published file (the disclosure audit must pass)
5. dashboards   bench/chart_data.py on the published mart (only with --charts: it sets up a
                throwaway Superset, minutes)
6. airflow      bench/drop_to_published.py at county scale (only with --airflow)

Every scenario runs as a child process under /usr/bin/time -v: wall time, CPU time (user +
system, children included) and peak resident memory. Prints a table with the ratio to the
baseline and writes bench/out/<label>.json (or --out DIR). Also checks that the baseline's
unsuppressed numbers equal every cell the platform publishes (fct_maturity,
fct_response_rate, fct_training_coverage), that the incremental run published the new file
and that the no-op run skipped the build; exit 1 if a scenario or a check fails.

``--tiny`` (= ``--county --scale 0.001``, ~210 staff, 280 files) runs every scenario in well
under a minute: tests/integration/test_bench.py runs it to keep the scripts working.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

import baseline  # noqa: E402
import generate  # noqa: E402

PY = sys.executable
MOGNAD = str(Path(PY).with_name("mognad"))


def timed(cmd: list[str], env: dict[str, str], log: Path) -> dict:
    """Run cmd under /usr/bin/time -v; wall, cpu (user+sys incl. children), peak RSS."""
    stats = log.with_suffix(".time")
    t = time.perf_counter()
    with open(log, "w") as out:
        proc = subprocess.run(
            ["/usr/bin/time", "-v", "-o", str(stats), *cmd],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    wall = time.perf_counter() - t
    text = stats.read_text()

    def field(name: str) -> float:
        m = re.search(rf"{re.escape(name)}: ([0-9.]+)", text)
        return float(m.group(1)) if m else 0.0

    return {
        "wall_s": round(wall, 2),
        "cpu_s": round(field("User time (seconds)") + field("System time (seconds)"), 2),
        "peak_rss_mb": round(field("Maximum resident set size (kbytes)") / 1024, 1),
        "rc": proc.returncode,
        "log": str(log),
    }


def new_survey_file(code: str, scale: float, county: bool, into: Path) -> Path:
    """A new delivery (another seed) of one municipality's latest DiMiOS wave."""
    from mognad.demo.generate import generate as demo_generate

    tmp = Path(tempfile.mkdtemp(prefix="mognad-bench-drop-"))
    try:
        s = demo_generate(
            tmp,
            seed=777,
            scale=generate.demo_scale(scale, county),
            municipalities=[code],
            hr_months=generate.HR_MONTHS[:1],
        )
        chosen = sorted(p for p in s.files if p.parent.name == "survey" and "dimios" in p.name)
        target = into / code / "survey" / f"omkorning-{chosen[-1].name}"
        target.parent.mkdir(parents=True, exist_ok=True)
        part = target.with_name(target.name + ".part")
        shutil.copyfile(chosen[-1], part)
        os.replace(part, target)
        return target
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def published_mtime(published: Path) -> int | None:
    try:
        return published.stat().st_mtime_ns
    except FileNotFoundError:
        return None


def published_file_status(published: Path, name: str) -> str | None:
    """The status of a file in the published marts.ingest_log (None: not there)."""
    import duckdb

    if not published.exists():
        return None
    con = duckdb.connect(str(published), read_only=True)
    try:
        row = con.execute(
            "select status from marts.ingest_log where file = ? order by received_at desc",
            [name],
        ).fetchone()
    finally:
        con.close()
    return row[0] if row else None


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in ("duckdb", "dbt-core", "dbt-duckdb", "apache-airflow", "great-expectations"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "-"
    ss = ROOT / ".venv" / "superset" / "bin" / "python"
    if ss.exists():
        r = subprocess.run(
            [
                str(ss),
                "-c",
                "from importlib.metadata import version; print(version('apache-superset'))",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        out["apache-superset"] = r.stdout.strip() or "-"
    return out


def machine() -> dict:
    mem_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kb = int(line.split()[1])
    return {"cores": os.cpu_count(), "memory_gib": round(mem_kb / 1024**2, 1)}


def full_log(results: dict) -> str:
    return results["full"]["log"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=0.01, help="1.0 = a real roll-out")
    ap.add_argument("--county", action="store_true", help="Västernorrland instead of national")
    ap.add_argument("--root", type=Path, help="work folder (default: a temp folder)")
    ap.add_argument("--inbox", type=Path, help="reuse a generated inbox (bench/generate.py)")
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    ap.add_argument("--charts", action="store_true", help="also run bench/chart_data.py")
    ap.add_argument("--airflow", action="store_true", help="also run drop_to_published.py")
    ap.add_argument("--tiny", action="store_true", help="= --county --scale 0.001 (tests)")
    ap.add_argument("--out", type=Path, default=BENCH / "out", help="folder for <label>.json")
    args = ap.parse_args(argv)
    if args.tiny:
        args.county, args.scale = True, 0.001

    label = f"{'county' if args.county else 'national'}-{args.scale:g}"
    root = args.root or Path(tempfile.mkdtemp(prefix="mognad-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    logs = root / "logs"
    logs.mkdir(exist_ok=True)
    home = root / "home"
    shutil.rmtree(home, ignore_errors=True)
    env = dict(os.environ)
    env.update(
        MOGNAD_HOME=str(home),
        MOGNAD_SETTLE_SECONDS="0",
        MOGNAD_SECRETS_FILE=str(root / "secrets.env"),
    )
    from mognad.secrets import ensure_secrets

    ensure_secrets(root / "secrets.env")
    results: dict[str, dict] = {}

    inbox = args.inbox
    if inbox is None:
        inbox = root / "inbox"
        if not inbox.exists():
            t = time.perf_counter()
            s = generate.make(inbox, args.scale, args.county)
            print(
                f"generated {len(s.files)} files, {sum(s.staff.values())} staff, rows "
                f"{s.rows} in {time.perf_counter() - t:.0f} s",
                flush=True,
            )
    files = [p for p in inbox.rglob("*") if p.is_file()]
    size_mb = sum(p.stat().st_size for p in files) / 1e6

    print("baseline ...", flush=True)
    results["baseline"] = timed(
        [PY, str(BENCH / "baseline.py"), str(inbox), "--json", str(root / "baseline.json")],
        env,
        logs / "baseline.log",
    )
    base = results["baseline"]

    print("full: empty home -> mognad run ...", flush=True)
    shutil.copytree(inbox, home / "ingest")
    results["full"] = timed([MOGNAD, "run"], env, logs / "full.log")

    published = home / "warehouse" / "mognad.duckdb"
    match = None
    if published.exists():
        con, _ = baseline.run(inbox)
        match = baseline.compare_all(con, published)
        con.close()
        for mart, m in match.items():
            print(
                f"baseline vs published {mart}: {m['equal']} of {m['platform_shown']} shown "
                f"cells equal, {m['missing_in_baseline']} missing, match rate {m['match_rate']}",
                flush=True,
            )

    checks: dict[str, object] = {}
    code = generate.codes(args.county)[len(generate.codes(args.county)) // 2]
    new = new_survey_file(code, args.scale, args.county, home / "ingest")
    before = published_mtime(published)
    print(f"incremental: one new survey file for {code} -> mognad run ...", flush=True)
    results["incremental"] = timed([MOGNAD, "run"], env, logs / "incremental.log")
    status = published_file_status(published, new.name)
    checks["incremental_published"] = status == "loaded" and published_mtime(published) != before
    checks["incremental_file_status"] = status

    print("no-op: mognad run with nothing new ...", flush=True)
    before = published_mtime(published)
    results["noop"] = timed([MOGNAD, "run"], env, logs / "noop.log")
    noop_log = Path(results["noop"]["log"]).read_text(errors="replace")
    checks["noop_skipped_build"] = (
        "build skipped" in noop_log and before is not None and published_mtime(published) == before
    )

    if published.exists():
        print("audit: mognad audit on the published county file ...", flush=True)
        results["audit"] = timed([MOGNAD, "audit", str(published)], env, logs / "audit.log")
        audit_log = Path(results["audit"]["log"]).read_text(errors="replace")
        checks["audit_passed"] = results["audit"]["rc"] == 0 and "GODKÄND" in audit_log
        summary = re.search(r"gemensamt röjandeskydd[^\n]*", Path(full_log(results)).read_text())
        checks["protection"] = summary.group(0) if summary else None
        print("\n".join(audit_log.splitlines()[-6:]), flush=True)

    if args.charts and published.exists():
        print("dashboards: bench/chart_data.py ...", flush=True)
        results["charts"] = timed(
            [PY, str(BENCH / "chart_data.py"), "--warehouse", str(published), "--repeat", "20"],
            env,
            logs / "charts.log",
        )
    if args.airflow and (BENCH / "drop_to_published.py").exists():
        print("drop-to-published through Airflow (county scale) ...", flush=True)
        results["airflow"] = timed(
            [PY, str(BENCH / "drop_to_published.py"), "--drops", "1", "--settle", "5"],
            env,
            logs / "airflow.log",
        )

    full = results["full"]
    print()
    print(f"scenario     {'wall s':>8} {'cpu s':>8} {'peak MB':>8} {'x base':>7} {'rc':>3}")
    for name, r in results.items():
        ratio = r["wall_s"] / base["wall_s"] if base["wall_s"] else float("nan")
        r["ratio_to_baseline"] = round(ratio, 2)
        print(
            f"{name:<12} {r['wall_s']:>8.1f} {r['cpu_s']:>8.1f} {r['peak_rss_mb']:>8.0f} "
            f"{ratio:>7.2f} {r['rc']:>3}"
        )
    print(f"checks: {checks}")
    if full["wall_s"]:
        print(f"incremental / full = {results['incremental']['wall_s'] / full['wall_s']:.1%}")
    report = {
        "label": label,
        "scale": args.scale,
        "county": args.county,
        "inbox_files": len(files),
        "inbox_mb": round(size_mb, 1),
        "machine": machine(),
        "versions": versions(),
        "results": results,
        "baseline_match": match,
        "checks": checks,
        "command": " ".join([Path(PY).name, *sys.argv]),
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{label}.json").write_text(json.dumps(report, indent=1, ensure_ascii=False))
    print(f"wrote {args.out / f'{label}.json'}; work folder {root}")
    if not args.keep and args.root is None:
        shutil.rmtree(root, ignore_errors=True)
    failed = [n for n, r in results.items() if r["rc"]]
    failed += [
        n
        for n in ("incremental_published", "noop_skipped_build", "audit_passed")
        if not checks.get(n)
    ]
    failed += [
        f"match {mart}" for mart, m in (match or {}).items() if m["match_rate"] not in (1.0, None)
    ]
    if match is None:
        failed.append("no published warehouse")
    if failed:
        print(f"FAILED: {', '.join(failed)}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
