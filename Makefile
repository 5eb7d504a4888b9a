# Resettle: the two commands are `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-dates system bench install static migrate seed lint format lock clean backup reliability restore

## make run: set everything up and serve the demo on http://127.0.0.1:8000 (SQLite, eager Celery)
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo ""
	@echo "Resettle is starting on http://$(HOST):$(PORT)/ (Ctrl+C stops it)."
	$(PY) manage.py runserver $(HOST):$(PORT)

# Test processes (pytest-xdist workers), each with its own database and Redis keys. A module's
# tests stay on one worker, so a world built once per module is built once.
TEST_WORKERS ?= 2
PYTEST_PARALLEL := -n $(TEST_WORKERS) --dist loadfile

## make test: lint, type-check (mypy over the files pyproject.toml lists), then every test
## (unit, integration on PostgreSQL + Redis + Celery, browser).
## First sets up what the machine lacks (chromium, fonts, PostgreSQL and Redis started), or
## stops at once saying exactly what to run: scripts/ensure-system.sh, shared with CI.
test: system install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	DATABASE_URL=sqlite://:memory: $(PY) manage.py makemigrations --check --dry-run --settings=resettle.settings_test
	$(VENV)/bin/pytest -m "not reliability" $(PYTEST_PARALLEL)

system:
	@bash scripts/ensure-system.sh test

# The days that break date code (UTC, as libfaketime starts the clock; it then runs on):
# 10 minutes before the clocks go forward and back in Europe/London, 23:30 on 29 February and
# on 31 December, a Monday at 00:10 London time (summer: Sunday 23:10 UTC) and a Sunday at
# 23:50 (winter).
TEST_DATES := 2027-03-28T00:50:00 2027-10-31T00:50:00 2028-02-29T23:30:00 \
	2027-12-31T23:30:00 2027-06-06T23:10:00 2027-01-10T23:50:00
DATE_TESTS := tests/sessions tests/participants tests/reports tests/riskplans tests/crisisline

## make test-dates: the date-heavy tests under a faked clock at each of TEST_DATES (libfaketime;
## about 5 minutes a date on 2 cores). `make test-dates TEST_DATES=2028-02-29T23:30:00` for one.
test-dates: install
	@bash scripts/ensure-system.sh test-dates
	@set -e; for when in $(TEST_DATES); do \
	  echo "== the suite's clock starts at $${when/T/ } UTC"; \
	  TZ=UTC faketime "$${when/T/ }" $(VENV)/bin/pytest -q -m "not browser and not reliability" \
	    $(PYTEST_PARALLEL) $(DATE_TESTS); \
	done

## make reliability: the slow fault-injection runs (database outages of many lengths while calls
## are being logged); not part of make test
reliability: install
	$(VENV)/bin/pytest -m reliability -v

## make bench: national-scale benchmarks (generates two PostgreSQL databases the first time,
## about 10 minutes; later runs reuse them) and writes benchmarks/RESULTS.md
bench: install
	$(PY) -m benchmarks.run

install: $(VENV)/.installed node_modules/.installed static/dist/.built

$(VENV)/.installed: requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet --require-hashes -r requirements.lock
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

static/dist/.built: node_modules/.installed $(wildcard static/src/*)
	node static/src/build.mjs
	touch $@

static: static/dist/.built

migrate: install
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## make backup: a consistent copy of the database and report files in backups/resettle-<UTC time>/
## (personal data: encrypt it at rest; see README, "Backup and restore")
backup: $(VENV)/.installed
	$(PY) manage.py backup_data --output backups

## make restore FROM=backups/resettle-<UTC time>: bring a backup back into an EMPTY database
restore: $(VENV)/.installed
	@test -n "$(FROM)" || { echo "Say which backup: make restore FROM=backups/resettle-YYYYmmddTHHMMSSZ" >&2; exit 2; }
	$(PY) manage.py restore_data --input "$(FROM)"

## make lock: re-pin Python dependencies after changing pyproject.toml
lock: $(VENV)/.installed
	$(VENV)/bin/pip-compile --quiet --extra dev --strip-extras --generate-hashes --allow-unsafe \
		--no-emit-index-url --no-emit-find-links -o requirements.lock pyproject.toml

clean:
	rm -rf $(VENV) node_modules static/dist staticfiles test-artifacts
