# The pipeline image: Airflow 3.3 (Celery, PostgreSQL) + cosmos + dbt-duckdb + Great
# Expectations + mognad, from the one pinned lock file. Used by every Airflow service.
FROM python:3.11-slim
ENV UV_COMPILE_BYTECODE=1 PYTHONUNBUFFERED=1 MOGNAD_HOME=/srv/mognad AIRFLOW_HOME=/srv/airflow
RUN pip install --no-cache-dir uv
WORKDIR /opt/mognad
COPY requirements/pipeline.lock requirements/pipeline.lock
RUN uv pip install --system -r requirements/pipeline.lock
COPY . .
RUN uv pip install --system --no-deps -e . \
 # cosmos reads this prebuilt manifest; no container runs dbt at DAG parse time
 && MOGNAD_HOME=/tmp/parse python -c \
    "from mognad.build.run import parse_dbt; from mognad.config import load_settings; parse_dbt(load_settings())" \
 && rm -rf /tmp/parse
ENTRYPOINT ["/opt/mognad/docker/airflow-entrypoint.sh"]
