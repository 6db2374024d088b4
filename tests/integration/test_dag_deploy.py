"""The production deployment description: docker-compose.yml validates against the compose
specification's JSON schema (offline: check-jsonschema ships it) and has every service the
cluster needs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from mognad.config import PROJECT_DIR

COMPOSE = PROJECT_DIR / "docker-compose.yml"


def test_compose_file_matches_the_compose_specification():
    exe = Path(sys.executable).parent / "check-jsonschema"
    out = subprocess.run(
        [str(exe), "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_compose_file_describes_the_whole_cluster():
    spec = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    services = spec["services"]
    assert {
        "postgres",
        "redis",
        "airflow-init",
        "airflow-api",
        "airflow-scheduler",
        "airflow-dag-processor",
        "airflow-triggerer",
        "airflow-worker",
        "superset",
        "superset-worker",
    } <= set(services)
    assert services["airflow-worker"]["deploy"]["replicas"] >= 2
    env = services["airflow-scheduler"]["environment"]
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS"] == "False"
    assert env["AIRFLOW__COSMOS__ENABLE_TELEMETRY"] == "False"
    # the triggerer and the workers see the municipalities' inbox
    for name in ("airflow-triggerer", "airflow-worker"):
        assert any(v.startswith("inbox:") for v in services[name]["volumes"]), name
    # published ports stay on the loopback interface
    for name, svc in services.items():
        for port in svc.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), (name, port)
