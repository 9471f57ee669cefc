# Two commands on a fresh clone: `make run` (set up, migrate SQLite, serve) and `make test`.
# Everything else is a step they depend on. Needs Python 3.11+, Node.js 20+ and make.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
PYTEST_ARGS ?=

.PHONY: run test install assets migrate lint format bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstalled whenever a requirements file changes.
$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

static/vendor/.installed: node_modules/.package-lock.json scripts/vendor_assets.py | $(BIN)/python
	$(BIN)/python scripts/vendor_assets.py
	touch $@

install: $(VENV)/.installed static/vendor/.installed

assets: static/vendor/.installed

migrate: install
	$(BIN)/flask db upgrade
	$(BIN)/flask rates load

run: migrate
	@echo
	@echo "  Expense Manager is running at http://$(HOST):$(PORT)  (Ctrl+C to stop)"
	@echo
	$(BIN)/flask run --host $(HOST) --port $(PORT)

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Load and data-scale benchmarks against PostgreSQL on loopback (bench/README.md); needs wrk and ab.
# Run as a module from the repo root, so bench/ imports the app without any sys.path edit.
bench: install
	$(BIN)/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules static/vendor .pytest_cache .ruff_cache .coverage htmlcov
