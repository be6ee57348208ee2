# KnownCaller: `make run` serves the demo, `make test` runs the whole suite.
#
#   make run                      # http://127.0.0.1:5000
#   make run HOST=0.0.0.0 PORT=8000
#   make test

SHELL := /bin/bash
.DEFAULT_GOAL := run

PYTHON ?= python3
HOST ?= 127.0.0.1
PORT ?= 5000
THREADS ?= 64
VENV := .venv
BIN := $(VENV)/bin
BASE_URL := http://$(HOST):$(PORT)

export FLASK_APP := wsgi

# The simulate-call line printed by `make run`; --base-url only when the server is not on the default.
SIMULATE := $(BIN)/flask --app wsgi simulate-call --from +14155550100 --then in-progress,completed
ifneq ($(BASE_URL),http://127.0.0.1:5000)
SIMULATE += --base-url $(BASE_URL)
endif

.PHONY: run test test-js lint install install-dev node-deps db demo bench bench-quick bench-metrics clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamp files: re-running only reinstalls when a requirements file changed.
$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt requirements.txt | $(VENV)/.installed
	$(BIN)/python -m pip install -r requirements-dev.txt
	touch $@

# Front-end packages are served from node_modules (no CDN); `npm ci` reruns when the lock file changes.
node-deps:
	@if [ -f package-lock.json ]; then \
	  if [ ! -f node_modules/.installed ] || [ package-lock.json -nt node_modules/.installed ]; then \
	    command -v npm >/dev/null || { echo "npm is needed for the front-end packages: install Node.js" >&2; exit 1; }; \
	    npm ci --no-audit --no-fund && touch node_modules/.installed; \
	  fi; \
	fi

install: $(VENV)/.installed node-deps

install-dev: $(VENV)/.installed-dev node-deps

db: install
	$(BIN)/flask db upgrade

demo: db
	$(BIN)/flask seed-demo --if-empty
	$(BIN)/flask ensure-demo-agent

run: demo
	@echo
	@echo "KnownCaller on $(BASE_URL): log in with the demo agent above."
	@echo "Then, from another terminal, play an inbound call and watch the pop:"
	@echo "    $(SIMULATE)"
	@echo
	@# One process, many threads: Socket.IO's threading mode needs no message queue then.
	$(BIN)/gunicorn -w 1 --threads $(THREADS) -b $(HOST):$(PORT) wsgi:app

# The front end's pure modules (lib/, no DOM) under Node's own test runner: no npm package needed.
test-js:
	node --test tests/js/

# Unused or undefined names and import order (ruff's F and I rules), in a second.
lint: install-dev
	$(BIN)/ruff check --select F,I app tests scripts migrations config.py wsgi.py

# The JS tests and the lint first (they stop the target when they fail), then SQLite (every test), then PostgreSQL
# (all but the browser tests). Both pytest runs always happen; the target fails if either failed,
# including pytest's "no tests collected" (exit 5).
test: test-js lint
	@sqlite=0; postgresql=0; \
	echo "== pytest on SQLite =="; \
	$(BIN)/python -m pytest $(PYTEST_ARGS) || sqlite=$$?; \
	echo "== pytest on PostgreSQL (KC_TEST_DB=postgresql, not browser) =="; \
	KC_TEST_DB=postgresql $(BIN)/python -m pytest -m "not browser" $(PYTEST_ARGS) || postgresql=$$?; \
	for run in sqlite postgresql; do \
	  code=$${!run}; \
	  if [ "$$code" = 5 ]; then echo "$$run run: pytest collected no tests" >&2; \
	  elif [ "$$code" != 0 ]; then echo "$$run run failed (pytest exit $$code)" >&2; fi; \
	done; \
	[ "$$sqlite" = 0 ] && [ "$$postgresql" = 0 ]

# PostgreSQL + Redis: 1,000,000 customers, 200 agents + 2 supervisors on 2 processes, the floor, 50/70/100 calls/s,
# 1,000 agents at 20/s, the levers (compression, audience); prints the targets (~12 min on 2 cores).
# Writes bench-results/bench-<timestamp>.json and .png; BENCH_ARGS="--publish" also updates docs/.
bench: install-dev
	$(BIN)/python scripts/bench.py $(BENCH_ARGS)

# The same in about 3 minutes: 10,000 customers, 50 agents, 10 and 50 calls/s for 5 s each, 200 agents at 20/s.
bench-quick: install-dev
	$(BIN)/python scripts/bench.py --quick $(BENCH_ARGS)

# The supervisor's figures (SPEC §12) over a year of 1,000,000 calls on PostgreSQL, timed with the app's own functions
# (~3 min on 2 cores; the database is dropped at the end). Writes bench-results/metrics-<timestamp>.json and the
# EXPLAIN of the year's statements; BENCH_METRICS_ARGS="--calls 100000 --customers 20000" for a smaller run.
bench-metrics: install-dev
	$(BIN)/python scripts/bench_metrics.py $(BENCH_METRICS_ARGS)

clean:
	rm -rf $(VENV) node_modules .pytest_cache
