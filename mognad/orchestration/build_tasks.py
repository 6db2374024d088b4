"""The build chain the DAGs share: prepare → dbt (cosmos) → joint disclosure control →
Great Expectations → publish.

Callables run inside Airflow tasks; `dbt_group()` is DAG wiring. dbt runs through
astronomer-cosmos from a prebuilt `manifest.json` (written by `mognad.stack.airflow_local.setup` via
`mognad.build.dbt.parse_dbt`), so parsing a DAG file never runs dbt. Without a manifest the DAG
still imports and falls back to one task running `mognad.build.dbt.run_dbt`.
"""

from __future__ import annotations

import inspect
import os
from pathlib import Path

from mognad.config import Settings, load_settings


def manifest_path(settings: Settings) -> Path:
    return settings.dbt_project_dir / "target" / "manifest.json"


# --- task callables (imported lazily inside @task functions) ----------------------------


DBT_TASK_MODES = ("watcher", "local", "single")
DEFAULT_DBT_TASKS = "watcher"


def dbt_tasks_mode() -> str:
    """How `mognad_build` runs dbt, from `MOGNAD_DBT_TASKS` (docs/orchestration.md):

    - `cosmos` or `watcher` (the default): cosmos `ExecutionMode.WATCHER` — one `dbt build`
      (the producer task, in the one-slot pool) and one light sensor task per dbt node that
      turns green as dbt reports the node done: per-node visibility at about the cost of
      one build;
    - `local`: one cosmos task per node, each its own `dbt build` invocation (~3–5 s of
      fixed cost per task, ~25 tasks in a row);
    - `single`: one plain task running `mognad.build.dbt.run_dbt` (no per-node tasks)."""
    raw = os.environ.get("MOGNAD_DBT_TASKS", "").strip().lower() or DEFAULT_DBT_TASKS
    mode = {"cosmos": "watcher"}.get(raw, raw)
    if mode not in DBT_TASK_MODES:
        raise ValueError(
            f"MOGNAD_DBT_TASKS={raw!r}: expected cosmos (= watcher), watcher, local or single"
        )
    return mode


def use_cosmos() -> bool:
    """False when dbt runs as one plain task (`MOGNAD_DBT_TASKS=single`)."""
    return dbt_tasks_mode() != "single"


def _stamp(settings: Settings) -> Path:
    from mognad.build.dbt import fingerprint_file

    return fingerprint_file(settings)


def prepare() -> str:
    """`prepare_build`, and for the cosmos path the decision `run_dbt` makes by itself:
    a missing build file or a changed dbt project means a rebuild from the raw zone."""
    from mognad.build.dbt import project_fingerprint
    from mognad.build.gate import prepare_build

    settings = load_settings()
    result = str(prepare_build(settings))
    db, stamp = settings.build_db, _stamp(settings)
    current = project_fingerprint(settings)
    if not (db.exists() and stamp.exists() and stamp.read_text().strip() == current):
        print("dbt: full rebuild (no build file, or the dbt project changed)")
        for old in (db, db.with_name(db.name + ".wal"), stamp):
            old.unlink(missing_ok=True)
    return result


def mark_built() -> None:
    """After the cosmos tasks passed: record which dbt project built the file."""
    from mognad.build.dbt import project_fingerprint

    settings = load_settings()
    if settings.build_db.exists():
        _stamp(settings).write_text(project_fingerprint(settings) + "\n")


def run_dbt_fallback() -> None:
    from mognad.build.dbt import run_dbt

    run_dbt(load_settings())  # decides incremental or full by itself


def protect() -> str:
    """Joint disclosure control on the built marts (before validation and publish)."""
    from mognad.quality.disclosure.protect import protect_build

    return protect_build(load_settings()).summary()


def validate() -> str:
    from mognad.quality.marts import validate_marts

    outcome = validate_marts(load_settings())
    if not outcome.success:
        raise RuntimeError(f"Great Expectations: {outcome.summary}")
    return outcome.summary


def publish() -> str:
    from mognad.build.open_data import write_open_data
    from mognad.build.publish import publish as do_publish

    settings = load_settings()
    published = do_publish(settings)
    write_open_data(settings, settings.published_db)  # the county file's aggregates
    return str(published)


def full_build() -> str:
    """The nightly full rebuild: everything in one task (one DuckDB writer)."""
    from mognad.build.run import build

    settings = load_settings()
    if "full" in inspect.signature(build).parameters:
        result = build(settings, full=True)
    else:
        result = build(settings)
    return f"{result.published_db} ({result.seconds:.1f} s)"


# --- DAG wiring ---------------------------------------------------------------------------


def dbt_group(pool: str, group_id: str = "dbt"):
    """The dbt part of `mognad_build`, by `dbt_tasks_mode()`: a cosmos `DbtTaskGroup` (watcher
    or local execution, from the prebuilt manifest) followed by `dbt_done`, or a single task
    when no manifest exists yet or `MOGNAD_DBT_TASKS=single`. Every task that runs dbt holds
    the one-slot `pool`; the watcher's sensors only read XComs and stay out of it. Call inside
    a DAG context; returns the (first, last) ends to wire up."""
    from airflow.sdk import task

    from mognad.build.dbt import dbt_env

    settings = load_settings()
    manifest = manifest_path(settings)
    mode = dbt_tasks_mode()
    if not manifest.exists() or mode == "single":

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
    if mode == "watcher":
        execution = ExecutionConfig(
            execution_mode=ExecutionMode.WATCHER,
            invocation_mode=InvocationMode.DBT_RUNNER,
            # the producer runs the one `dbt build` (models, seeds and all tests)
            setup_operator_args={"pool": pool},
        )
        test_behavior = TestBehavior(os.environ.get("MOGNAD_WATCHER_TESTS", "after_each"))
        operator_args = {
            "pool": pool,
            "poke_interval": float(os.environ.get("MOGNAD_WATCHER_POKE_SECONDS", "1")),
            "deferrable": os.environ.get("MOGNAD_WATCHER_DEFERRABLE", "0") == "1",
        }
    else:
        execution = ExecutionConfig(
            execution_mode=ExecutionMode.LOCAL,
            invocation_mode=InvocationMode.DBT_RUNNER,
        )
        test_behavior = TestBehavior.BUILD
        operator_args = {"pool": pool}
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
        execution_config=execution,
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            test_behavior=test_behavior,
        ),
        operator_args=operator_args,
    )
    if mode == "watcher":
        _sensors_out_of_pool(group)

    @task(task_id=f"{group_id}_done", pool=pool)
    def dbt_done() -> None:
        mark_built()

    done = dbt_done()
    group >> done
    return group, done


SENSOR_POOL = "default_pool"


def _sensors_out_of_pool(group) -> None:
    """The watcher's consumer sensors wait for the producer's XComs; in the one-slot pool they
    would queue behind the producer and then run one by one. They take the default pool.
    They write DuckDB only when they fall back to running their node (a retry, a cleared
    task, a failed producer): DuckDB's file lock still allows one writer, and the sensor's
    retries absorb a collision (docs/orchestration.md)."""
    from cosmos.operators._watcher.base import BaseConsumerSensor

    for t in group.children.values():
        if hasattr(t, "children"):  # a nested task group (model + its tests)
            _sensors_out_of_pool(t)
        elif isinstance(t, BaseConsumerSensor):
            t.pool = SENSOR_POOL
