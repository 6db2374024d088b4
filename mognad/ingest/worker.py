"""Ingest worker processes: the parent's side (``mognad.ingest.worker_main`` is the child's).

When many files wait, ingest takes them in several processes, one bucket of whole
municipalities each (``mognad.ingest.inbox._partition``). A worker is started as a fresh
interpreter running this module — never by ``multiprocessing``: its ``spawn`` start method
re-runs the parent's ``__main__``, which inside an Airflow task is the ``airflow`` entry
point, and that dies at import in the task's sandbox (no metadata database). A worker
imports only ``mognad``.

Protocol, one request and one answer per process:
- stdin: :data:`MAGIC` + a pickled dict ``{"settings", "found", "now"}`` (the bucket);
- stdout: :data:`MAGIC` + the pickled :class:`~mognad.ingest.report.IngestReport` of the bucket;
  nothing else is ever written there (the worker points file descriptor 1 at stderr before
  it does any work, so a stray ``print`` cannot corrupt the answer);
- stderr: progress lines, each starting with :data:`PROGRESS`, forwarded by the parent to
  its own progress; any other line (a traceback, a warning) is forwarded too and the last
  one is kept as the reason when the worker dies.

A worker that exits non-zero, is killed by a signal or answers with anything but a report
is a failure of its bucket (:func:`run_buckets` returns the reason). Its files stay in the
inbox and the next run finishes them: nothing leaves the inbox before it is durable.

``MOGNAD_FAULT_WORKER=<kommunkod>`` (fault injection for the tests, unset in production)
makes the worker whose bucket holds that municipality exit with 137 before it takes a file.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass

from mognad.ingest.report import IngestReport

MAGIC = b"mognad-ingest-worker/1\n"
PROGRESS = "\x1e"
"""Marks a progress line on a worker's stderr (ASCII record separator: never in a name)."""
COMMAND = (sys.executable, "-m", "mognad.ingest.worker_main")
REASON_CHARS = 300


@dataclass
class BucketResult:
    """What one worker gave: its report, or why it has none."""

    report: object | None = None  # mognad.ingest.report.IngestReport
    failure: str | None = None


def encode_request(settings, found: list, now: float) -> bytes:
    return MAGIC + pickle.dumps({"settings": settings, "found": found, "now": now})


def decode(data: bytes) -> object:
    """The pickled object after :data:`MAGIC`; ValueError for anything else."""
    if not data.startswith(MAGIC):
        raise ValueError("answer does not start with the protocol marker")
    try:
        return pickle.loads(data[len(MAGIC) :])
    except Exception as exc:  # noqa: BLE001 - any broken pickle is garbage
        raise ValueError(f"unreadable answer ({exc.__class__.__name__})") from None


def _exit_text(returncode: int) -> str:
    if returncode < 0:
        import signal

        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = str(-returncode)
        return f"signal {name}"
    return f"exit {returncode}"


def run_buckets(
    settings,
    buckets: list[list],
    now: float,
    progress: Callable[[str], None],
    command: tuple[str, ...] | list[str] = COMMAND,
) -> list[BucketResult]:
    """Take each bucket in its own worker process, all at once; one result per bucket,
    in the buckets' order. Progress lines are forwarded as they come (one at a time)."""
    lock = threading.Lock()

    def say(line: str) -> None:
        with lock:
            progress(line)

    procs = []
    for _bucket in buckets:
        procs.append(
            subprocess.Popen(
                list(command),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
        )
    results: list[BucketResult] = []
    try:
        outputs: list[bytes] = [b""] * len(procs)
        last_other: list[str] = [""] * len(procs)
        threads = []
        for i, proc in enumerate(procs):

            def read_out(i=i, proc=proc) -> None:
                outputs[i] = proc.stdout.read()

            def read_err(i=i, proc=proc) -> None:
                for raw in proc.stderr:
                    line = raw.decode("utf-8", "replace").rstrip("\r\n")
                    if line.startswith(PROGRESS):
                        say(line[len(PROGRESS) :])
                    elif line.strip():
                        last_other[i] = line.strip()
                        say("  [worker] " + line)

            for target in (read_out, read_err):
                t = threading.Thread(target=target, daemon=True)
                t.start()
                threads.append(t)
        for bucket, proc in zip(buckets, procs, strict=True):
            try:
                proc.stdin.write(encode_request(settings, bucket, now))
                proc.stdin.close()
            except (BrokenPipeError, OSError):
                pass  # it died before reading: its exit status tells why
        for t in threads:
            t.join()
        for i, proc in enumerate(procs):
            proc.wait()
            results.append(_result(proc.returncode, outputs[i], last_other[i]))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return results


def _result(returncode: int, output: bytes, last_line: str) -> BucketResult:
    detail = "".join(c if c.isprintable() else "?" for c in last_line)[:REASON_CHARS]
    if returncode != 0:
        why = _exit_text(returncode) + (f": {detail}" if detail else "")
        return BucketResult(failure=why)
    try:
        report = decode(output)
    except ValueError as exc:
        return BucketResult(failure=f"exit 0, {exc}")
    if not isinstance(report, IngestReport):
        return BucketResult(failure=f"exit 0, answer is a {type(report).__name__}")
    return BucketResult(report=report)
