# Cổng TTCP: two commands on a fresh machine with only python3.
#   make serve   set up, build content/, serve http://127.0.0.1:8000 with live reload
#   make test    set up, run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install serve test check clean

$(STAMP): pyproject.toml $(wildcard tools/*/package-lock.json)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	for dir in tools/*/; do \
	  if [ -f "$$dir/package.json" ]; then npm ci --prefix "$$dir" --ignore-scripts --no-audit --no-fund --silent || exit 1; fi; \
	done
	touch $(STAMP)

install: $(STAMP)

serve: install
	$(BIN)/invoke serve

test: install
	$(BIN)/python -m pytest

check: install
	$(BIN)/invoke check

clean:
	rm -rf output .cache
