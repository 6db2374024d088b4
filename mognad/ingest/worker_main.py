"""An ingest worker process: ``python -m mognad.ingest.worker_main`` (the protocol is in
``mognad.ingest.worker``).
The parent's side lives apart, so the engine that starts workers does not import the
engine a worker runs: one direction, no cycle."""

from __future__ import annotations

import os
import pickle
import sys

from mognad.ingest.worker import MAGIC, PROGRESS, decode


def main() -> int:
    answer = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # from here on fd 1 is stderr: only `answer` reaches the parent's pipe
    sys.stdout = sys.stderr
    request = decode(sys.stdin.buffer.read())
    settings, found, now = request["settings"], request["found"], request["now"]
    fault = os.environ.get("MOGNAD_FAULT_WORKER")
    if fault and any(entry[0] == fault for entry in found):
        os._exit(137)

    from mognad.ingest.run import _take_part

    def progress(msg: str) -> None:
        sys.stderr.write(PROGRESS + msg.replace("\n", " ") + "\n")
        sys.stderr.flush()

    report = _take_part(settings, found, now, progress)
    answer.write(MAGIC + pickle.dumps(report))
    answer.flush()
    answer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
