# Hotpass developer entry points. On a fresh clone `make demo` and `make test` are each enough:
# every target that needs the virtualenv depends on `sync`.
PYTHON ?= python3
VENV ?= .venv
INSTALLER ?= uv
BIN := $(VENV)/bin
STAMP := $(VENV)/.hotpass-synced
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help sync test lint demo qa clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-8s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

sync: $(STAMP) ## create .venv and install hotpass with dev extras under constraints.txt (idempotent)

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "hotpass needs Python 3.11+ (set PYTHON=python3.11)")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
ifeq ($(INSTALLER),pip)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,bench]'
else
	@test -x $(BIN)/uv || $(BIN)/python -m pip install --quiet -c constraints.txt uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -c constraints.txt -e '.[dev,bench]'
endif
	@# Byte-compile once at install: with PYTHONDONTWRITEBYTECODE set, every process (CLI, worker,
	@# flow run) would otherwise compile Prefect from source, about 4 s each, and hotpass itself
	@# (editable install) ~0.1 s. A module edited later is compiled in memory until the next sync.
	@$(BIN)/python -m compileall -q -j 0 $(VENV)/lib hotpass > /dev/null
	@touch $(STAMP)

test: sync ## run the whole test suite in parallel (integration tests start their own Prefect server)
	$(BIN)/pytest -n auto $(PYTEST_ARGS)

lint: sync ## ruff + mypy (strict on hotpass/)
	$(BIN)/ruff check hotpass tests benchmarks scripts tasks.py
	$(BIN)/mypy

demo: sync ## run the main job end to end on an embedded local Prefect server
	$(BIN)/python -m hotpass.tasks.demo

qa: lint test ## lint + types + tests + hotpass qa all
	$(BIN)/hotpass qa all

clean: ## remove outputs and local state (keeps .venv)
	rm -rf dist/* .hotpass .pytest_cache .mypy_cache .ruff_cache
	touch dist/.gitkeep
