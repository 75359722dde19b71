# cadencia: the verbs. `make run` sets up and runs the pipeline on embedded defaults;
# `make test` sets up everything the tests need and runs the whole suite.
VENV ?= .venv
PY := $(VENV)/bin/python
DATE ?=

.PHONY: help setup runtime run test test-unit lint fmt compile bench image cluster-e2e clean

help:
	@echo "make setup   install what the tests need: PostgreSQL, bubblewrap, chromium, tools, the virtualenv"
	@echo "make run     install what running needs, then run the orders pipeline on embedded defaults (PIPELINE=, DATE=)"
	@echo "make test    set up, then run the whole test suite"
	@echo "make lint    ruff, mypy, and cadencia lint on the compiled manifests"
	@echo "make compile regenerate the Argo manifests in k8s/workflows/"
	@echo "make bench   benchmarks (ratios against baselines, side by side)"
	@echo "make image   build the step image (needs Docker)"
	@echo "make cluster-e2e  kind + Argo + MinIO + the chart + a run (needs Docker and kind)"

setup:
	@bash scripts/setup.sh
	@bash scripts/tools.sh >/dev/null || echo "setup: helm/kubectl unavailable (offline): tests/deploy will skip" >&2

runtime:
	@bash scripts/setup.sh --runtime

run: runtime
	$(VENV)/bin/cadencia run --pipeline $(or $(PIPELINE),orders) $(if $(DATE),--date $(DATE),)

# the browser tests' screenshots (tests/ui) are kept there as the run's artifacts
test: setup
	CADENCIA_UI_SCREENSHOTS=$${CADENCIA_UI_SCREENSHOTS:-build/ui-screenshots} $(PY) -m pytest $(PYTEST_ARGS)

test-unit: setup
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check steps workflows tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/cadencia lint k8s/workflows

compile: setup
	$(VENV)/bin/cadencia compile
	@bash scripts/chart-sync.sh

fmt: setup
	$(VENV)/bin/ruff check --fix steps workflows tests bench

bench: setup
	$(PY) -m bench $(BENCH_ARGS)

VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)
IMAGE ?= ghcr.io/cadencia/cadencia

image:
	docker build -f images/Dockerfile --build-arg VERSION=$(VERSION) -t $(IMAGE):$(VERSION) .

cluster-e2e: setup
	@bash scripts/cluster-e2e.sh

clean:
	rm -rf .cadencia .pytest_cache .mypy_cache .ruff_cache
