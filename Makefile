.PHONY: demo test setup lint clean-demo

## make demo  — install what is missing, run the pipeline on demo data, serve the dashboards
demo:
	scripts/demo.sh

## make test  — the whole test suite (what CI runs)
test:
	scripts/test.sh

setup:
	scripts/setup.sh

lint:
	.venv/pipeline/bin/ruff check . && .venv/pipeline/bin/ruff format --check .
