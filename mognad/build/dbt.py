"""dbt in-process: the environment and arguments, the project fingerprint, `dbt build`
into the persistent build file (incremental by feed), `dbt parse` and `dbt docs generate`."""

from __future__ import annotations

import hashlib
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from mognad.build.errors import BuildError, say
from mognad.build.incremental import (
    ALWAYS_REBUILT,
    STAGING_MODELS,
    _record_tested_loads,
    _state_file,
    _unchanged_feeds,
    _write_state,
)
from mognad.config import Settings


@dataclass(frozen=True)
class DbtSummary:
    full_refresh: bool
    models: int = 0
    seeds: int = 0
    tests: int = 0
    unit_tests: int = 0
    seconds: float = 0.0
    skipped_feeds: tuple[str, ...] = ()
    """Feeds with no new loads whose downstream models were not rebuilt (incremental)."""


def dbt_env(settings: Settings) -> dict[str, str]:
    """The environment dbt needs (profiles.yml and dbt_project.yml read these)."""
    return {
        "MOGNAD_BUILD_DB": str(settings.build_db),
        "MOGNAD_HOME": str(settings.home),
        "MOGNAD_MIN_CELL": str(settings.min_cell),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def dbt_args(settings: Settings, command: str = "build") -> list[str]:
    work = settings.build_db.parent / "dbt"
    return [
        command,
        "--project-dir",
        str(settings.dbt_project_dir),
        "--profiles-dir",
        str(settings.dbt_project_dir),
        "--target-path",
        str(work / "target"),
        "--log-path",
        str(work / "logs"),
        "--no-use-colors",
    ]


@contextmanager
def _environment(values: dict[str, str]):
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def _release_duckdb() -> None:
    """Close the DuckDB instance dbt-duckdb keeps open in this process after an in-process
    invocation; otherwise it holds the build file and a read-only open of it fails
    ("different configuration than existing connections")."""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager as manager
    except ImportError:
        return
    with manager._LOCK:
        if manager._ENV is not None:
            try:
                manager._ENV.close()
            finally:
                manager._ENV = None


def project_fingerprint(settings: Settings) -> str:
    """A hash of the dbt project's files and MOGNAD_MIN_CELL (the dbt var the incremental
    maturity cells are suppressed with): when it changes, everything is rebuilt."""
    h = hashlib.sha256()
    h.update(f"min_cell={settings.min_cell}\n".encode())
    root = settings.dbt_project_dir
    files = [root / "dbt_project.yml"]
    for folder in ("models", "macros", "seeds", "tests"):
        files += sorted(p for p in (root / folder).rglob("*") if p.is_file())
    for path in files:
        h.update(str(path.relative_to(root)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def fingerprint_file(settings: Settings) -> Path:
    return settings.build_db.with_name("project.sha256")


def run_dbt(settings: Settings, full_refresh: bool = False, tests: bool = True) -> DbtSummary:
    """`dbt build` (seeds, models, data and unit tests) into the persistent build file.

    Incremental by default: staging reads only loads new since the last build. With
    `full_refresh` (or when the build file is missing, or the dbt project changed since it
    was built) the build file is deleted and everything is rebuilt from the raw zone.
    `tests=False` skips the data and unit tests (a quicker rebuild while developing).
    Raises BuildError naming the failed nodes."""
    from dbt.cli.main import dbtRunner

    build_db = settings.build_db
    build_db.parent.mkdir(parents=True, exist_ok=True)
    fingerprint = project_fingerprint(settings)
    stamp = fingerprint_file(settings)
    if not full_refresh and not (
        build_db.exists() and stamp.exists() and stamp.read_text().strip() == fingerprint
    ):
        if build_db.exists():
            say("the dbt project changed since the last build: full rebuild")
        full_refresh = True
    skipped: list[str] = []
    if full_refresh:
        for old in (build_db, build_db.with_name(build_db.name + ".wal"), stamp):
            old.unlink(missing_ok=True)
        _state_file(settings).unlink(missing_ok=True)
    else:
        skipped = _unchanged_feeds(settings, fingerprint)
    args = dbt_args(settings)
    if full_refresh:
        args.append("--full-refresh")
    elif skipped:
        changed = [STAGING_MODELS[f] + "+" for f in STAGING_MODELS if f not in skipped]
        args += ["--select", *changed, *ALWAYS_REBUILT]
    if not tests:
        args += ["--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]
    mode = "full rebuild" if full_refresh else "incremental"
    if skipped:
        mode += f"; no new loads, not rebuilt: {', '.join(skipped)}"
    say(f"dbt build ({mode}) into {build_db}")
    started = time.monotonic()
    with _environment(dbt_env(settings)):
        try:
            res = dbtRunner().invoke(args)
        finally:
            _release_duckdb()
    seconds = time.monotonic() - started
    if res.exception is not None:
        raise BuildError(f"dbt build could not run: {str(res.exception).splitlines()[0]}")
    failed, first_message = [], ""
    counts = {"model": 0, "seed": 0, "test": 0, "unit_test": 0}
    for r in getattr(res.result, "results", None) or []:
        kind = str(getattr(r.node, "resource_type", ""))
        kind = kind.rsplit(".", 1)[-1].lower()
        if str(r.status) in ("error", "fail", "runtime error"):
            failed.append(getattr(r.node, "name", str(r.node)))
            first_message = first_message or " ".join(str(r.message or "").split())[:200]
        elif kind in counts:
            counts[kind] += 1
    if not res.success or failed:
        names = ", ".join(failed) or "unknown node"
        detail = f" — {first_message}" if first_message else ""
        raise BuildError(f"dbt build failed ({len(failed)} node(s)): {names}{detail}")
    stamp.write_text(fingerprint + "\n")
    if tests:
        _record_tested_loads(settings)
        _write_state(settings, fingerprint)
    summary = DbtSummary(
        full_refresh,
        counts["model"],
        counts["seed"],
        counts["test"],
        counts["unit_test"],
        seconds,
        tuple(skipped),
    )
    say(
        f"dbt build passed in {seconds:.1f} s: {summary.models} models, {summary.seeds} seeds, "
        f"{summary.tests} data tests, {summary.unit_tests} unit tests"
    )
    return summary


def parse_dbt(settings: Settings, target_path: Path | None = None) -> Path:
    """`dbt parse`: write manifest.json (for cosmos' LoadMode.DBT_MANIFEST) without building.

    Default target: dbt_project/target. `run_dbt` also leaves a manifest.json in its own
    target folder beside the build file."""
    from dbt.cli.main import dbtRunner

    target = target_path or settings.dbt_project_dir / "target"
    args = dbt_args(settings, "parse")
    args[args.index("--target-path") + 1] = str(target)
    with _environment(dbt_env(settings)):
        res = dbtRunner().invoke(args)
    if not res.success:
        raise BuildError(f"dbt parse failed: {res.exception}")
    return target / "manifest.json"


def docs_generate(settings: Settings, target_path: Path | None = None) -> Path:
    """`dbt docs generate --static` against the build file: one self-contained
    `static_index.html` (readable offline) beside index.html, manifest.json, catalog.json.
    Default target: `warehouse/build/dbt/docs`. Run after a build (the catalog reads the
    build file). Returns the static page."""
    from dbt.cli.main import dbtRunner

    if not settings.build_db.exists():
        raise BuildError(f"no build file at {settings.build_db}: run `mognad build` first")
    target = target_path or settings.build_db.parent / "dbt" / "docs"
    args = dbt_args(settings, "docs")
    args[args.index("--target-path") + 1] = str(target)
    args = ["docs", "generate", "--static", *args[1:]]
    with _environment(dbt_env(settings)):
        try:
            res = dbtRunner().invoke(args)
        finally:
            _release_duckdb()
    if not res.success:
        raise BuildError(f"dbt docs generate failed: {res.exception}")
    return target / "static_index.html"
