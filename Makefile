# The README's commands. `make run` sets up everything and serves the site;
# `make test` sets up everything and runs the test suite.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-browser hypothesis-client setup setup-dev lint check-deploy bench serve-prod worker clean backup restore audit anchoring-report

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

setup: $(VENV)/.installed
	$(PY) manage.py migrate --noinput
	$(PY) manage.py setup_demo

setup-dev: $(VENV)/.installed-dev

## Node packages (package-lock.json): the Hypothesis client, and for the tests the Nu HTML Checker (vnu-jar), run with
## Debian's Java. No install scripts: vnu-jar's own would fetch a Java runtime when none is found.
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "make: npm is missing (Debian: apt-get install npm); the tests need it to install the HTML checker (package.json)" >&2; exit 1; }
	npm ci --no-audit --no-fund --ignore-scripts
	touch $@

## The Hypothesis client (package.json's `hypothesis`, served under static/hypothesis/build/ for the article pages'
## "Annotate with the Hypothesis sidebar" option): installed with npm when the machine has it; without it the site
## runs as before and the option says how to enable it.
hypothesis-client:
	@if command -v npm >/dev/null; then $(MAKE) --no-print-directory node_modules/.installed; \
	else echo "make: npm is missing (Debian: apt-get install npm): the Hypothesis sidebar stays off" >&2; fi

## Create the database, import the sample article, create demo accounts, serve on 127.0.0.1:8000.
run: setup hypothesis-client
	$(PY) manage.py runserver $(HOST):$(PORT)

## Run the test suite (SQLite by default; set DATABASE_URL for PostgreSQL).
test: setup-dev node_modules/.installed
	scripts/ensure-chromium
	$(PY) -m pytest $(PYTEST_ARGS)

## Browser tests only (needs /usr/bin/chromium: `apt-get install chromium`).
test-browser: setup-dev node_modules/.installed
	scripts/ensure-chromium
	$(PY) -m pytest -m browser tests/browser $(PYTEST_ARGS)

## Production server: static files, migrations, gunicorn (config/gunicorn.py); needs DEBUG=false, SECRET_KEY, ALLOWED_HOSTS (and DATABASE_URL, CACHE_URL).
serve-prod: $(VENV)/.installed hypothesis-client
	$(PY) manage.py collectstatic --noinput
	$(PY) manage.py migrate --noinput
	HOST=$(HOST) PORT=$(PORT) $(VENV)/bin/gunicorn -c config/gunicorn.py config.wsgi

## The job queue's worker (e-mail delivery, and the outbox sweep that retries it); needs CELERY_BROKER_URL
## (and the same DATABASE_URL and e-mail settings as the app servers). Run exactly one with --beat.
worker: $(VENV)/.installed
	$(VENV)/bin/celery -A config worker --beat --loglevel=INFO

## Benchmark the production set-up (BENCH_ARGS="--quick" for a smoke run; --redis, --keep-db).
bench: $(VENV)/.installed
	$(PY) bench/run.py $(BENCH_ARGS)

## Known vulnerabilities in the pinned dependencies: pip-audit, then PyPI's newest-release data for any pin
## pip-audit's service could not answer for (scripts/audit_dependencies.py). Fails on a vulnerable or yanked pin.
audit: setup-dev
	mkdir -p artifacts
	rm -f artifacts/pip-audit.json
	$(VENV)/bin/pip-audit --requirement requirements.txt --requirement requirements-dev.txt --no-deps --disable-pip \
		--progress-spinner off --format json --output artifacts/pip-audit.json || true
	$(PY) scripts/audit_dependencies.py --pip-audit artifacts/pip-audit.json requirements.txt requirements-dev.txt

## Fault drills on the production set-up (gunicorn, a throwaway PostgreSQL database on 127.0.0.1, a redis-server and a
## job queue worker of its own) under load: Redis stopped, PostgreSQL cut and down, a worker killed, mail down; prints the
## table (tests/resilience/test_drill.py).
drill: setup-dev
	DRILL=1 $(PY) -m pytest -p no:cacheprovider -m drill -q tests/resilience/test_drill.py $(PYTEST_ARGS)

## The re-anchoring corpus (tests/anchoring/corpus/*.toml) run through the real services: prints the table
## (scenarios, outcomes, correct, conservative, wrong-silent, lost) and the outcomes that are not correct.
anchoring-report: setup-dev
	ANCHORING_REPORT=1 $(PY) -m pytest -p no:cacheprovider -q -s tests/anchoring/test_corpus.py::test_the_corpus

## ruff, and the import contracts of pyproject.toml (annotations -> articles -> accounts, pure parsing and matching).
lint: setup-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

check-deploy: setup
	DEBUG=false SECRET_KEY=check-deploy-$$RANDOM-not-a-real-key-0123456789abcdefghijklmnop ALLOWED_HOSTS=example.org $(PY) manage.py check --deploy --fail-level WARNING

## Back up all data to FILE (default backups/backup-<date>.json.gz); restore into an empty, migrated database.
FILE ?= backups/backup-$(shell date +%Y%m%d-%H%M%S).json.gz
backup: $(VENV)/.installed
	mkdir -p $(dir $(FILE))
	$(PY) manage.py backup $(FILE)

restore: $(VENV)/.installed
	@test -n "$(FILE)" -a -f "$(FILE)" || (echo "make restore FILE=path/to/backup.json.gz" >&2; exit 2)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py restore $(FILE)

clean:
	rm -rf $(VENV) staticfiles db.sqlite3
