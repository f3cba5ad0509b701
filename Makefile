# cakg: the README's two commands are `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

CHROMIUM ?= /usr/bin/chromium

.PHONY: run test test-fast install install-test lint typecheck build validate bench bench-build clean browser virtuoso vendor

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

run: install
	$(BIN)/cakg serve --host $(HOST) --port $(PORT)

test: install-test lint typecheck browser virtuoso
	$(BIN)/python -m pytest --durations=20

# The inner loop: everything but the tests marked slow, server, browser or w3c (pyproject.toml).
test-fast: install-test lint
	$(BIN)/python -m pytest -m "not slow and not server and not browser and not w3c"

# The browser tests drive Debian's Chromium with Playwright (no browser download).
browser:
	@if [ -x "$(CHROMIUM)" ] || [ "$$CAKG_SKIP_BROWSER" = 1 ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
		echo "installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; \
	else echo "the browser tests need $(CHROMIUM): run 'sudo apt-get install chromium' (or set CAKG_SKIP_BROWSER=1)"; exit 1; fi

# The remote-store tests run against Debian's Virtuoso Open Source too (virtuoso-t, isql-vt).
virtuoso:
	@if command -v virtuoso-t >/dev/null && command -v isql-vt >/dev/null || [ "$$CAKG_SKIP_VIRTUOSO" = 1 ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
		echo "installing Debian's virtuoso-opensource for the remote-store tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq virtuoso-opensource >/dev/null; \
	else echo "the Virtuoso tests need virtuoso-t: run 'sudo apt-get install virtuoso-opensource' (or set CAKG_SKIP_VIRTUOSO=1 to skip them)"; fi

lint: install-test
	$(BIN)/ruff check src tests scripts $(wildcard bench)
	$(BIN)/ruff format --check src tests scripts $(wildcard bench)

typecheck: install-test
	$(BIN)/mypy src

build: install
	$(BIN)/cakg build

validate: install
	$(BIN)/cakg validate

$(VENV)/.installed-bench: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $@ $(VENV)/.installed $(VENV)/.installed-test

# Fetch the front-end libraries of src/cakg/web/static/vendor/packages.json again from the npm
# registry (needs node's npm; the files are committed, so nothing else needs it).
vendor:
	$(PYTHON) scripts/vendor_npm.py

# Benchmarks are not part of `make test`; see bench/README.md.
bench: $(VENV)/.installed-bench
	$(BIN)/python -m bench.bench_endpoint

bench-build: $(VENV)/.installed-bench
	$(BIN)/python -m bench.bench_build

clean:
	rm -rf build $(VENV)
