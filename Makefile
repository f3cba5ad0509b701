# cakg: the README's two commands are `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test install install-test lint build validate bench clean

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

test: install-test lint
	$(BIN)/python -m pytest

lint: install-test
	$(BIN)/ruff check src tests $(wildcard bench)

build: install
	$(BIN)/cakg build

validate: install
	$(BIN)/cakg validate

bench: install-test
	$(BIN)/python bench/bench_endpoint.py

clean:
	rm -rf build $(VENV)
