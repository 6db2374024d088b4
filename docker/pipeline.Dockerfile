# The pipeline image: Airflow 3.3 + cosmos + dbt-duckdb + Great Expectations + mognad.
FROM python:3.11-slim
ENV UV_COMPILE_BYTECODE=1 PYTHONUNBUFFERED=1 MOGNAD_HOME=/srv/mognad AIRFLOW_HOME=/srv/airflow
RUN pip install --no-cache-dir uv
WORKDIR /opt/mognad
COPY requirements/pipeline.lock requirements/pipeline.lock
RUN uv pip install --system -r requirements/pipeline.lock \
 && uv pip install --system 'apache-airflow[postgres,celery]==3.3.2' \
      apache-airflow-providers-celery psycopg2-binary redis
COPY . .
RUN uv pip install --system --no-deps -e .
