"""The raw-batch quality gate: Great Expectations on every new load before dbt reads it.

A verdict goes to the ledger (`mognad.state.ledger`, table `batch_checks`); a failed load
stays in the raw zone (immutable) but never reaches staging, and its receipt gains a
`quality` section saying so."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from mognad.build.errors import BuildError, say
from mognad.build.exports import export_batch_checks, export_inbox_waiting, export_ingest_log
from mognad.config import Settings
from mognad.quality.gate import RawBatch, validate_raw_batches
from mognad.state.ledger import (
    checked_load_ids,
    loaded_files_by_load,
    record_batch_checks,
)


@dataclass(frozen=True)
class Prepared:
    ingest_log: Path
    batch_checks: Path
    batches_checked: int
    batches_failed: list[str]


def raw_batches(settings: Settings) -> list[RawBatch]:
    """Every load in the raw zone (feed=<f>/municipality_code=<k>/load_id=<id>/data.parquet)."""
    batches = []
    for path in sorted(settings.raw.glob("feed=*/municipality_code=*/load_id=*/*.parquet")):
        load, kod, feed = path.parent, path.parent.parent, path.parent.parent.parent
        batches.append(
            RawBatch(
                feed=feed.name.split("=", 1)[1],
                municipality_code=kod.name.split("=", 1)[1],
                load_id=load.name.split("=", 1)[1],
                path=path,
            )
        )
    return batches


def _amend_receipt(settings: Settings, kod: str, file: str, quality: dict) -> Path | None:
    """Add a `quality` section to the file's receipt (status unchanged) via the ingest's own
    `write_receipt`, and a line to its text twin. Returns the receipt, or None if absent."""
    from mognad.ingest.receipts import display_name, write_receipt

    folder = settings.inbox / kod / "receipts"
    for name in dict.fromkeys((file, display_name(file))):
        path = folder / f"{name}.loaded.json"
        if path.exists():
            break
    else:
        return None
    receipt = json.loads(path.read_text(encoding="utf-8"))
    receipt["quality"] = quality
    written = write_receipt(folder, receipt)
    twin = written.with_suffix(".txt")
    lines = "\n".join(f"  - {f}" for f in quality["failed_expectations"][:20])
    with open(twin, "a", encoding="utf-8") as f:
        f.write(
            "\nKvalitetskontroll: underkänd – raderna används inte i rapporterna förrän en "
            "rättad fil levereras.\nQuality check: failed – the rows are kept out of the "
            f"reports until a corrected file is delivered.\n{lines}\n"
        )
    return written


def check_raw_batches(settings: Settings) -> tuple[int, list[str]]:
    """Run the raw-batch gate on every load not yet checked; record each verdict in the
    ledger's `batch_checks` table; amend the receipt of every failed file. Returns
    (batches checked now, load_ids that failed now)."""
    done = checked_load_ids(settings.ledger_path)
    files = loaded_files_by_load(settings.ledger_path)
    new = [b for b in raw_batches(settings) if b.load_id not in done]
    if not new:
        return 0, []
    say(f"raw-batch gate: checking {len(new)} new batch(es) with Great Expectations")
    verdicts, report = validate_raw_batches(settings, new, progress=say)
    failed = []
    verdict_rows = []
    for v in verdicts:
        file, _ = files.get(v.batch.load_id, (v.batch.path.name, None))
        verdict_rows.append(
            (
                v.batch.load_id,
                v.batch.municipality_code,
                v.batch.feed,
                file,
                v.checked_at.isoformat(),
                int(v.success),
                None if v.success else "\n".join(v.failures),
            )
        )
    record_batch_checks(settings.ledger_path, verdict_rows)
    for v in verdicts:
        if v.success:
            continue
        failed.append(v.batch.load_id)
        file = files.get(v.batch.load_id, (None,))[0]
        say(
            f"raw-batch gate: {v.batch.feed}/{v.batch.municipality_code} {file or v.batch.load_id} "
            f"FAILED, held back from the marts: {v.failures[0] if v.failures else '?'}"
        )
        if file:
            _amend_receipt(
                settings,
                v.batch.municipality_code,
                file,
                {
                    "status": "failed",
                    "checked_at": v.checked_at.isoformat() + "Z",
                    "load_id": v.batch.load_id,
                    "message_sv": "Kvalitetskontrollen underkände filen; raderna används inte i "
                    "rapporterna förrän en rättad fil levereras.",
                    "message_en": "The quality check failed the file; its rows are kept out of "
                    "the reports until a corrected file is delivered.",
                    "failed_expectations": v.failures,
                    "report": str(report) if report else None,
                },
            )
    say(f"raw-batch gate: {len(new) - len(failed)} passed, {len(failed)} failed")
    return len(new), failed


def prepare_build(settings: Settings) -> Prepared:
    """Everything before dbt: export the ingest log, run the raw-batch gate on new loads,
    export the verdicts for dbt. Failed batches stay in the raw zone (immutable) but never
    reach staging; they show in ingest_log.reason, fct_quarantine and fct_batch_checks."""
    ingest_log = export_ingest_log(settings)
    export_inbox_waiting(settings)
    try:
        checked, failed = check_raw_batches(settings)
    except Exception as exc:  # noqa: BLE001 - one line for the CLI and the DAG
        raise BuildError(f"raw-batch quality gate could not run: {exc}") from exc
    checks = export_batch_checks(settings)
    return Prepared(ingest_log, checks, checked, failed)
