# dangjian: `make run` sets everything up and runs the pipeline on the bundled sample;
# `make test` sets up and runs the test suite. `make help` lists every target.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
RAW ?= data/raw
OUT ?= data/processed
export PYTHONDONTWRITEBYTECODE := 1

.DEFAULT_GOAL := help
.PHONY: help setup run test test-all lint bench clean

help: ## Show this help
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip setuptools wheel
	# pkuseg 0.0.25 has no wheel for Python 3.11: build it against the pinned numpy/cython
	$(PY) -m pip install -q -c requirements.lock numpy cython
	$(PY) -m pip install -q -c requirements.lock --no-build-isolation pkuseg==0.0.25
	$(PY) -m pip install -q -c requirements.lock -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP) ## Create .venv and install dangjian with all pinned dependencies

run: $(STAMP) ## Run the whole pipeline on data/raw (the bundled sample) into data/processed
	$(VENV)/bin/dangjian run $(RAW) --out $(OUT)

test: $(STAMP) ## Run the test suite (exits non-zero on failure)
	$(PY) -m pytest -q -m "not slow"

test-all: $(STAMP) ## Run every test, including slow crash/scale cases
	$(PY) -m pytest -q

lint: $(STAMP) ## ruff (check + format), the import layers (import-linter), cycles/private names/module size
	$(VENV)/bin/ruff check pipeline tests benchmarks tools setup.py
	$(VENV)/bin/ruff format --check pipeline tests benchmarks tools setup.py
	$(VENV)/bin/lint-imports --no-cache
	$(PY) tools/check_layout.py

bench: $(STAMP) ## Benchmark the pipeline against plain jieba (needs ../shared/corpus)
	$(PY) benchmarks/bench_pipeline.py

clean: ## Remove generated outputs and trained models (never data/raw)
	rm -rf $(OUT)/*.csv $(OUT)/*.parquet $(OUT)/figures $(OUT)/report.html $(OUT)/.cache models/*.skops models/*.json
