"""The `mognad` command line: the same functions the Airflow DAGs call."""

from mognad.cli.main import main

__all__ = ["main"]
