"""Drop-to-published latency through a running Airflow, at county scale (Västernorrland).

    .venv/pipeline/bin/python bench/drop_to_published.py [--scale 1.0] [--drops 2]
        [--dbt-tasks cosmos|single] [--settle 5] [--municipalities 2260,2262] [--keep]
        [--json OUT]
    .venv/pipeline/bin/python bench/drop_to_published.py --home HOME --port PORT [--drops 1]

Sets up a fresh home (temp folder): demo data for Västernorrland's seven municipalities (or
``--municipalities``), ingested and published once; starts `airflow standalone` on a free
port with the event-driven DAGs unpaused; then drops one new survey file at a time into an
inbox and measures the seconds until the published mart changes. The settle time counts (a
file must rest MOGNAD_SETTLE_SECONDS before it is taken). Prints one line per drop and a
summary.

With ``--home`` and ``--port`` it uses an Airflow that is already running there instead (a
home already published once, the event-driven DAGs unpaused — as tests/e2e's live tests set
up): only the drops are made, and nothing is started or stopped.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mognad.config import Settings  # noqa: E402
from mognad.contract.reference import VASTERNORRLAND  # noqa: E402
from mognad.secrets import ensure_secrets  # noqa: E402
from mognad.stack import airflow_local as af  # noqa: E402
from tests.support import live  # noqa: E402


def drops(settings: Settings, codes: list[str], n: int, scale: float, timeout: float) -> list:
    results = []
    before = live.mart_state(settings)
    for i in range(n):
        code = codes[i % len(codes)]
        new = live.survey_file(code, seed=1000 + i, scale=scale)
        dropped = live.drop_file(settings, new, code)
        after, seconds = live.wait_mart_change(settings, before, timeout=timeout, poll=0.5)
        results.append(
            {
                "municipality_code": code,
                "file": dropped.name,
                "seconds": round(seconds, 1),
                "respondents_before": before.respondents if before else None,
                "respondents_after": after.respondents,
            }
        )
        print(
            f"drop {i + 1} ({code}, {dropped.name}): published after {seconds:.1f} s "
            f"(respondents {before.respondents if before else '-'} → {after.respondents})",
            flush=True,
        )
        before = after
        if i + 1 < n:
            time.sleep(3)
    return results


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--drops", type=int, default=2)
    ap.add_argument("--settle", type=float, default=5.0)
    ap.add_argument("--dbt-tasks", choices=("cosmos", "single"), default="cosmos")
    ap.add_argument(
        "--municipalities", help="comma-separated codes (default: Västernorrland's seven)"
    )
    ap.add_argument("--home", type=Path, help="an already published home with Airflow running")
    ap.add_argument("--port", type=int, help="the port of that running Airflow (with --home)")
    ap.add_argument("--timeout", type=float, default=900, help="seconds to wait per drop")
    ap.add_argument("--json", type=Path, help="write the result here")
    ap.add_argument("--keep", action="store_true", help="keep the temp home")
    args = ap.parse_args()
    if (args.home is None) != (args.port is None):
        ap.error("--home and --port go together")
    codes = args.municipalities.split(",") if args.municipalities else list(VASTERNORRLAND)

    proc = None
    root = None
    if args.home:
        settings = Settings(home=args.home)
        port = args.port
        af.wait_healthy(port, timeout=60)
        print(f"existing Airflow on port {port}, home {args.home}", flush=True)
    else:
        os.environ["MOGNAD_DBT_TASKS"] = args.dbt_tasks
        os.environ.pop("AIRFLOW_HOME", None)
        root = Path(tempfile.mkdtemp(prefix="mognad-bench-"))
        home = root / "home"
        secrets_file = home / "secrets.env"
        ensure_secrets(secrets_file)
        settings = Settings(home=home, settle_seconds=args.settle, secrets_file=secrets_file)
        print(f"home {home}; scale {args.scale}; dbt tasks: {args.dbt_tasks}", flush=True)
        t = time.monotonic()
        live.publish_once(settings, codes, scale=args.scale, progress=lambda _m: None)
        print(f"first publish (in-process): {time.monotonic() - t:.1f} s", flush=True)
        port = live.free_port()
        af.setup(settings, progress=lambda _m: None, port=port)
        t = time.monotonic()
        proc = live.start_event_driven(settings, port)
        print(
            f"airflow standalone up, event DAGs unpaused: {time.monotonic() - t:.1f} s",
            flush=True,
        )
    try:
        results = drops(settings, codes, args.drops, args.scale, args.timeout)
    finally:
        live.stop_tree(proc)
        if root is not None and not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    seconds = [r["seconds"] for r in results]
    settle = "that Airflow's settle time" if args.home else f"settle {args.settle:.0f} s"
    print(
        f"drop-to-published: {', '.join(f'{s:.1f}' for s in seconds)} s "
        f"({settle} included; goal < 120 s)"
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {
                    "scenario": "drop_to_published",
                    "existing_airflow": bool(args.home),
                    "scale": args.scale,
                    "drops": results,
                    "seconds": seconds,
                },
                indent=1,
                ensure_ascii=False,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
