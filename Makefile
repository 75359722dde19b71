# cadencia: the verbs. `make run` sets up and runs the pipeline on embedded defaults;
# `make test` sets up everything the tests need and runs the whole suite.
VENV ?= .venv
PY := $(VENV)/bin/python
DATE ?=

.PHONY: help setup run test test-unit lint fmt compile bench clean

help:
	@echo "make setup   install PostgreSQL (for tests) and the virtualenv"
	@echo "make run     set up, then run the whole pipeline on embedded defaults"
	@echo "make test    set up, then run the whole test suite"
	@echo "make lint    ruff, mypy, and cadencia lint on the compiled manifests"
	@echo "make compile regenerate the Argo manifests in k8s/workflows/"
	@echo "make bench   benchmarks (ratios against baselines, side by side)"

setup:
	@bash scripts/setup.sh

run: setup
	$(VENV)/bin/cadencia run $(if $(DATE),--date $(DATE),)

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

test-unit: setup
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check steps workflows tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/cadencia lint k8s/workflows

compile: setup
	$(VENV)/bin/cadencia compile

fmt: setup
	$(VENV)/bin/ruff check --fix steps workflows tests bench

bench: setup
	$(PY) -m bench $(BENCH_ARGS)

clean:
	rm -rf .cadencia .pytest_cache .mypy_cache .ruff_cache
