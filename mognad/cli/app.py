"""The `mognad` command line: the same functions the Airflow DAGs call."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from mognad.cli.output import say
from mognad.config import Settings, load_settings


def cmd_setup(args, settings: Settings) -> int:
    from mognad.secrets import ensure_secrets

    _, created = ensure_secrets(settings.secrets_file)
    if created:
        say(f"Hemligheter skapade / secrets generated: {', '.join(created)}")
    say(f"Hemlighetsfil / secrets file: {settings.secrets_file}")
    for zone in (settings.inbox, settings.raw, settings.state, settings.warehouse_dir):
        zone.mkdir(parents=True, exist_ok=True)
    return 0


def cmd_demo_data(args, settings: Settings) -> int:
    from mognad.demo.generate import generate

    municipalities = args.municipalities.split(",") if args.municipalities else None
    kwargs = {"municipalities": municipalities} if municipalities else {}
    started = time.monotonic()
    summary = generate(
        Path(args.inbox) if args.inbox else settings.inbox,
        seed=args.seed,
        scale=args.scale,
        progress=say,
        **kwargs,
    )
    files = getattr(summary, "files", [])
    say(f"Demodata: {len(files)} filer/files på/in {time.monotonic() - started:.1f} s")
    return 0


def cmd_ingest(args, settings: Settings) -> int:
    from mognad.ingest.run import ingest
    from mognad.orchestration.ingest_task import failure_line, problems

    report = ingest(settings, progress=say)
    say(report.summary())
    reasons = problems(report)  # the DAGs' policy (mognad/orchestration/ingest_task.py)
    if reasons:
        # 1: a file could not be taken (storage, a dead worker); 2: a feed was refused
        say("mognad " + failure_line(reasons))
        return 1 if report.failed else 2
    return 0


def cmd_pull(args, settings: Settings) -> int:
    from mognad.pull.run import pull_all

    results = pull_all(settings, args.sources or None)
    for r in results:
        state = "ok" if r.ok else "MISSLYCKADES/FAILED"
        say(f"  {r.source_id}  {state}  {r.message}  ({len(r.files)} filer/files)")
    failed = [r.source_id for r in results if not r.ok]
    say(f"{len(results)} källor/sources, {len(failed)} misslyckade/failed")
    if failed:
        say("mognad pull: misslyckades / failed: " + ", ".join(failed))
        return 1
    return 0


def cmd_build(args, settings: Settings) -> int:
    from mognad.build.errors import BuildError
    from mognad.build.run import build

    try:
        build(settings, full=bool(getattr(args, "full", False)))
    except BuildError as exc:
        say(f"mognad build: misslyckades / failed: {exc}")
        return 1
    return 0


def cmd_run(args, settings: Settings) -> int:
    rc = cmd_ingest(args, settings)
    if rc:
        return rc
    from mognad.build.run import up_to_date

    if not getattr(args, "full", False) and up_to_date(settings):
        say(
            "mognad run: inget nytt sedan senaste publiceringen, bygget hoppas över / "
            f"nothing new since the last publish, build skipped ({settings.published_db})"
        )
        return 0
    return cmd_build(args, settings)


def cmd_demo(args, settings: Settings) -> int:
    from mognad.stack.platform import run_demo

    return run_demo(
        settings,
        airflow_port=args.airflow_port,
        superset_port=args.superset_port,
        scale=args.scale,
        seed=args.seed,
        wait=not args.no_wait,
    )


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="mognad",
        description="Digital mognad: läs in leveranser, bygg och publicera marterna.",
    )
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("setup", help="generate secrets (once) and create the zones")
    d = sub.add_parser("demo-data", help="write deterministic demo files into the inbox")
    d.add_argument("--seed", type=int, default=2024)
    d.add_argument("--scale", type=float, default=1.0)
    d.add_argument("--municipalities", help="comma-separated codes (default: Västernorrland)")
    d.add_argument("--inbox", help="target inbox (default: $MOGNAD_HOME/ingest)")
    sub.add_parser("ingest", help="take every settled file in the inbox once")
    pl = sub.add_parser("pull", help="pull HTTP sources (sources/*.yaml) into the inbox")
    pl.add_argument("sources", nargs="*", help="source ids (default: all)")
    b = sub.add_parser("build", help="build, validate and publish the marts")
    b.add_argument(
        "--full", action="store_true", help="rebuild from the raw zone (default: incremental)"
    )
    sub.add_parser("run", help="ingest, then build")
    demo = sub.add_parser("demo", help="bring up Airflow and Superset with demo data")
    demo.add_argument("--airflow-port", type=int, default=8080)
    demo.add_argument("--superset-port", type=int, default=8088)
    demo.add_argument("--scale", type=float, default=1.0)
    demo.add_argument("--seed", type=int, default=2024)
    demo.add_argument("--no-wait", action="store_true", help="stop after the first run")
    from mognad.cli.runbook import (
        register as register_ops,  # docs, templates, check, status, runbook
    )

    register_ops(sub)
    from mognad.quality.disclosure.audit import (
        register as register_audit,  # the disclosure audit (docs/metod.md)
    )

    register_audit(sub)
    return p


COMMANDS = {
    "setup": cmd_setup,
    "demo-data": cmd_demo_data,
    "ingest": cmd_ingest,
    "pull": cmd_pull,
    "build": cmd_build,
    "run": cmd_run,
    "demo": cmd_demo,
}


def _ops_commands() -> dict:
    from mognad.cli.runbook import (
        COMMANDS as ops_commands,  # the runbook commands (docs/runbook.md)
    )

    return ops_commands


COMMANDS.update(_ops_commands())


def _audit(args, settings: Settings) -> int:
    from mognad.quality.disclosure.audit import cmd_audit  # the disclosure audit (docs/metod.md)

    return cmd_audit(args, settings)


COMMANDS["audit"] = _audit


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = load_settings()
    try:
        return COMMANDS[args.command](args, settings)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # one line, never a traceback, for people at a terminal
        say(f"mognad {args.command}: {exc.__class__.__name__}: {exc}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
