"""The build chain the DAGs share: prepare → dbt (cosmos) → Great Expectations → publish.

Callables run inside Airflow tasks; `dbt_group()` is DAG wiring. dbt runs through
astronomer-cosmos from a prebuilt `manifest.json` (written by `mognad.airflow.setup` via
`mognad.build.parse_dbt`), so parsing a DAG file never runs dbt. Without a manifest the DAG
still imports and falls back to one task running `mognad.build.run_dbt`.
"""

from __future__ import annotations

import inspect
import os
from pathlib import Path

from mognad.config import Settings, load_settings


def manifest_path(settings: Settings) -> Path:
    return settings.dbt_project_dir / "target" / "manifest.json"


# --- task callables (imported lazily inside @task functions) ----------------------------


def use_cosmos() -> bool:
    """`MOGNAD_DBT_TASKS=single` runs dbt as one task (one invocation, quicker on small
    machines); the default renders one cosmos task per dbt node."""
    return os.environ.get("MOGNAD_DBT_TASKS", "cosmos").lower() != "single"


def _stamp(settings: Settings) -> Path:
    from mognad import build

    if hasattr(build, "_fingerprint_file"):
        return build._fingerprint_file(settings)
    return settings.build_db.with_name("project.sha256")


def prepare() -> str:
    """`prepare_build`, and for the cosmos path the decision `run_dbt` makes by itself:
    a missing build file or a changed dbt project means a rebuild from the raw zone."""
    from mognad import build

    settings = load_settings()
    if hasattr(build, "prepare_build"):
        result = str(build.prepare_build(settings))
    else:
        result = str(build.export_ingest_log(settings))
    if hasattr(build, "project_fingerprint"):
        db, stamp = settings.build_db, _stamp(settings)
        current = build.project_fingerprint(settings)
        if not (db.exists() and stamp.exists() and stamp.read_text().strip() == current):
            print("dbt: full rebuild (no build file, or the dbt project changed)")
            for old in (db, db.with_name(db.name + ".wal"), stamp):
                old.unlink(missing_ok=True)
    return result


def mark_built() -> None:
    """After the cosmos tasks passed: record which dbt project built the file."""
    from mognad import build

    settings = load_settings()
    if hasattr(build, "project_fingerprint") and settings.build_db.exists():
        _stamp(settings).write_text(build.project_fingerprint(settings) + "\n")


def run_dbt_fallback() -> None:
    from mognad.build import run_dbt

    run_dbt(load_settings())  # decides incremental or full by itself


def validate() -> str:
    from mognad.build import validate_marts

    outcome = validate_marts(load_settings())
    if not outcome.success:
        raise RuntimeError(f"Great Expectations: {outcome.summary}")
    return outcome.summary


def publish() -> str:
    from mognad.build import publish as do_publish

    return str(do_publish(load_settings()))


def full_build() -> str:
    """The nightly full rebuild: everything in one task (one DuckDB writer)."""
    from mognad.build import build

    settings = load_settings()
    if "full" in inspect.signature(build).parameters:
        result = build(settings, full=True)
    else:
        result = build(settings)
    return f"{result.published_db} ({result.seconds:.1f} s)"


# --- DAG wiring ---------------------------------------------------------------------------


def dbt_group(pool: str, group_id: str = "dbt"):
    """A cosmos `DbtTaskGroup` (one `dbt build` task per node, all in the one-slot pool),
    or a single fallback task when no manifest exists yet. Call inside a DAG context;
    returns the (first, last) ends to wire up."""
    from airflow.sdk import task

    from mognad.build import dbt_env

    settings = load_settings()
    manifest = manifest_path(settings)
    if not manifest.exists() or not use_cosmos():

        @task(task_id=group_id, pool=pool)
        def dbt_build() -> None:
            run_dbt_fallback()

        single = dbt_build()
        return single, single

    from cosmos import (
        DbtTaskGroup,
        ExecutionConfig,
        ProfileConfig,
        ProjectConfig,
        RenderConfig,
    )
    from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior

    project = settings.dbt_project_dir
    group = DbtTaskGroup(
        group_id=group_id,
        project_config=ProjectConfig(
            dbt_project_path=project,
            manifest_path=manifest,
            env_vars=dbt_env(settings),
            install_dbt_deps=False,
        ),
        profile_config=ProfileConfig(
            profile_name="mognad",
            target_name="build",
            profiles_yml_filepath=project / "profiles.yml",
        ),
        execution_config=ExecutionConfig(
            execution_mode=ExecutionMode.LOCAL,
            invocation_mode=InvocationMode.DBT_RUNNER,
        ),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            test_behavior=TestBehavior.BUILD,
        ),
        operator_args={"pool": pool},
    )

    @task(task_id=f"{group_id}_done", pool=pool)
    def dbt_done() -> None:
        mark_built()

    done = dbt_done()
    group >> done
    return group, done
