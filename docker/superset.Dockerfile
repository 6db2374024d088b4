# The Superset image: Superset 6.1 with duckdb-engine and the same duckdb as the pipeline.
FROM python:3.11-slim
ENV UV_COMPILE_BYTECODE=1 PYTHONUNBUFFERED=1 SUPERSET_CONFIG_PATH=/opt/mognad/superset/superset_config.py
RUN pip install --no-cache-dir uv
WORKDIR /opt/mognad
COPY requirements/superset.lock requirements/superset.lock
RUN uv pip install --system -r requirements/superset.lock psycopg2-binary redis
COPY superset superset
