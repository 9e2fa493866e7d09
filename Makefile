# The two commands of the quick start: `make demo` and `make test`. Each builds .venv from nothing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)
PYTEST_ARGS ?=

.PHONY: setup demo test test-tools bench clean readme

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test]'
	@rm -f $(VENV)/.installed-* && touch $@

setup: $(STAMP)

# The main job: the nightly flow on the offline snapshot -> warehouse, briefs, dashboard.
demo: setup
	$(BIN)/evidence run
	$(BIN)/evidence status

# Debian's Chromium for the browser tests, the zstd command the raw-landing docs name and PostgreSQL's
# server for the DuckLake scale-out test (CI runs as root with apt).
test-tools:
	@command -v chromium >/dev/null 2>&1 && command -v zstd >/dev/null 2>&1 \
	  && { command -v pg_ctl >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; } || { \
	  echo "installing Debian's chromium, zstd and postgresql for the tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium zstd postgresql >/dev/null; }

test: setup test-tools
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

bench: setup
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test,bench]'
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) warehouse/evidence.duckdb* warehouse/raw briefs

# README.md is generated from docs/*.md and the code (settings, commands, schema).
readme: setup
	$(BIN)/python docs/build_readme.py
