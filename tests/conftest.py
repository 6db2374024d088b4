"""Shared fixtures: an isolated MOGNAD_HOME per test, and one real pipeline run per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mognad.config import Settings
from mognad.secrets import ensure_secrets

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"


def make_settings(home: Path, **overrides) -> Settings:
    """Settings for a home folder with its own secrets file (generated, never shared)."""
    secrets_file = home / "secrets.env"
    ensure_secrets(secrets_file)
    os.environ.pop("MOGNAD_PSEUDONYM_KEY", None)
    values = dict(home=home, settle_seconds=0.0, secrets_file=secrets_file)
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "home")


def drop(settings: Settings, code: str, feed: str, name: str, data: bytes | str, encoding="utf-8"):
    """Drop a file into a municipality's inbox, as a municipality would."""
    folder = settings.inbox / code / feed
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data.encode(encoding) if isinstance(data, str) else data)
    return path


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


class PipelineRun:
    """One real run of the `mognad_pipeline` DAG (`airflow dags test`) on demo data."""

    def __init__(self, settings: Settings, summary, result, seconds: float):
        self.settings = settings
        self.summary = summary
        self.result = result
        self.seconds = seconds


DEMO_SCALE = 0.2


@pytest.fixture(scope="session")
def pipeline_run(tmp_path_factory, artifacts) -> PipelineRun:
    import time

    from mognad.demo.generate import generate
    from mognad.stack import airflow_local as af

    home = tmp_path_factory.mktemp("pipeline") / "home"
    settings = make_settings(home)
    summary = generate(settings.inbox, seed=2024, scale=DEMO_SCALE)
    af.setup(settings, progress=print)
    started = time.monotonic()
    result = af.dags_test(settings)
    seconds = time.monotonic() - started
    (artifacts / "airflow-dags-test.log").write_text(result.stdout + "\n" + result.stderr)
    return PipelineRun(settings, summary, result, seconds)


@pytest.fixture(scope="session")
def published_home(pipeline_run) -> Settings:
    """Settings whose published warehouse holds the marts of a real pipeline run."""
    assert pipeline_run.result.returncode == 0, pipeline_run.result.stderr[-3000:]
    assert pipeline_run.settings.published_db.exists()
    return pipeline_run.settings
