"""The one ingest task every DAG runs, and its one failure policy.

Policy: a run in which a worker process died, a file was not taken for any reason other
than "not settled yet" (``report.refused``: a feed refused, e.g. without a pseudonym key;
``report.failed``: a storage, disk or ledger error, a dead worker) is a **failure**, with
the reasons in the task's log. Files not taken stay in the inbox and are finished by the
next run (crash safety: nothing leaves the inbox before it is durable).

Loads that did go through keep their Asset events. Airflow 3.3 records a task's outlet
events only when the task succeeds (the task runner sends them with its ``SucceedTask``
message; a failed or retried attempt sends none), so a task that emits events must not be
the one that fails. Where events are emitted (``mognad_ingest``) the ingest task therefore
succeeds with its events and returns the problems, and the next task, ``check``
(:func:`check_ingest`), fails the run with them. Where no events are emitted
(``mognad_pipeline``, the nightly ``rebuild``) the ingest task itself raises.
``mognad ingest`` / ``mognad run`` apply the same rule (exit non-zero, one line of reason).
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from mognad.config import Settings, load_settings


def _alarm(msg: str) -> None:
    """A reason for failure: on stderr, which Airflow logs at error level (with the task log
    level ``mognad.stack.airflow_local`` sets, WARNING, printed progress does not reach the task
    log)."""
    print(msg, file=sys.stderr, flush=True)


class IngestFailed(RuntimeError):
    """Files that should have been taken were not (see the module's policy)."""


def problems(report) -> list[str]:
    """The reasons a run is a failure (empty: it is not). Waiting files are not one."""
    return [*report.failed, *report.refused]


def failure_line(reasons: list[str]) -> str:
    """One line for a failed run: how many reasons, and the first one."""
    more = f" (+{len(reasons) - 1} till/more)" if len(reasons) > 1 else ""
    return f"ingest misslyckades / failed: {reasons[0]}{more}"


def run_ingest_task(
    outlet_events=None,
    alias=None,
    settings: Settings | None = None,
    progress: Callable[[str], None] = print,
) -> dict:
    """Run ingest inside an Airflow task (or anywhere), print what happened, apply the policy.

    With ``outlet_events`` and ``alias`` (an ``AssetAlias``): one Asset event
    ``mognad_raw_<feed>`` per feed that got new loads, and the problems are returned
    (``result["problems"]``) for :func:`check_ingest` in the next task. Without them: raises
    :class:`IngestFailed` when there are problems."""
    from mognad.ingest.run import ingest

    settings = settings or load_settings()
    report = ingest(settings, progress=progress)
    # the summary on stderr too: it reaches the task log whatever the log level
    _alarm(report.summary())
    loaded = sorted(report.feeds_loaded)
    if outlet_events is not None and alias is not None:
        from airflow.sdk import Asset

        from mognad.orchestration.names import raw_feed_asset_name

        for feed in loaded:
            outlet_events[alias].add(
                Asset(name=raw_feed_asset_name(feed)),
                extra={
                    "files": sum(
                        1 for o in report.outcomes if o.feed == feed and o.status == "loaded"
                    )
                },
            )
    reasons = problems(report)
    for reason in reasons:
        _alarm("FEL/ERROR: " + reason)
    result = {
        "loaded": report.count("loaded"),
        "duplicates": report.count("duplicate"),
        "quarantined": report.count("quarantined"),
        "waiting": report.waiting,
        "workers": report.workers,
        "feeds": loaded,
        "problems": reasons,
    }
    if reasons and (outlet_events is None or alias is None):
        raise IngestFailed(failure_line(reasons))
    if reasons:
        _alarm(
            "Händelser för inlästa flöden skickade; uppgiften check fäller körningen / "
            f"events for the loaded feeds emitted; the check task fails the run ({loaded})"
        )
    return result


def check_ingest(result: dict | None) -> str:
    """The task after an ingest that emitted events: fails with the ingest's problems."""
    if result is None:
        raise IngestFailed("ingest gav inget resultat / ingest returned no result")
    reasons = list(result.get("problems") or [])
    for reason in reasons:
        _alarm("FEL/ERROR: " + reason)
    if reasons:
        raise IngestFailed(failure_line(reasons))
    return (
        f"ok: {result.get('loaded', 0)} inlästa/loaded, "
        f"{result.get('quarantined', 0)} i karantän/quarantined, "
        f"{result.get('waiting', 0)} väntar/waiting"
    )
