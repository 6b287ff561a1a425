# estate: `make run` starts everything on embedded infrastructure; `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench clean browser

$(STAMP): pyproject.toml
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/estate up

test: $(STAMP) browser
	$(VENV)/bin/python -m pytest -p no:cacheprovider -q -ra

# The board's browser test drives Debian's Chromium (Playwright cannot download its own browser here): installed
# when missing and we are root, otherwise we stop and name the package (never a silently skipped test).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian's chromium (and a CJK font) for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-zenhei >/dev/null; \
	  else \
	    echo "the browser tests need Debian's chromium: run 'apt-get install chromium' as root, then make test"; exit 1; \
	  fi; }

# ruff (lint and format check) and mypy (strict for the domain modules), as configured in pyproject.toml
lint: $(STAMP)
	$(VENV)/bin/ruff check services shared tests bench
	$(VENV)/bin/ruff format --check services shared tests bench
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(VENV)/bin/python -m bench

clean:
	rm -rf $(VENV) .estate .pytest_cache .hypothesis
