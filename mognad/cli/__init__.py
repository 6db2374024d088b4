"""The `mognad` command line: the same functions the Airflow DAGs call.

- `app`: the parser, `main()` and the pipeline's commands (setup, ingest, pull, build, run, demo).
- `runbook`: the runbook's and the deliverer's commands (docs/runbook.md).
- `output`: the one function every command prints through.
"""

from mognad.cli.app import main

__all__ = ["main"]
