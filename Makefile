# The front door. `make help` lists every target.
# Recipes capture `services.sh` output before eval-ing it: `eval "$(cmd)"` succeeds when cmd fails.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | md5sum | cut -c1-12)
SERVICES := scripts/services.sh
PYTEST_ARGS ?=

.PHONY: help install browser bench-tools imports test test-unit test-integration test-api test-e2e lint format run run-stack worker services services-down bench chaos clean

help: ## list the targets
	@grep -E '^[a-zA-Z0-9_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP) ## install the project and its dev tools into .venv (only what is missing)

browser: ## Debian's Chromium for the browser test (idempotent; never a browser download)
	@scripts/install-browser.sh

test: install browser imports ## everything CI runs: installs what is missing, starts the services, runs all tests
	@settings="$$($(SERVICES) up all)" && eval "$$settings" && $(BIN)/pytest $(PYTEST_ARGS)

imports: install ## the import contracts (import-linter, [tool.importlinter] in pyproject.toml)
	$(BIN)/lint-imports --no-cache

# The folder targets select by marker: tests/conftest.py marks every test with its folder's.
test-unit: install ## tests/unit (-m unit): no services needed
	$(BIN)/pytest -m unit $(PYTEST_ARGS)

test-integration: install ## tests/integration (-m integration): adapters against real servers (starts the services)
	@settings="$$($(SERVICES) up all)" && eval "$$settings" && $(BIN)/pytest -m integration $(PYTEST_ARGS)

test-api: install browser ## tests/api (-m api): the app in process on memory and Redis (starts Redis)
	@settings="$$($(SERVICES) up redis)" && eval "$$settings" && $(BIN)/pytest -m api $(PYTEST_ARGS)

test-e2e: install ## tests/e2e (-m e2e): real processes on the real stack (starts the services)
	@settings="$$($(SERVICES) up all)" && eval "$$settings" && $(BIN)/pytest -m e2e $(PYTEST_ARGS)

lint: install imports ## import contracts, ruff and mypy --strict over src, tests and bench
	$(BIN)/ruff check src tests bench chaos
	$(BIN)/ruff format --check src tests bench chaos
	$(BIN)/mypy --strict

format: install ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

run: install ## serve the API on http://127.0.0.1:8000 on the embedded (in-memory) default
	$(BIN)/ticketing serve

services: ## start Redis, PostgreSQL and Kafka on loopback (idempotent); prints the settings
	@$(SERVICES) up all

services-down: ## stop the services started by `make services`
	@$(SERVICES) down all

run-stack: install ## API and worker on the real stack started by `make services` (Ctrl-C stops both)
	@scripts/run-stack.sh

worker: install ## the consumer worker alone, on the real stack
	@settings="$$($(SERVICES) env)" && eval "$$settings" && $(BIN)/ticketing worker

bench-tools: ## wrk (Debian) and vegeta (Go module proxy), the load generators of `make bench`
	@scripts/install-bench-tools.sh

bench: install bench-tools ## the benchmark suite; writes bench/results/latest.json
	@settings="$$($(SERVICES) up all)" && eval "$$settings" && $(BIN)/python -m bench

SECONDS ?= 60
chaos: install ## the randomized fault campaign (make chaos SECONDS=600 [SEED=n]); docs/reliability.md
	@settings="$$($(SERVICES) up all)" && eval "$$settings" && \
	  $(BIN)/python -m chaos --seconds $(SECONDS) $(if $(SEED),--seed $(SEED))

clean: ## remove the virtualenv and caches (not the services' state)
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
