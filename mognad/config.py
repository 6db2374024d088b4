"""Settings, read from the environment (and the generated secrets file).

Every path the platform uses is derived here, so the CLI, the DAGs, the tests and the
scripts agree on where things live.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from mognad.contract.feeds import DELIVERED_FEEDS

PROJECT_DIR = Path(__file__).resolve().parents[1]
"""The checkout: dbt project, expectations, Superset assets and DAGs live beside the package."""

# The feeds municipalities deliver into an inbox (the registry names every feed).
FEEDS = DELIVERED_FEEDS
TARGET_GROUPS = ("förtroendevald", "chef", "medarbetare")
GENDERS = ("kvinna", "man", "annat", "ej angivet")
TOTAL = "alla"


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    return float(raw) if raw not in (None, "") else default


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


def default_home() -> Path:
    return Path(os.environ.get("MOGNAD_HOME") or PROJECT_DIR / "data").resolve()


def default_secrets_file() -> Path:
    raw = os.environ.get("MOGNAD_SECRETS_FILE")
    return Path(raw).resolve() if raw else PROJECT_DIR / ".secrets" / "mognad.env"


@dataclass(frozen=True)
class Settings:
    home: Path = field(default_factory=default_home)
    settle_seconds: float = field(default_factory=lambda: _float("MOGNAD_SETTLE_SECONDS", 30.0))
    min_cell: int = field(default_factory=lambda: _int("MOGNAD_MIN_CELL", 5))
    max_reject_share: float = field(default_factory=lambda: _float("MOGNAD_MAX_REJECT_SHARE", 0.2))
    max_file_bytes: int = field(
        default_factory=lambda: _int("MOGNAD_MAX_FILE_BYTES", 512 * 1024 * 1024)
    )
    """Larger deliveries are quarantined (`too_large`) without being read."""
    ingest_workers: int = field(
        default_factory=lambda: _int("MOGNAD_INGEST_WORKERS", min(4, os.cpu_count() or 1))
    )
    """Processes that take files in parallel (per municipality) when many files wait."""
    archive_retention_days: float = field(
        default_factory=lambda: _float("MOGNAD_ARCHIVE_RETENTION_DAYS", 365.0)
    )
    """Archived originals (they hold personnummer) older than this are purged nightly."""
    stale_inbox_minutes: float = field(
        default_factory=lambda: _float("MOGNAD_STALE_INBOX_MINUTES", 30.0)
    )
    """A settled file still in an inbox this long after it settled is stale: an alarm."""
    secrets_file: Path = field(default_factory=default_secrets_file)

    # --- zones -------------------------------------------------------------------------
    @property
    def inbox(self) -> Path:
        return self.home / "ingest"

    @property
    def archive(self) -> Path:
        return self.home / "archive"

    @property
    def quarantine(self) -> Path:
        return self.home / "quarantine"

    @property
    def raw(self) -> Path:
        return self.home / "raw"

    @property
    def state(self) -> Path:
        return self.home / "state"

    @property
    def ledger_path(self) -> Path:
        return self.state / "ledger.sqlite"

    @property
    def quality_dir(self) -> Path:
        return self.home / "quality"

    @property
    def warehouse_dir(self) -> Path:
        return self.home / "warehouse"

    @property
    def published_db(self) -> Path:
        """The read-only file BI opens; replaced atomically after each validated build."""
        return self.warehouse_dir / "mognad.duckdb"

    @property
    def build_db(self) -> Path:
        """Where dbt writes; never opened by BI."""
        return self.warehouse_dir / "build" / "mognad_build.duckdb"

    # --- project parts -------------------------------------------------------------------
    @property
    def dbt_project_dir(self) -> Path:
        return PROJECT_DIR / "dbt_project"

    @property
    def expectations_dir(self) -> Path:
        return PROJECT_DIR / "expectations"

    @property
    def superset_dir(self) -> Path:
        return PROJECT_DIR / "superset"

    @property
    def dags_dir(self) -> Path:
        return PROJECT_DIR / "dags"

    @property
    def airflow_home(self) -> Path:
        return Path(os.environ.get("AIRFLOW_HOME") or self.home / "airflow")

    @property
    def superset_home(self) -> Path:
        return self.home / "superset"

    def pseudonym_key(self) -> bytes | None:
        """The HMAC key for personnummer, from the environment or the secrets file."""
        raw = os.environ.get("MOGNAD_PSEUDONYM_KEY")
        if not raw:
            from mognad.secrets import read_secrets

            raw = read_secrets(self.secrets_file).get("MOGNAD_PSEUDONYM_KEY")
        return raw.encode("utf-8") if raw else None


def load_settings() -> Settings:
    return Settings()
