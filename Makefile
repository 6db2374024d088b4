.PHONY: demo test setup lint clean-demo

## make demo  — install what is missing, run the pipeline on demo data, serve the dashboards
##   make demo DEMO_ARGS="--airflow-port 8081 --superset-port 8089 --scale 0.2"
DEMO_ARGS ?=
demo:
	scripts/demo.sh $(DEMO_ARGS)

## make test  — the whole test suite (what CI runs)
test:
	scripts/test.sh

setup:
	scripts/setup.sh

lint:
	.venv/pipeline/bin/ruff check . && .venv/pipeline/bin/ruff format --check .
	.venv/pipeline/bin/sqlfluff lint dbt_project/models dbt_project/macros
