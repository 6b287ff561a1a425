# estate: `make run` starts everything on embedded infrastructure; `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench clean browser paper fonts

$(STAMP): pyproject.toml
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP) fonts
	$(VENV)/bin/estate up

test: $(STAMP) browser paper
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

# Printed receipts (issue 24) are drawn in a CJK TrueType font a Debian package ships (fonts-wqy-zenhei), found at run
# time; their tests read the PDFs back with poppler-utils (pdftotext, pdftoppm). Both are installed when missing and we
# are root; otherwise the tests stop and name the packages (`make run` only warns: receipts print once it is there).
CJK_FONT := /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc
APT_INSTALL := apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq

paper:
	@{ command -v pdftotext && command -v pdftoppm && test -f $(CJK_FONT); } >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian's poppler-utils and fonts-wqy-zenhei for the printed receipts"; \
	    $(APT_INSTALL) poppler-utils fonts-wqy-zenhei >/dev/null; \
	  else \
	    echo "the receipt tests need Debian's poppler-utils and fonts-wqy-zenhei: run 'apt-get install poppler-utils fonts-wqy-zenhei' as root, then make test"; exit 1; \
	  fi; }

fonts:
	@test -f $(CJK_FONT) || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian's fonts-wqy-zenhei for the printed receipts"; $(APT_INSTALL) fonts-wqy-zenhei >/dev/null; \
	  else \
	    echo "warning: printed receipts need Debian's fonts-wqy-zenhei (apt-get install fonts-wqy-zenhei); they answer 503 until then"; \
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
