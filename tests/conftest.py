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


# Two workers (`pytest -n 2 --dist loadgroup`, scripts/test.sh): tests that share a session
# fixture run on one worker, so it is built once; every other test file is a group of its
# own (its module fixtures are built once too). Airflow instances started side by side keep
# apart by their ports (`airflow_env`: API and log servers). The longest groups (measured)
# are handed out first (in this order: xdist's own reordering is off), so the two workers
# end at about the same time.
GROUPS = {
    # `make demo` at the default size, and its refusals (~7 min)
    "make_demo": ("e2e/test_make_demo.py",),
    # one real pipeline run (`airflow dags test`) and one Superset over it (~5 min)
    "superset": (
        "e2e/test_pipeline_airflow.py",
        "e2e/test_dashboard.py",
        "e2e/test_dashboard_plan.py",
        "e2e/test_superset_attacks.py",
        "e2e/test_superset_security.py",
        "e2e/test_bench_live.py",
    ),
    "event_driven": ("e2e/test_event_driven.py",),  # (~3 min)
    # the shared demo build (tests/integration/conftest.py) (~4 min)
    "demo_build": (
        "integration/test_audit.py",
        "integration/test_bench.py",
        "integration/test_build_incremental.py",
        "integration/test_build_noop.py",
        "integration/test_suppression.py",
    ),
    # the shared delivered home (tests/faults/conftest.py) (~2.5 min)
    "delivered": (
        "faults/test_build_faults.py",
        "faults/test_delivery.py",
        "faults/test_hostile_files.py",
        "faults/test_personal_data.py",
    ),
}
_GROUP_OF = {path: group for group, paths in GROUPS.items() for path in paths}


def _group_of(path: str) -> str:
    """A test file's group (its path under tests/ when it has none)."""
    rel = path.split("::", 1)[0].removeprefix("tests/")
    return _GROUP_OF.get(rel, rel)


def _grouped(config) -> bool:
    # the controller sees --dist loadgroup; a worker sees it as option.loadgroup
    return bool(getattr(config.option, "loadgroup", False) or config.option.dist == "loadgroup")


def pytest_collection_modifyitems(config, items):
    if _grouped(config):
        order = {name: k for k, name in enumerate(GROUPS)}
        # stable: within a group the collection order stays
        items.sort(key=lambda item: order.get(_group_of(item.nodeid), len(order)))


def pytest_xdist_make_scheduler(config, log):
    """xdist's loadgroup reads groups from marks it appends to node ids, which pytest 9.2's
    structured node ids silently drop (every test then runs wherever); this scheduler takes
    the group from the test's file instead."""
    if not _grouped(config):
        return None
    from xdist.scheduler import LoadScopeScheduling

    class FileGroups(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _group_of(nodeid)

    return FileGroups(config, log)
