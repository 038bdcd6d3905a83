# Rebound: `make run` sets up and serves the app with demo data; `make test` runs every test.
VENV := .venv
BIN := $(VENV)/bin
# Development mode for `make run` and the tests; production sets its own environment.
RUN_ENV := DJANGO_DEBUG=$${DJANGO_DEBUG:-true}

.PHONY: run test lint format setup clean fault load bench

# Find a Python 3.12+ interpreter: $(PYTHON) first, then the usual names, then pyenv's.
$(BIN)/python:
	@py=""; \
	for c in $(PYTHON) python3.14 python3.13 python3.12 python3 python \
	         $$HOME/.pyenv/versions/3.1[2-9]*/bin/python3 /usr/local/bin/python3.1[2-9]; do \
	  if command -v "$$c" >/dev/null 2>&1 && \
	     "$$c" -c 'import sys, venv; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then \
	    py="$$c"; break; \
	  fi; \
	done; \
	if [ -z "$$py" ]; then \
	  echo "Rebound needs Python 3.12 or newer, and none was found."; \
	  echo "Install one (e.g. 'apt-get install python3.12 python3.12-venv', or 'pyenv install 3.13'),"; \
	  echo "or point at it: make run PYTHON=/path/to/python3.12"; \
	  exit 1; \
	fi; \
	echo "Creating $(VENV) with $$py ($$("$$py" --version))"; \
	"$$py" -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python requirements.txt
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $@

setup: $(VENV)/.installed
	@echo "Development mode: DJANGO_DEBUG=true, database $${DATABASE_URL:-SQLite at ./db.sqlite3}, emails printed to this terminal."
	$(RUN_ENV) $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(RUN_ENV) $(BIN)/python manage.py migrate --noinput
	$(RUN_ENV) $(BIN)/python manage.py createcachetable
	$(RUN_ENV) $(BIN)/python manage.py demo_data

# gunicorn and the task worker (emails) together; Ctrl-C stops both (config/run.sh).
run: setup
	@echo "Serving Rebound at http://127.0.0.1:8000, with a task worker beside it (Ctrl-C stops both)"
	$(RUN_ENV) BIN=$(BIN) config/run.sh

test: lint
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Reliability drills on PostgreSQL (tests/reliability/): the database goes away under writes;
# 50 concurrent clients for LOAD_SECONDS. Each exits non-zero on any violation.
LOAD_SECONDS ?= 60

fault: $(VENV)/.installed
	$(BIN)/python -m tests.reliability.fault

load: $(VENV)/.installed
	$(BIN)/python -m tests.reliability.load --seconds $(LOAD_SECONDS)

# Page benchmark on PostgreSQL rebound_bench: wrk against each page, ratios to a floor view.
# wrk comes from Debian's packages, installed here the first time.
bench: $(VENV)/.installed
	@command -v wrk >/dev/null || { echo "Installing wrk"; apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	$(BIN)/python -m tests.reliability.bench

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
