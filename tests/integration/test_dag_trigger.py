"""InboxSettledTrigger: fires once per new set of settled files, never touches them."""

from __future__ import annotations

import asyncio
import os
import time

from mognad.orchestration.trigger import InboxSettledTrigger, scan_inbox, scan_settled


def _file(root, rel, age=60.0, data=b"x"):
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    past = time.time() - age
    os.utime(path, (past, past))
    return path


def test_scan_sees_settled_files_only(tmp_path):
    inbox = tmp_path / "ingest"
    settled = _file(inbox, "2281/survey/enkat.csv")
    _file(inbox, "2281/survey/fresh.csv", age=0)
    _file(inbox, "2281/survey/upload.csv.part")
    _file(inbox, "2281/survey/.hidden.csv")
    _file(inbox, "2281/receipts/enkat.csv.loaded.json")
    loose = _file(inbox, "2281/loose.csv")  # ingest quarantines it: news for the kommun
    found = [p for p, _, _ in scan_settled(inbox, settle_seconds=30)]
    assert found == sorted([str(settled), str(loose)])
    assert scan_settled(tmp_path / "missing", 30) == []


def test_trigger_fires_once_per_new_file_and_leaves_files_alone(tmp_path):
    inbox = tmp_path / "ingest"
    first = _file(inbox, "2260/survey/a.csv")
    trigger = InboxSettledTrigger(inbox=str(inbox), settle_seconds=1, poll_seconds=0.5)
    classpath, kwargs = trigger.serialize()
    assert classpath == "mognad.orchestration.trigger.InboxSettledTrigger"
    assert InboxSettledTrigger(**kwargs).serialize() == (classpath, kwargs)

    async def collect():
        events = []
        gen = trigger.run()

        async def consume():
            async for event in gen:
                events.append(event.payload)

        task = asyncio.create_task(consume())
        await asyncio.sleep(1.5)  # several polls: the unchanged file fires once
        _file(inbox, "2260/hr/b.csv")
        await asyncio.sleep(1.5)
        first.write_bytes(b"changed")  # rewritten, then settled: fires again
        past = time.time() - 60
        os.utime(first, (past, past))
        await asyncio.sleep(1.5)
        task.cancel()
        return events

    events = asyncio.run(collect())
    assert [e["count"] for e in events] == [1, 1, 1], events
    assert events[0]["files"] == [str(first)]
    assert events[1]["files"][0].endswith("b.csv")
    assert first.exists() and (inbox / "2260/hr/b.csv").exists()


def test_scan_tells_when_the_next_file_settles(tmp_path):
    inbox = tmp_path / "ingest"
    _file(inbox, "2260/survey/old.csv", age=60)
    assert scan_inbox(inbox, settle_seconds=30)[1] is None  # nothing waiting
    _file(inbox, "2260/survey/new.csv", age=10)
    _file(inbox, "2260/survey/newer.csv", age=2)
    settled, wait = scan_inbox(inbox, settle_seconds=30)
    assert [p for p, _, _ in settled] == [str(inbox / "2260/survey/old.csv")]
    assert 19 < wait <= 20.5


def test_trigger_wakes_when_a_file_settles_not_a_poll_later(tmp_path):
    inbox = tmp_path / "ingest"
    _file(inbox, "2260/survey/a.csv", age=0)
    trigger = InboxSettledTrigger(inbox=str(inbox), settle_seconds=1, poll_seconds=30)

    async def first_event():
        started = time.monotonic()
        async for event in trigger.run():
            return event.payload, time.monotonic() - started

    payload, seconds = asyncio.run(asyncio.wait_for(first_event(), timeout=10))
    assert payload["count"] == 1
    assert seconds < 3, seconds  # the settle moment (1 s), not the 30 s poll
