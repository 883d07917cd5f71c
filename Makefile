# One command per check: `make demo`, `make test`, `make lint`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv cluster-up cluster-down demo test test-unit test-e2e lint format clean

venv: $(STAMP)

# Debian's python3 needs python3-venv for `-m venv`; git and curl serve the demo.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null && command -v git curl >/dev/null \
		|| (apt-get update -qq && apt-get install -y -qq python3-venv git curl)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

cluster-up:
	scripts/dev-cluster up

cluster-down:
	scripts/dev-cluster down

demo: venv cluster-up
	scripts/demo

test: venv cluster-up
	$(BIN)/pytest -q

test-unit: venv
	$(BIN)/pytest -q tests/unit

test-e2e: venv cluster-up
	$(BIN)/pytest -q tests/e2e

lint: venv
	$(BIN)/ruff format --check src tests
	$(BIN)/ruff check src tests
	$(BIN)/mypy

format: venv
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests

clean:
	rm -rf $(VENV) var
