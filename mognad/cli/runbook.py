"""The runbook's commands (docs/runbook.md) and the deliverer's: docs, templates, check,
status, requeue, add-municipality, backfill, rotate-key, purge-archive, archive-show,
archive-encrypt. Each parses its arguments and calls one function of the product."""

from __future__ import annotations

from pathlib import Path

from mognad.cli.output import say
from mognad.config import FEEDS, Settings
from mognad.contract.reference import municipalities
from mognad.state import vault
from mognad.state.operations import (
    ARCHIVE_ROTATE_EXPLANATION,
    PREVIOUS_KEY,
    ROTATE_EXPLANATION,
    add_municipalities,
    backfill,
    encrypt_zones,
    purge_archive,
    requeue,
    rotate_archive_key,
    rotate_key,
    show_original,
)
from mognad.state.zones import ZoneReport


def cmd_docs(args, settings: Settings) -> int:
    from mognad.guide.docsgen import DEFAULT_DIR, write

    for path in write(Path(args.dir) if args.dir else DEFAULT_DIR):
        say(str(path))
    if not args.dir:  # the repository's own docs: the feed registry's derived files too
        from mognad.contract.generate import write as write_derived

        for path in write_derived():
            say(str(path))
    return 0


def cmd_templates(args, settings: Settings) -> int:
    from mognad.guide.templates import write_mapping_skeleton, write_templates

    if getattr(args, "mapping_from", None):  # a mapping skeleton from a survey tool's export
        say(str(write_mapping_skeleton(Path(args.mapping_from), Path(args.dir), args.feed,
                                        args.municipality)))  # fmt: skip
        return 0
    for path in write_templates(Path(args.dir)):
        say(str(path))
    return 0


def cmd_check(args, settings: Settings) -> int:
    import json

    from mognad.ingest.check import PRECHECK_NOTE, check_file, infer
    from mognad.ingest.receipts import render_text

    receipts = []
    for name in args.files:
        path = Path(name)
        if not path.is_file():
            say(f"mognad check: ingen fil / not a file: {name}")
            return 2
        if not (args.feed or infer(path)[1]):
            say(f"mognad check: ange --feed (survey, training, hr) / give --feed for {name}")
            return 2
        receipts.append(check_file(path, args.feed, args.municipality, settings.max_reject_share,
                                   home=settings.home, mapping=args.mapping))  # fmt: skip
    if args.json:
        print(json.dumps(receipts if len(receipts) > 1 else receipts[0], ensure_ascii=False,
                         indent=2))  # fmt: skip
    else:
        for r in receipts:
            say(PRECHECK_NOTE)
            say(render_text({**r, "municipality_code": r["municipality_code"] or "–"}))
    return 1 if any(r["status"] == "quarantined" for r in receipts) else 0


def cmd_status(args, settings: Settings) -> int:
    import json

    from mognad.quality.status import collect, render_table

    status = collect(settings)
    if args.json:
        print(json.dumps(status, ensure_ascii=False, indent=2))
    else:
        print(render_table(status), end="")
    return 0


def cmd_requeue(args, settings: Settings) -> int:
    for name in args.files:
        dest = requeue(settings, name, args.to)
        say(f"tillbaka i inkorgen / back in the inbox: {dest}")
    say("Kör / run: mognad ingest")
    return 0


def cmd_add_municipality(args, settings: Settings) -> int:
    codes = add_municipalities(settings, args.codes, args.county)
    names = municipalities()
    for code in codes:
        say(f"{code} {names[code].name}: {settings.inbox / code}/{{{','.join(FEEDS)}}}")
    return 0


def cmd_backfill(args, settings: Settings) -> int:
    copied = backfill(settings, args.municipality, args.feed, [Path(f) for f in args.files])
    say(f"{len(copied)} filer/files i inkorgen / in the inbox; kör / run: mognad ingest")
    return 0


def _say_zone_failures(report: ZoneReport) -> None:
    for path, why in report.failed[:20]:
        say(f"  misslyckades / failed: {path}: {why}")


def cmd_rotate_key(args, settings: Settings) -> int:
    if args.archive:
        return _rotate_archive_key(args, settings)
    if not args.yes:
        say(ROTATE_EXPLANATION)
        say("Inget ändrat utan --yes / nothing changed without --yes")
        return 2
    path = rotate_key(settings)
    say(f"Ny pseudonymnyckel i / new pseudonym key in {path}; den gamla sparad som / the old "
         f"one kept as {PREVIOUS_KEY}.")  # fmt: skip
    say("Starta om tjänsterna som läser nyckeln (Airflow-arbetare) / restart the services "
         "that read the key (Airflow workers).")  # fmt: skip
    return 0


def _rotate_archive_key(args, settings: Settings) -> int:
    if not args.yes:
        say(ARCHIVE_ROTATE_EXPLANATION)
        say("Inget ändrat utan --yes / nothing changed without --yes")
        return 2
    result = rotate_archive_key(settings)
    if result.resumed:
        say("Ett avbrutet nyckelbyte fortsätter / resuming an interrupted rotation")
    say(result.report.summary())
    if not result.finished:
        _say_zone_failures(result.report)
        say(f"Bytet är inte klart: den gamla nyckeln finns kvar som / the rotation is not "
             f"finished: the old key is kept as {vault.PREVIOUS_ARCHIVE_KEY}; rätta felen och "
             "kör igen / fix the failures and run again.")  # fmt: skip
        return 1
    say(f"Ny arkivnyckel i / new archive key in {result.secrets_file}; alla lagrade filer "
         "omkrypterade, den gamla nyckeln borttagen / every stored file re-encrypted, the "
         "old key removed.")  # fmt: skip
    return 0


def cmd_archive_show(args, settings: Settings) -> int:
    src, written, kind = show_original(settings, args.file, Path(args.output))
    note = ""
    if kind == vault.KIND_NOTE:
        note = ", en anteckning (ingen vanlig fil levererades) / a note (no regular file)"
    say(f"{src} -> {args.output}: {written} bytes{note}")
    say("Innehåller personnummer i klartext: radera filen när du är klar / holds personnummer "
         "in clear text: delete the file when done.")  # fmt: skip
    return 0


def cmd_archive_encrypt(args, settings: Settings) -> int:
    report = encrypt_zones(settings)
    say(report.summary())
    _say_zone_failures(report)
    return 1 if report.failed else 0


def cmd_purge_archive(args, settings: Settings) -> int:
    plan = purge_archive(settings, args.older_than, apply=args.apply)
    if plan.encrypt_error:
        say(f"  okrypterade original kvar / clear-text originals left: {plan.encrypt_error}")
    elif plan.encrypted and plan.encrypted.changed:
        say(f"  kryptering först / encrypted first: {plan.encrypted.summary()}")
    verb = "raderade / deleted" if args.apply else "skulle raderas / would delete"
    for f in plan.delete:
        say(f"  {verb}: {f}")
    for f, why in plan.keep:
        if args.verbose:
            say(f"  behålls / kept: {f} ({why})")
    mb = plan.bytes / 1e6
    say(f"{len(plan.delete)} filer/files ({mb:.1f} MB) {verb}; {len(plan.keep)} behålls/kept")
    if not args.apply and plan.delete:
        say("Torrkörning – lägg till --apply för att radera / dry run – add --apply to delete")
    return 0


def register(sub) -> None:
    """Add this module's subcommands to the `mognad` parser."""
    p = sub.add_parser(
        "docs", help="regenerate docs/leverans/ and the files derived from the feed registry"
    )
    p.add_argument("--dir", help="target folder (default: docs/leverans)")
    p = sub.add_parser("templates", help="write blank CSV and XLSX templates per feed")
    p.add_argument("--dir", default="mallar", help="target folder (default: ./mallar)")
    p.add_argument("--mapping-from", metavar="EXPORT", help="a mapping skeleton for an export")
    p.add_argument("--feed", default="survey", help="the skeleton's feed (default: survey)")
    p.add_argument("--municipality", metavar="KOD", help="the skeleton's municipality code")
    p = sub.add_parser("check", help="pre-check files: the receipt they would get, nothing stored")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--feed", help="survey, training or hr (default: from the folder name)")
    p.add_argument("--municipality", metavar="KOD", help="default: from the folder name")
    p.add_argument("--json", action="store_true", help="the receipt as JSON")
    p.add_argument("--mapping", metavar="YAML", help="apply this mapping file instead")
    p = sub.add_parser("status", help="deliveries, quarantine, last build and publish")
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("requeue", help="move a quarantined file back into its inbox folder")
    p.add_argument("files", nargs="+", metavar="FILE", help="path or name in quarantine/")
    p.add_argument("--to", metavar="KOD", help="another municipality's inbox (wrong folder)")
    p = sub.add_parser("add-municipality", help="create inbox folders for municipalities")
    p.add_argument("codes", nargs="*", metavar="KOD")
    p.add_argument("--county", metavar="LÄNSKOD", help="every municipality of a county")
    p = sub.add_parser("backfill", help="copy historical files into a municipality's inbox")
    p.add_argument("municipality", metavar="KOD")
    p.add_argument("feed", choices=FEEDS)
    p.add_argument("files", nargs="+", metavar="FILE")
    p = sub.add_parser("rotate-key", help="new pseudonym or archive key (explains; needs --yes)")
    p.add_argument("--yes", action="store_true", help="really rotate")
    p.add_argument(
        "--archive",
        action="store_true",
        help="rotate the archive key and re-encrypt every stored original (resumable)",
    )
    p = sub.add_parser("purge-archive", help="delete old archived files already in the raw zone")
    p.add_argument("--older-than", type=float, required=True, metavar="DAYS")
    p.add_argument("--apply", action="store_true", help="delete (default: dry run)")
    p.add_argument("--verbose", action="store_true", help="list kept files and why")
    p = sub.add_parser("archive-show", help="decrypt one stored original (archive, quarantine)")
    p.add_argument("file", metavar="FILE", help="path or name in archive/ or quarantine/")
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="new file (mode 0600)")
    sub.add_parser(
        "archive-encrypt",
        help="encrypt clear-text originals left by earlier versions; fix modes",
    )


COMMANDS = {
    "docs": cmd_docs,
    "templates": cmd_templates,
    "check": cmd_check,
    "status": cmd_status,
    "requeue": cmd_requeue,
    "add-municipality": cmd_add_municipality,
    "backfill": cmd_backfill,
    "rotate-key": cmd_rotate_key,
    "purge-archive": cmd_purge_archive,
    "archive-show": cmd_archive_show,
    "archive-encrypt": cmd_archive_encrypt,
}
