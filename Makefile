# estate: `make run` starts everything on embedded infrastructure; `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/estate up

test: $(STAMP)
	$(VENV)/bin/python -m pytest -p no:cacheprovider -q -ra

# ruff (lint and format check) and mypy (strict for the domain modules), as configured in pyproject.toml
lint: $(STAMP)
	$(VENV)/bin/ruff check services shared tests bench
	$(VENV)/bin/ruff format --check services shared tests bench
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(VENV)/bin/python -m bench

clean:
	rm -rf $(VENV) .estate .pytest_cache .hypothesis
