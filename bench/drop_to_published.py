"""Drop-to-published latency through a running Airflow, at county scale (Västernorrland).

    .venv/pipeline/bin/python bench/drop_to_published.py [--scale 1.0] [--drops 2]
        [--dbt-tasks cosmos|single] [--settle 5] [--keep]

Sets up a fresh home (temp folder): demo data for Västernorrland's seven municipalities,
ingested and published once; starts `airflow standalone` on a free port with the
event-driven DAGs unpaused; then drops one new survey file at a time into an inbox and
measures the seconds until the published mart changes. The settle time counts (a file
must rest MOGNAD_SETTLE_SECONDS before it is taken). Prints one line per drop and a summary.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mognad import airflow as af  # noqa: E402
from mognad.config import Settings  # noqa: E402
from mognad.orchestration import live  # noqa: E402
from mognad.reference import VASTERNORRLAND  # noqa: E402
from mognad.secrets import ensure_secrets  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--drops", type=int, default=2)
    ap.add_argument("--settle", type=float, default=5.0)
    ap.add_argument("--dbt-tasks", choices=("cosmos", "single"), default="cosmos")
    ap.add_argument("--keep", action="store_true", help="keep the temp home")
    args = ap.parse_args()

    os.environ["MOGNAD_DBT_TASKS"] = args.dbt_tasks
    os.environ.pop("AIRFLOW_HOME", None)
    root = Path(tempfile.mkdtemp(prefix="mognad-bench-"))
    home = root / "home"
    secrets_file = home / "secrets.env"
    ensure_secrets(secrets_file)
    settings = Settings(home=home, settle_seconds=args.settle, secrets_file=secrets_file)
    print(f"home {home}; scale {args.scale}; dbt tasks: {args.dbt_tasks}", flush=True)

    t = time.monotonic()
    live.publish_once(settings, VASTERNORRLAND, scale=args.scale, progress=lambda _m: None)
    print(f"first publish (in-process): {time.monotonic() - t:.1f} s", flush=True)
    port = live.free_port()
    af.setup(settings, progress=lambda _m: None, port=port)
    t = time.monotonic()
    proc = live.start_event_driven(settings, port)
    print(f"airflow standalone up, event DAGs unpaused: {time.monotonic() - t:.1f} s", flush=True)
    results = []
    try:
        before = live.mart_state(settings)
        for i in range(args.drops):
            code = VASTERNORRLAND[i % len(VASTERNORRLAND)]
            new = live.survey_file(code, seed=1000 + i, scale=args.scale)
            live.drop_file(settings, new, code)
            after, seconds = live.wait_mart_change(settings, before, timeout=900, poll=0.5)
            results.append(seconds)
            print(
                f"drop {i + 1} ({code}, {new.name}): published after {seconds:.1f} s "
                f"(respondents {before.respondents} → {after.respondents})",
                flush=True,
            )
            before = after
            time.sleep(3)
    finally:
        live.stop_tree(proc)
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    print(
        f"drop-to-published: {', '.join(f'{s:.1f}' for s in results)} s "
        f"(settle {args.settle:.0f} s included; goal < 120 s)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
